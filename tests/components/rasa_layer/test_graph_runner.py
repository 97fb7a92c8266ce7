"""Each message's graph, run as plain calls, gives what dask gives; `rasa run` and `rasa test` both use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from rasa.engine import loader
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.storage import ModelMetadata
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import components  # noqa: F401  (applies the changes, as loading our model does)
from components.rasa_layer.graph_runner import SequentialGraphRunner
from scripts.endpoints import endpoints
from tests.conftest import MODEL

MESSAGES = [
    "why does my eyelid keep jumping?",
    "is this ALS?",
    "check my symptoms",
    "my left calf has twitched every day for 3 weeks and it feels weak",
    "I can't breathe",
    "stop",
    "/inform{bad",
    "🙂🙂",
    "",
]


def load(runner: type, tmp_path: Path) -> Tuple[ModelMetadata, Any]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    return loader.load_predict_graph_runner(tmp_path, MODEL, LocalModelStorage, runner)


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[ModelMetadata, Any, Any]]:
    metadata, dask_runner = load(DaskGraphRunner, tmp_path_factory.mktemp("dask"))
    _, sequential = load(SequentialGraphRunner, tmp_path_factory.mktemp("sequential"))
    yield metadata, dask_runner, sequential


def parse(runner: Any, metadata: ModelMetadata, text: str) -> dict:
    tracker = DialogueStateTracker.from_events("someone", [ActionExecuted(ACTION_LISTEN_NAME)])
    results = runner.run(
        inputs={"__message__": [UserMessage(text, message_id="the-same")], "__tracker__": tracker},
        targets=[metadata.nlu_target],
    )
    return results[metadata.nlu_target][0].as_dict()


@pytest.mark.parametrize("text", MESSAGES)
def test_a_message_is_read_as_dask_reads_it(runners: Tuple[ModelMetadata, Any, Any], text: str) -> None:
    metadata, dask_runner, sequential = runners
    assert parse(sequential, metadata, text) == parse(dask_runner, metadata, text)


def test_the_next_action_is_predicted_as_dask_predicts_it(runners: Tuple[ModelMetadata, Any, Any]) -> None:
    metadata, dask_runner, sequential = runners
    for text in MESSAGES:
        said = parse(dask_runner, metadata, text)
        tracker = DialogueStateTracker.from_events(
            "someone", [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, said["intent"], [], said)]
        )
        ours, theirs = (
            runner.run(inputs={"__tracker__": tracker}, targets=[metadata.core_target])[metadata.core_target]
            for runner in (sequential, dask_runner)
        )
        assert (ours.policy_name, ours.probabilities, ours.events) == (
            theirs.policy_name,
            theirs.probabilities,
            theirs.events,
        )


def test_an_input_named_as_a_node_is_refused(runners: Tuple[ModelMetadata, Any, Any]) -> None:
    metadata, _, sequential = runners
    with pytest.raises(GraphRunError):
        sequential.run(inputs={"__tracker__": metadata.core_target}, targets=[metadata.core_target])


# As `rasa run` starts: the agent is loaded with the endpoints' tracker store, in a process that has not
# imported our components beforehand (this test module has, so it runs the load in a new process).
LOAD_AS_RASA_RUN_DOES = """
import asyncio, sys
from rasa.core.agent import load_agent
from rasa.core.utils import AvailableEndpoints
endpoints = AvailableEndpoints.read_endpoints(sys.argv[2])
agent = asyncio.run(load_agent(model_path=sys.argv[1], endpoints=endpoints))
print(type(agent.processor.graph_runner).__name__)
"""


def test_the_served_assistant_runs_its_graph_without_dask(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "endpoints.yml"
    endpoints_file.write_text(yaml.safe_dump(endpoints({}, "http://127.0.0.1:9/webhook")))
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_AS_RASA_RUN_DOES, str(MODEL), str(endpoints_file)],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'conversations.db'}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.split()[-1] == SequentialGraphRunner.__name__


# `rasa test core` as `make test-conversations` runs it, with the agent it tests shown before it tests it.
RASA_TEST_CORE = """
import sys
import rasa.core.test
from rasa.__main__ import main

rasa_test = rasa.core.test.test

async def test_showing_the_runner(stories, agent, *args, **kwargs):
    print("runner:", type(agent.processor.graph_runner).__name__, flush=True)
    return await rasa_test(stories, agent, *args, **kwargs)

rasa.core.test.test = test_showing_the_runner
sys.argv = ["rasa", "test", "core", "--model", sys.argv[1], "--stories", sys.argv[2],
            "--fail-on-prediction-errors", "--out", sys.argv[3]]
main()
"""


def test_the_conversation_tests_run_the_served_runner(tmp_path: Path) -> None:
    stories = Path(__file__).resolve().parents[2] / "conversations" / "emergency.yml"
    tested = subprocess.run(
        [sys.executable, "-c", RASA_TEST_CORE, str(MODEL), str(stories), str(tmp_path / "results")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tested.returncode == 0, tested.stderr[-3000:]
    assert f"runner: {SequentialGraphRunner.__name__}" in tested.stdout.splitlines()
