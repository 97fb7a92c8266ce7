"""Every change this project makes to how Rasa 3.6 itself runs, applied by one call, `apply()`.

`components/__init__.py` calls it, and nothing else does: Rasa imports that package in every process that
loads our model (`rasa run`, `rasa shell`, `rasa test`, `rasa train`), for the tracker store, channels,
importers and NLU components that endpoints.yml, credentials.yml and config.yml name. Rasa 3.6 has no
documented hook that runs earlier, and no extension point for any of these changes; where it has one, it is
used instead (a session's start: actions/session.py; the action server's token: rasa_sdk_plugins).

Before anything is changed, `apply` checks that the installed Rasa and Rasa SDK are the versions this was
written for and that every target exists with the parameters each change expects (guard.py), and raises
RasaLayerError naming the target otherwise: all or nothing, at start-up. Applying twice changes nothing more.

The changes, in the order they are applied (each module says why, with its measurement):
0. overrides: nothing applied, only checked: the private methods of Rasa's that our tracker store and Slack
   channel override by subclassing.
1. action_server: one kept-alive connection to the action server; its answers checked against Rasa's schema
   a hundred times faster; only the recent events sent.
2. graph_runner: each message's graph run as plain calls, without dask's scheduler.
3. sessions: a long conversation starts a new session at a quiet moment.
4. outages: a clear reply, never silence, when the action server or the database is down; an emergency is
   still escalated. After action_server, whose request it sends when it runs an action in Rasa's process.
5. garbage_collector: what is imported by now frozen out of the collector's sight; last, so that it freezes
   everything above too.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Sequence

from components.rasa_layer import (
    action_server,
    garbage_collector,
    graph_runner,
    outages,
    overrides,
    sessions,
)
from components.rasa_layer.guard import RasaLayerError, check_targets, check_versions

__all__ = ["CHANGES", "RasaLayerError", "apply", "applied"]

CHANGES: Sequence[ModuleType] = (overrides, action_server, graph_runner, sessions, outages, garbage_collector)

_applied = False


def check(changes: Sequence[Any] = CHANGES) -> None:
    """Raises RasaLayerError unless every change can be applied to the Rasa installed."""
    check_versions()
    for change in changes:
        check_targets(change.TARGETS)


def install(changes: Sequence[Any]) -> None:
    """Checks every change, then (only if all pass) applies them in order."""
    check(changes)
    for change in changes:
        change.install()


def apply() -> None:
    """The layer: every change, checked, then applied in order; once per process."""
    global _applied
    if not _applied:
        install(CHANGES)
        _applied = True


def applied() -> bool:
    return _applied
