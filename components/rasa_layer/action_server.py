"""How Rasa talks to the action server, made cheaper without changing what it accepts.

Both were large in py-spy profiles of Rasa under `make bench`:

- Checking each answer against Rasa's JSON schema. Rasa 3.6 calls `jsonschema.validate`, which checks the
  schema itself against the meta-schema and builds a validator every time (half of Rasa's CPU at 10 users,
  as in RasaHQ/rasa#11717). Here the schema is compiled once, to Python code (fastjsonschema). And since
  each of the schema's 23 event kinds is told apart by a constant `event` name, an event is checked against
  its own kind only, not all 23 in a `oneOf`; that accepts exactly what the `oneOf` accepts. An answer that
  fails is checked again by jsonschema against the whole schema, which decides, with Rasa's own error.
  Together: 0.04 ms for an answer of 10 events, against 4 ms.
- Writing the request. Rasa sends the whole conversation since the session started with every action
  (up to 160 events, each user message with its full parse): turning that into JSON was an eighth of
  Rasa's time. Here the request carries the events of the last two turns only (from the person's message
  before the latest one onwards), and everything else Rasa sends (slots, latest message, active loop...)
  as before. That is all the actions read: the latest message, the slots, the question asked in the turn
  before (actions/records.py), and rasa_sdk's slots_to_validate, which reads the events after the last
  action. The active loop is written as Rasa writes it, without its deep copy. The domain, which Rasa
  sends whole to every validate_ action (18 KB of JSON here, built anew each time), is sent to them as the
  slots and forms that rasa_sdk's validation reads, built once.
- Connecting. Rasa opens a new HTTP session, and a new connection, for every action it runs. Here each
  endpoint keeps one session (and its kept-alive connections) per event loop. An idle connection is given
  up after 2 s, before the action server's Sanic closes it at 5 s, so a request never races that close.

Applied by components/rasa_layer (`install`), never on import. The caches kept beside Rasa's domain and
endpoint objects are held here, by the objects' identity, not written into the objects.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import weakref
from functools import lru_cache
from types import TracebackType
from typing import Any, Callable, Dict, Generic, List, Optional, Tuple, Type, TypeVar

import aiohttp
import fastjsonschema
import jsonschema
import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import ACTIVE_LOOP, FOLLOWUP_ACTION
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from components.rasa_layer.guard import Target, replace

Check = Callable[[Any], Any]  # a compiled fastjsonschema check: raises JsonSchemaException if invalid
Kept = TypeVar("Kept")


class KeptBeside(Generic[Kept]):
    """A value kept for each of Rasa's objects, by identity, and forgotten with the object."""

    def __init__(self) -> None:
        self._entries: Dict[int, Tuple[weakref.ref, Kept]] = {}

    def get(self, owner: object, make: Callable[[], Kept]) -> Kept:
        entry = self._entries.get(id(owner))
        if entry is not None and entry[0]() is owner:
            return entry[1]
        key = id(owner)

        def forget(reference: weakref.ref) -> None:
            if self._entries.get(key, (None,))[0] is reference:
                del self._entries[key]

        value = make()
        self._entries[key] = (weakref.ref(owner, forget), value)
        return value


@lru_cache(maxsize=1)
def action_result_validator() -> jsonschema.protocols.Validator:
    """Rasa's whole schema for an action server's answer, compiled once (the arbiter, and its errors)."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@lru_cache(maxsize=1)
def _fast_checks() -> tuple[Check, Dict[str, Check]]:
    """The answer without its events, and one check per event kind (the common part and that kind)."""
    spec = RemoteAction.action_response_format_spec()
    events = spec["properties"]["events"]
    event = dict(events["items"])
    kinds = event.pop("oneOf")
    answer = {**spec, "properties": {**spec["properties"], "events": {**events, "items": {}}}}
    per_kind = {
        kind["properties"]["event"]["const"]: fastjsonschema.compile({**event, "allOf": [kind]})
        for kind in kinds
    }
    return fastjsonschema.compile(answer), per_kind


def is_valid_action_result(result: Any) -> bool:
    """What Rasa's schema accepts, checked event by event against each event's own kind."""
    answer, per_kind = _fast_checks()
    try:
        answer(result)
        for event in result.get("events") or []:
            check = per_kind.get(event.get("event")) if isinstance(event, dict) else None
            if check is None:
                return False
            check(event)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    if is_valid_action_result(result):
        return True
    error = jsonschema.exceptions.best_match(action_result_validator().iter_errors(result))
    if error is None:  # only the full check decides; the fast one is never stricter than it
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


# The latest message's turn and the two before: a follow-up is read with the answers and questions just
# before it ("the noise one" after "and the sleep one?" names a kind of the answer before that one).
TURNS_SENT = 3


def recent_events(tracker: DialogueStateTracker, turns: int = TURNS_SENT) -> List[Event]:
    """The tracker's events from its `turns`-th last user message onwards (all of them if it has fewer)."""
    events = tracker.events
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == turns:
                return list(itertools.islice(events, index, None))
    return list(events)


