"""Runs the model's graph for each message as plain function calls, without dask.

Rasa 3.6 runs its prediction graph (NLU for each message, the policies for each action) through dask's
synchronous scheduler, and first works out, afresh every time, which nodes the targets need. On our small
graph that bookkeeping cost as much as the components themselves: in a py-spy profile of a Sanic worker
under `make bench` (10 users, PostgreSQL, two workers), dask's scheduling and the dependency walk were 13% of
the worker's time, the nodes' own work 21%.

This runner does what dask did here: each node the targets need is called once, after the nodes it needs,
with their outputs; a need that no node and no input provides is passed as its name, as dask passes a key
it cannot find (Rasa's GraphNode warns about it). The nodes needed for a set of targets are worked out once.
Training keeps Rasa's dask runner: only the processor, which serves messages, is given this one. The swap
counts when the processor loads a model, so the layer must be applied before: `rasa run` and `rasa shell`
import `components` (which applies it) for the tracker store and channels our endpoints and credentials
name, and `rasa test` reads the model's metadata, which imports our components, before it loads the agent
(rasa/model_testing.py, test_core). tests/components/rasa_layer/test_graph_runner.py checks both.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import rasa.core.processor
from rasa.engine import loader
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

from components.rasa_layer.guard import RasaLayerError, Target, replace


class SequentialGraphRunner(DaskGraphRunner):
    """Rasa's DaskGraphRunner, with `run` calling the nodes directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kept_by_rasa in ("_graph_schema", "_instantiated_nodes"):
            if not hasattr(self, kept_by_rasa):
                raise RasaLayerError(f"DaskGraphRunner no longer keeps {kept_by_rasa}: change this runner")
        self._minimal_schemas: Dict[Tuple[str, ...], GraphSchema] = {}

    def run(
        self, inputs: Optional[Dict[str, Any]] = None, targets: Optional[List[str]] = None
    ) -> Dict[str, Any]:
        run_targets = list(targets) if targets else self._graph_schema.target_names
        schema = self._minimal_schema(tuple(run_targets))
        done: Dict[str, Tuple[str, Any]] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                    f"names passed to the `run` method are the same as node names in the graph schema."
                )
            done[name] = (name, value)

        def output_of(name: str) -> Any:
            if name in done:
                return done[name]
            node = schema.nodes.get(name)
            if node is None:
                return name  # as dask: an unknown key is passed as itself
            done[name] = self._instantiated_nodes[name](*(output_of(need) for need in node.needs.values()))
            return done[name]

        try:
            return dict(output_of(target) for target in run_targets)
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error

    def _minimal_schema(self, targets: Tuple[str, ...]) -> GraphSchema:
        """The nodes the targets need: the same for every message, so worked out once."""
        if targets not in self._minimal_schemas:
            self._minimal_schemas[targets] = self._graph_schema.minimal_graph_schema(list(targets))
        return self._minimal_schemas[targets]


TARGETS = [
    # The processor passes this module attribute to the loader, which calls `create` with the schema.
    Target(rasa.core.processor, "DaskGraphRunner"),
    Target(rasa.core.processor.MessageProcessor, "_load_model", ("model_path",)),
    Target(
        loader,
        "load_predict_graph_runner",
        ("storage_path", "model_archive_path", "model_storage_class", "graph_runner_class"),
    ),
    Target(
        DaskGraphRunner, "__init__", ("self", "graph_schema", "model_storage", "execution_context", "hooks")
    ),
    Target(DaskGraphRunner, "run", ("self", "inputs", "targets")),
    Target(GraphSchema, "minimal_graph_schema", ("self", "targets")),
]


def install() -> None:
    current = rasa.core.processor.DaskGraphRunner
    if current is not DaskGraphRunner and current is not SequentialGraphRunner:
        raise RasaLayerError(f"rasa.core.processor.DaskGraphRunner is {current!r}, not Rasa's dask runner")
    # The processor loads each model with the runner class it names.
    replace(rasa.core.processor, "DaskGraphRunner", SequentialGraphRunner)
