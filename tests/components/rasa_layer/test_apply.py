"""The layer over Rasa applies only to the Rasa it was written for, all or nothing, once."""

from __future__ import annotations

import gc
import inspect
import subprocess
import sys
from types import SimpleNamespace
from typing import Any, List

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor

import components  # noqa: F401  (applies the changes, as loading our model does)
from components import rasa_layer
from components.channels.slack import SlackCards
from components.rasa_layer import action_server, outages, overrides, sessions
from components.rasa_layer.guard import (
    RasaLayerError,
    Target,
    check_targets,
    check_versions,
    original,
    replace,
)
from components.stores.tracker_store import ConversationStore


def test_the_layer_is_applied_and_every_target_is_as_it_expects() -> None:
    assert rasa_layer.applied()
    rasa_layer.check()  # raises RasaLayerError otherwise


def test_applying_again_changes_nothing() -> None:
    def changed() -> tuple:
        return RemoteAction.run, RemoteAction._action_call_format, MessageProcessor._has_session_expired

    before, frozen = changed(), gc.get_freeze_count()
    rasa_layer.apply()
    assert changed() == before
    assert gc.get_freeze_count() == frozen


def test_rasas_own_is_kept_for_each_change() -> None:
    assert RemoteAction.run is outages.run_remote_action
    assert original(RemoteAction, "run") is outages.rasa_run_remote_action is not outages.run_remote_action
    assert original(MessageProcessor, "_has_session_expired") is sessions.rasa_has_session_expired
    assert original(RemoteAction, "_action_call_format").__module__ == "rasa.core.actions.action"
    assert action_server.action_call.__module__ == "components.rasa_layer.action_server"


@pytest.mark.parametrize(
    ("rasa_version", "sdk_version", "named"),
    [
        ("3.6.20", "3.6.2", "Rasa 3.6.20"),
        ("3.7.0", "3.6.2", "Rasa 3.7.0"),
        ("3.6.21", "3.7.0", "Rasa SDK 3.7.0"),
    ],
)
def test_another_rasa_version_stops_the_start(rasa_version: str, sdk_version: str, named: str) -> None:
    with pytest.raises(RasaLayerError, match=named):
        check_versions(rasa_version, sdk_version)
    check_versions("3.6.21", "3.6.9")


class Rasa:
    """Stands for a Rasa class whose code moved."""

    def handle(self, message: str) -> str:
        return message


def test_a_missing_target_is_named() -> None:
    with pytest.raises(RasaLayerError, match=r"test_apply\.Rasa\.handle_message is missing"):
        check_targets([Target(Rasa, "handle_message", ("self", "message"))])


def test_a_changed_signature_is_named() -> None:
    with pytest.raises(RasaLayerError, match=r"test_apply\.Rasa\.handle has changed.*\('self', 'message'\)"):
        check_targets([Target(Rasa, "handle", ("self", "message", "tracker"))])
    check_targets([Target(Rasa, "handle", ("self", "message"))])


def test_nothing_is_changed_unless_every_change_can_be() -> None:
    installed: List[str] = []
    fine = SimpleNamespace(
        TARGETS=[Target(Rasa, "handle", ("self", "message"))], install=lambda: installed.append("a")
    )
    moved = SimpleNamespace(TARGETS=[Target(Rasa, "gone")], install=lambda: installed.append("b"))
    with pytest.raises(RasaLayerError, match="Rasa.gone is missing"):
        rasa_layer.install([fine, moved])
    assert installed == []


def test_replacing_keeps_the_first_original() -> None:
    class Owner:
        def handle(self) -> str:
            return "rasa"

    def ours(self: Any) -> str:
        return "ours"

    replace(Owner, "handle", ours)
    replace(Owner, "handle", ours)
    assert Owner().handle() == "ours" and original(Owner, "handle")(Owner()) == "rasa"


# A Rasa whose processor no longer has the method the session change replaces, then our package loaded as
# Rasa loads it: the start stops, naming the target, before any change is made.
START_WITH_A_MOVED_TARGET = """
import rasa.core.actions.action, rasa.core.processor
del rasa.core.processor.MessageProcessor._has_session_expired
run = rasa.core.actions.action.RemoteAction.run
try:
    import components
except Exception as error:
    print(type(error).__name__, error)
print("unchanged" if rasa.core.actions.action.RemoteAction.run is run else "changed")
"""


def test_a_moved_target_stops_rasa_at_start_up_with_its_name() -> None:
    started = subprocess.run(
        [sys.executable, "-c", START_WITH_A_MOVED_TARGET], capture_output=True, text=True, timeout=300
    )
    said = started.stdout.splitlines()
    missing = "RasaLayerError rasa.core.processor.MessageProcessor._has_session_expired is missing"
    assert said[-2].startswith(missing), started.stdout + started.stderr[-2000:]
    assert said[-1] == "unchanged"


def test_our_subclasses_override_rasas_private_methods_with_their_parameters() -> None:
    ours = {"_retrieve": ConversationStore, "_post_message": SlackCards}
    for target in overrides.TARGETS:
        override = vars(ours[target.name])[target.name]
        assert tuple(inspect.signature(override).parameters) == target.parameters
        assert issubclass(ours[target.name], target.owner)