def action_call(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> Dict[str, Any]:
    """Rasa's request to the action server (RemoteAction._action_call_format), with recent events only."""
    loop = tracker.active_loop
    state = {
        "sender_id": tracker.sender_id,
        "slots": tracker.current_slot_values(),
        "latest_message": tracker._latest_message_data(),
        "latest_event_time": tracker.events[-1].timestamp if tracker.events else None,
        FOLLOWUP_ACTION: tracker.followup_action,
        "paused": tracker.is_paused(),
        "events": [event.as_dict() for event in recent_events(tracker)],
        "latest_input_channel": tracker.get_latest_input_channel(),
        ACTIVE_LOOP: {f.name: getattr(loop, f.name) for f in dataclasses.fields(loop)} if loop else {},
        "latest_action": tracker.latest_action,
        "latest_action_name": tracker.latest_action_name,
    }
    call = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled():
        call["domain"] = domain.as_dict()
    elif domain.does_custom_action_explicitly_need_domain(self.name()):
        call["domain"] = domain_for(self.name(), domain)
    return call


def domain_for(action: str, domain: Domain) -> Dict[str, Any]:
    """The domain as an action that asked for it is sent it. A validate_ action, which Rasa sends the domain
    unasked, is run by rasa_sdk's ValidationAction, which reads the slots and forms only: it gets those two.
    An action marked `send_domain: true` gets the whole domain. Built once per domain."""
    whole, validation = _sent_to_actions.get(domain, lambda: _domain_as_sent(domain))
    return validation if action.startswith("validate_") else whole


def _domain_as_sent(domain: Domain) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    whole = domain.as_dict()
    return whole, {key: whole[key] for key in ("slots", "forms") if key in whole}


_sent_to_actions: KeptBeside[Tuple[Dict[str, Any], Dict[str, Any]]] = KeptBeside()


class _KeptSession:
    """`async with` gives the endpoint's lasting session and leaves it open afterwards."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        return None


IDLE_CONNECTION_SECONDS = 2.0  # below Sanic's keep-alive timeout (5 s) on the action server


def _new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """As Rasa's EndpointConfig.session, with connections kept for a short while between actions."""
    auth = endpoint.basic_auth
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
    )


def kept_session(self: EndpointConfig) -> _KeptSession:
    """One session per endpoint and event loop (each Sanic worker has its own loop)."""
    loop = asyncio.get_running_loop()
    sessions = _kept_sessions.get(self, dict)
    session = sessions.get(loop)
    if session is None or session.closed:
        session = sessions[loop] = _new_session(self)
    return _KeptSession(session)


_kept_sessions: KeptBeside[Dict[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = KeptBeside()

TARGETS = [
    Target(RemoteAction, "_action_call_format", ("self", "tracker", "domain")),
    Target(RemoteAction, "_validate_action_result", ("self", "result")),
    Target(RemoteAction, "action_response_format_spec", ()),
    Target(RemoteAction, "_is_selective_domain_enabled", ("self",)),
    Target(Domain, "does_custom_action_explicitly_need_domain", ("self", "action_name")),
    Target(DialogueStateTracker, "_latest_message_data", ("self",)),
    Target(EndpointConfig, "session", ("self",)),
]


def install() -> None:
    replace(RemoteAction, "_action_call_format", action_call)
    replace(RemoteAction, "_validate_action_result", validate_action_result)
    replace(EndpointConfig, "session", kept_session)
