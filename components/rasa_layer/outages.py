"""When a part of the assistant is down, the person gets a clear reply: never silence, never half a turn.

Rasa 3.6 on its own answers nothing at all when the action server cannot be reached: the processor logs the
error, drops the action's events and listens again, so "I can't breathe" got an empty reply. When the
database cannot be reached, Rasa's FailSafeTrackerStore carries on with an empty conversation kept in memory
and later forgets it: mid check-in, the person's answer was read as the start of a new conversation.
Here (applied by components/rasa_layer, `install`, never on import):

- The action server does not answer (refused, an error, a timeout): the person is told "I can't do that
  right now" and their message is taken back (UserUtteranceReverted; it stays in the tracker store), so
  that once the server is back, sending it again carries on where they were, at the same check-in question.
- Unless the message is an emergency or a person in crisis: then the emergency (or crisis) action runs here,
  in Rasa's own process, with the same code and words as on the action server, so the instruction to call
  emergency services, and the crisis lines, never depend on a second process. Inside the check-in the form
  gives way, as it does when the server is up, so that the emergency (or crisis) rule runs. Should even that
  fail, the instruction read when this module was imported is sent (bot/emergency.py: the same wording,
  without the reasons).
- The database stays unreachable after the tracker store's retries (components/stores/tracker_store.py): the
  person is told their message was not taken in and to send it again; an emergency still gets the
  instruction (the emergency screen needs no database). If only saving failed, the turn has been answered
  but is not stored, and the person is asked to send their last message again.
- A conversation's session starts with our `action_session_start` (actions/session.py). With the action server
  down it runs here, as the emergency action does, without using up the turn's one reply, so that a first
  message still gets its answer (or, for an emergency, the instruction); should even that fail, Rasa's own
  session start runs.

Rasa has no extension point for what happens when an action or the tracker store fails, so these are
changes to Rasa, each compared with Rasa's own behaviour in tests/components/rasa_layer/test_outages.py.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.actions.action import ActionSessionStart as RasaSessionStart
from rasa.core.actions.forms import FormAction
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

from actions.emergency import ActionEmergency
from actions.safety import ActionCrisis
from actions.session import ActionSessionStart
from bot.emergency import IF_URGENT, emergency_instruction
from bot.wording import wording
from components.nlu.deterministic_intents import CRISIS_INTENT, EMERGENCY_INTENT
from components.rasa_layer.guard import Target, original, replace
from components.stores.tracker_store import ConversationStoreUnavailable

logger = logging.getLogger(__name__)

EMERGENCY_ACTION = ActionEmergency().name()
# The actions that never depend on the action server: by the intent that runs each.
IN_PROCESS_ACTIONS = {EMERGENCY_INTENT: EMERGENCY_ACTION, CRISIS_INTENT: ActionCrisis().name()}
# The replies of an outage (data/wording.yml), read once, now, like the instruction below.
ACTION_SERVER_DOWN_REPLY = wording("outage_action_server_down", if_urgent=IF_URGENT)
NOT_TAKEN_IN_REPLY = wording("outage_not_taken_in", if_urgent=IF_URGENT)
NOT_SAVED_REPLY = wording("outage_not_saved", if_urgent=IF_URGENT)
# Sent only if the emergency action fails even in this process. Read once, now, when Rasa starts (a rule
# file that cannot be read stops it from starting), so that sending it depends on nothing that could break
# later.
LAST_RESORT_EMERGENCY_INSTRUCTION = emergency_instruction()


@dataclass
class Turn:
    """What the person has been told during the handling of one message."""

    replied: bool = False


_turn: ContextVar[Optional[Turn]] = ContextVar("twitchcheck_turn", default=None)
# Set while the check-in form runs: its validation is a remote call made on the form's behalf, and the
# form, not that call, decides what the person gets.
_inside_form: ContextVar[bool] = ContextVar("twitchcheck_inside_form", default=False)

# The actions that run in Rasa's own process when the action server cannot: the same code, the same words.
_in_process_executor = ActionExecutor()
for _action in (ActionEmergency, ActionCrisis, ActionSessionStart):
    _in_process_executor.register_action(_action)

# Rasa's own, which ours call through.
rasa_run_remote_action = original(RemoteAction, "run")
rasa_run_form = original(FormAction, "run")
rasa_handle_message = original(MessageProcessor, "handle_message")


class InRasa(EndpointConfig):
    """The action server's actions that never depend on it, answered in this process: Rasa's RemoteAction
    sends its request and reads the answer exactly as it does the action server's."""

    def __init__(self, like: Optional[EndpointConfig]) -> None:
        super().__init__("in-rasa://actions", **(like.kwargs if like else {}))

    async def request(self, *args: Any, json: Any = None, **kwargs: Any) -> Any:
        return await _in_process_executor.run(json)


