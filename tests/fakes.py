"""Loopback stand-ins for services these machines cannot reach (Slack's Web API, Telegram's Bot API).

Each is a real HTTP server on 127.0.0.1 that answers as the service does and records every call, so tests
can assert what the assistant sent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str  # the API method: chat.postMessage, sendMessage, ...
    path: str
    fields: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    """An answer the service gives when it fails: the HTTP status, the JSON body and any headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeApi:
    """A loopback API server. `reply(method, fields)` gives the JSON it answers; `fail(method, failure)`
    makes the next calls of a method fail as the service fails."""

    def __init__(self, method_of: Callable[[str], str], reply: Callable[[str, dict], dict]) -> None:
        self.calls: list[Call] = []
        self._failures: dict[str, list[Failure]] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                content_type = self.headers.get("Content-Type", "")
                if "json" in content_type and raw:
                    fields = json.loads(raw)
                else:
                    query = raw or urlsplit(self.path).query
                    fields = {k: v[0] for k, v in parse_qs(query).items()}
                path = urlsplit(self.path).path
                method = method_of(path)
                with fake._lock:
                    fake.calls.append(Call(method, path, fields, dict(self.headers.items())))
                    queued = fake._failures.get(method)
                    failure = queued.pop(0) if queued else None
                if failure is None:
                    status, answer, headers = 200, reply(method, fields), {}
                else:
                    status, answer, headers = failure.status, failure.body, failure.headers
                body = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail(self, method: str, failure: Failure, times: int = 1) -> None:
        """The next `times` calls of `method` get `failure` instead of the usual answer."""
        with self._lock:
            self._failures.setdefault(method, []).extend([failure] * times)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int, timeout: float = 60) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.1)
        raise AssertionError(f"{method} was called {len(self.calls_to(method))} times, expected {count}")

    def settle(self, quiet: float = 2.0, timeout: float = 60) -> None:
        """Waits until no call has arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        seen, since = len(self.calls), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if len(self.calls) != seen:
                seen, since = len(self.calls), time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def fake_slack() -> FakeApi:
    """Slack's Web API: POST /api/<method>, answering {"ok": true} with a message ts."""

    def reply(method: str, fields: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT"}
        return {"ok": True, "channel": fields.get("channel"), "ts": f"{time.time():.6f}"}

    return FakeApi(lambda path: path.rsplit("/", 1)[-1], reply)


def fake_telegram(bot_name: str = "twitchcheck_test_bot") -> FakeApi:
    """Telegram's Bot API: /bot<token>/<method>, answering {"ok": true, "result": ...}."""
    counter = iter(range(1, 1_000_000))

    def reply(method: str, fields: dict) -> dict:
        if method == "getMe":
            return {
                "ok": True,
                "result": {"id": 42, "is_bot": True, "first_name": "TwitchCheck", "username": bot_name},
            }
        if method == "sendMessage":
            return {
                "ok": True,
                "result": {
                    "message_id": next(counter),
                    "date": int(time.time()),
                    "chat": {"id": int(fields.get("chat_id", 0)), "type": "private"},
                    "text": fields.get("text", ""),
                },
            }
        return {"ok": True, "result": True}

    return FakeApi(lambda path: path.rsplit("/", 1)[-1], reply)
