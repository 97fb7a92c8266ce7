"""Each message's graph, run as plain calls, gives what Rasa's dask runner gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest
from rasa.core.agent import Agent
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
from components.graph_runner import SequentialGraphRunner
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


def test_the_served_assistant_runs_its_graph_without_dask() -> None:
    agent = Agent.load(str(MODEL))
    assert isinstance(agent.processor.graph_runner, SequentialGraphRunner)