class ActionServerUnavailable(RasaException):
    """A remote call made on behalf of another action failed; that action decides what to say."""


def is_emergency(tracker: DialogueStateTracker) -> bool:
    """An emergency or a crisis: what must be answered even with the action server down."""
    return (tracker.latest_message.intent or {}).get("name") in IN_PROCESS_ACTIONS


def in_process_action(intent: Optional[str]) -> str:
    return IN_PROCESS_ACTIONS.get(str(intent), EMERGENCY_ACTION)


async def emergency_here(
    endpoint: Optional[EndpointConfig],
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> List[Event]:
    """The emergency (or crisis) action run here, its answer read as the action server's would be."""
    action_name = in_process_action((tracker.latest_message.intent or {}).get("name"))
    action = RemoteAction(action_name, InRasa(endpoint))
    try:
        return await rasa_run_remote_action(action, output_channel, nlg, tracker, domain)
    except Exception:
        logger.exception("the emergency action failed in Rasa's process too; sending the fixed instruction")
        return [
            create_bot_utterance({"text": LAST_RESORT_EMERGENCY_INSTRUCTION}),
            ActiveLoop(None),
            SlotSet(REQUESTED_SLOT, None),
        ]


async def instead_of_action(
    action_name: str,
    endpoint: Optional[EndpointConfig],
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> List[Event]:
    """What the person gets when the action the assistant chose cannot run: said once per message."""
    turn = _turn.get() or Turn()
    if turn.replied:
        # A second action failing in the same turn adds nothing, and must not take back a second message.
        return []
    turn.replied = True
    if is_emergency(tracker):
        return await emergency_here(endpoint, output_channel, nlg, tracker, domain)
    # Rejected rather than logged as run: had the check-in form been logged as run, Rasa would fold this
    # turn into the form's earlier turns, and taking the message back would take back the whole check-in.
    return [
        ActionExecutionRejected(action_name),
        create_bot_utterance({"text": ACTION_SERVER_DOWN_REPLY}),
        UserUtteranceReverted(),
    ]


async def run_remote_action(
    self: RemoteAction,
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> List[Event]:
    try:
        return await rasa_run_remote_action(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # the action server's normal "not me" (a form rejecting a message), not a fault
    except Exception as error:
        logger.warning("the action server could not run %s: %s", self.name(), error)
        if self.name() == ACTION_SESSION_START_NAME:
            # A session starts whatever breaks, and says nothing: our action here, or else Rasa's own.
            try:
                here = RemoteAction(self.name(), InRasa(self.action_endpoint))
                return await rasa_run_remote_action(here, output_channel, nlg, tracker, domain)
            except Exception:
                logger.exception("our session start failed in Rasa's process too; starting Rasa's own")
                return await RasaSessionStart().run(output_channel, nlg, tracker, domain)
        if _inside_form.get():
            raise ActionServerUnavailable(f"the action server could not run {self.name()}") from error
        return await instead_of_action(
            self.name(), self.action_endpoint, output_channel, nlg, tracker, domain
        )


async def run_form(
    self: FormAction,
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> List[Event]:
    inside = _inside_form.set(True)
    try:
        return await rasa_run_form(self, output_channel, nlg, tracker, domain)
    except ActionServerUnavailable:
        pass
    finally:
        _inside_form.reset(inside)
    if is_emergency(tracker):
        # As when the server is up (the validation returns nothing): the form gives way and the emergency
        # rule runs action_emergency, which then runs here.
        raise ActionExecutionRejection(self.name(), "an emergency while the action server is down")
    return await instead_of_action(self.name(), self.action_endpoint, output_channel, nlg, tracker, domain)


def _let_outage_through(handler: Callable[[FailSafeTrackerStore, Exception], None]) -> Callable[..., None]:
    """FailSafeTrackerStore calls its error handler inside its `except`; raising there lets the outage
    reach `handle_message` instead of continuing with an empty in-memory conversation."""

    def on_error(self: FailSafeTrackerStore, error: Exception) -> None:
        if isinstance(error, ConversationStoreUnavailable):
            raise error
        handler(self, error)

    return on_error


async def reply_without_the_conversation(
    processor: MessageProcessor, message: UserMessage, outage: ConversationStoreUnavailable
) -> None:
    """The database is down: say so, and still give an emergency its instruction."""
    output_channel = message.output_channel
    if outage.writing:
        await output_channel.send_text_message(message.sender_id, NOT_SAVED_REPLY)
        return
    try:
        # The channel may have given the parse of what should be read (components/channels/reading.py):
        # without it, Rasa's payload parser would take '/inform{"a": 1} I can't breathe' for an "inform".
        parse_data = message.parse_data or await processor.parse_message(message)
    except Exception:
        logger.exception("could not read a message while the database is down")
        parse_data = {}
    intent = (parse_data.get("intent") or {}).get("name")
    if intent not in IN_PROCESS_ACTIONS:
        await output_channel.send_text_message(message.sender_id, NOT_TAKEN_IN_REPLY)
        return
    # The emergency action needs only this message; it runs on the action server, or here if that is down.
    said = UserUttered(message.text, parse_data["intent"], parse_data.get("entities"), parse_data)
    tracker = DialogueStateTracker.from_events(
        message.sender_id, [ActionExecuted(ACTION_LISTEN_NAME), said], processor.domain.slots
    )
    action = RemoteAction(in_process_action(intent), processor.action_endpoint)
    events = await action.run(output_channel, processor.nlg, tracker, processor.domain)
    await MessageProcessor._send_bot_messages(events, tracker, output_channel)


async def handle_message(self: MessageProcessor, message: UserMessage) -> Optional[List[Any]]:
    turn = _turn.set(Turn())
    try:
        return await rasa_handle_message(self, message)
    except ConversationStoreUnavailable as outage:
        await reply_without_the_conversation(self, message, outage)
        if isinstance(message.output_channel, CollectingOutputChannel):
            return message.output_channel.messages
        return None
    finally:
        _turn.reset(turn)


TARGETS = [
    Target(RemoteAction, "run", ("self", "output_channel", "nlg", "tracker", "domain")),
    # InRasa answers in the action server's place.
    Target(EndpointConfig, "request", ("self", "method", "subpath", "content_type", "compress", "kwargs")),
    Target(FormAction, "run", ("self", "output_channel", "nlg", "tracker", "domain")),
    Target(RasaSessionStart, "run", ("self", "output_channel", "nlg", "tracker", "domain")),
    Target(FailSafeTrackerStore, "on_tracker_store_error", ("self", "error")),
    Target(FailSafeTrackerStore, "on_tracker_store_retrieve_error", ("self", "error")),
    Target(MessageProcessor, "handle_message", ("self", "message")),
    Target(MessageProcessor, "parse_message", ("self", "message", "tracker", "only_output_properties")),
    Target(MessageProcessor, "_send_bot_messages", ("events", "tracker", "output_channel")),
]


def install() -> None:
    replace(RemoteAction, "run", run_remote_action)
    replace(FormAction, "run", run_form)
    for handler in ("on_tracker_store_error", "on_tracker_store_retrieve_error"):
        replace(FailSafeTrackerStore, handler, _let_outage_through(original(FailSafeTrackerStore, handler)))
    replace(MessageProcessor, "handle_message", handle_message)


__all__ = [
    "ACTION_SERVER_DOWN_REPLY",
    "TARGETS",
    "LAST_RESORT_EMERGENCY_INSTRUCTION",
    "NOT_SAVED_REPLY",
    "NOT_TAKEN_IN_REPLY",
    "emergency_here",
    "install",
    "instead_of_action",
]
