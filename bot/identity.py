"""Whose conversation a message belongs to: every conversation id names its channel, so no channel can
address another channel's people.

A person is known by their conversation id, and everything kept about them (the conversation, the diary,
the check-in results, consent, summary links) is filed under it. A channel's own id for a person is not
enough: a Telegram chat id is a small number, a Slack user id is visible to the whole workspace, and the
REST channel lets its caller name any sender. So each channel files its people under its own prefix, and
only that channel can produce ids under it:

    rest:<namespace>:<sender>   an integrator's namespace (one per REST token) and the sender it names
    web:<session>               a web chat session the server issued and signed (WebSessions)
    slack:<team>:<user>         a Slack user of one workspace
    telegram:<chat>             a Telegram private chat

Ids written before channels were named are moved by the migration 0003 (`legacy_conversation_id`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Dict, Mapping, Optional

REST, WEB, SLACK, TELEGRAM = "rest", "web", "slack", "telegram"
CHANNELS = (REST, WEB, SLACK, TELEGRAM)
SEPARATOR = ":"
# The namespace of REST callers with the single TWITCHCHECK_REST_TOKEN, and of make run's loopback callers.
DEFAULT_NAMESPACE = "default"
# Where the migration puts web sessions from before signed sessions: no client can ask for them again.
LEGACY = "legacy"
NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Rasa's SQL tracker store keeps the conversation id in a VARCHAR(255): the longest prefix is
# "rest:" + a 32-character namespace + ":", so a REST sender has 200 characters to itself.
MAX_ID_CHARS = 255
MAX_REST_SENDER_CHARS = 200
# Rasa's Socket.IO channel names the channel "socketio"; the others by their own names.
RASA_CHANNEL_NAMES = {"socketio": WEB, "rest": REST, "slack": SLACK, "telegram": TELEGRAM}


def rest_id(namespace: str, sender: str) -> str:
    return f"{REST}{SEPARATOR}{namespace}{SEPARATOR}{sender}"


def web_id(session_key: str) -> str:
    return f"{WEB}{SEPARATOR}{session_key}"


def slack_id(team: str, user: str) -> str:
    return f"{SLACK}{SEPARATOR}{team}{SEPARATOR}{user}"


def telegram_id(chat: object) -> str:
    return f"{TELEGRAM}{SEPARATOR}{chat}"


def channel_of(conversation_id: str) -> Optional[str]:
    """The channel an id belongs to; None for an id from before channels were named."""
    prefix, separator, _ = conversation_id.partition(SEPARATOR)
    return prefix if separator and prefix in CHANNELS else None


def address_of(conversation_id: str) -> str:
    """What the channel itself calls the person, to reply to them: the Telegram chat, the Slack user, the REST
    sender. An id without a channel is returned as it is."""
    channel = channel_of(conversation_id)
    if channel is None:
        return conversation_id
    parts = 2 if channel in (REST, SLACK) else 1
    return conversation_id.split(SEPARATOR, parts)[-1]


def legacy_conversation_id(old_id: str, rasa_channel: Optional[str], slack_team: Optional[str] = None) -> str:
    """Where a conversation id from before channels were named goes, given the channel its messages came in
    on (Rasa's `input_channel`; None when nothing tells). REST conversations join the default namespace, as
    their callers had no namespace; Telegram and Slack ones stay theirs (Slack under `slack_team`, the
    workspace the bot was installed in). A web session was chosen by the browser, not issued by the server,
    so it goes where no client can ask for it again; it stays until the retention purge. With no channel
    known, a number is a Telegram chat (Rasa's REST callers rarely use bare numbers), anything else REST."""
    if channel_of(old_id) is not None:
        return old_id
    channel = RASA_CHANNEL_NAMES.get(rasa_channel or "")
    if channel is None:
        channel = TELEGRAM if re.fullmatch(r"-?\d+", old_id) else REST
    if channel == TELEGRAM:
        return telegram_id(old_id)
    if channel == SLACK:
        return slack_id(slack_team or LEGACY, old_id)
    if channel == WEB:
        return web_id(f"{LEGACY}-{old_id}")
    return rest_id(DEFAULT_NAMESPACE, old_id)


class RestTokens:
    """The REST channel's callers: each bearer token opens one namespace.

    TWITCHCHECK_REST_TOKENS lists `namespace=token` pairs separated by spaces or commas (one per integrator);
    TWITCHCHECK_REST_TOKEN is a single token for the default namespace. Tokens are compared in constant time
    and only their hashes are kept in memory."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        for namespace in tokens.values():
            if not NAMESPACE.match(namespace):
                raise ValueError(
                    f"REST namespace {namespace!r}: use 1 to 32 lower-case letters, digits, '-' or '_'"
                )
        self._namespaces: Dict[bytes, str] = {_digest(token): ns for token, ns in tokens.items()}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> RestTokens:
        tokens: Dict[str, str] = {}
        single = environ.get("TWITCHCHECK_REST_TOKEN", "").strip()
        if single:
            tokens[single] = DEFAULT_NAMESPACE
        for pair in re.split(r"[\s,]+", environ.get("TWITCHCHECK_REST_TOKENS", "").strip()):
            if not pair:
                continue
            namespace, equals, token = pair.partition("=")
            if not equals or not token:
                raise ValueError("TWITCHCHECK_REST_TOKENS: write each pair as namespace=token")
            tokens[token] = namespace
        for token in tokens:
            if len(token) < 16:
                raise ValueError("a REST token must be at least 16 characters long")
        return cls(tokens)

    def __bool__(self) -> bool:
        return bool(self._namespaces)

    def namespace(self, authorization: Optional[str]) -> Optional[str]:
        """The namespace an `Authorization: Bearer <token>` header opens; None for any other header."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = _digest(token.strip())
        found = None
        for known, namespace in self._namespaces.items():
            if hmac.compare_digest(known, digest):
                found = namespace
        return found


class WebSessions:
    """Web chat sessions the server issues: a random key and its HMAC under the server's secret.

    The browser keeps `<key>.<mac>` and presents it to rejoin its conversation; the conversation is filed as
    `web:<key>`. Without the secret nobody can make an id that checks, so a client that asks for an id it was
    not issued (another person's, a guessed one, one it chose) is given a new session instead."""

    KEY_BYTES = 24

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the web session secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, key: str) -> str:
        return hmac.new(self._secret, f"twitchcheck-web-session:{key}".encode(), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        key = secrets.token_urlsafe(self.KEY_BYTES)
        return f"{key}.{self._mac(key)}"

    def conversation_of(self, session_id: object) -> Optional[str]:
        """The conversation a presented session id opens; None unless this server issued it."""
        if not isinstance(session_id, str) or len(session_id) > 200:
            return None
        key, dot, mac = session_id.rpartition(".")
        if not dot or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", key):
            return None
        if not hmac.compare_digest(mac.encode(), self._mac(key).encode()):
            return None
        return web_id(key)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
