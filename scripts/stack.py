"""The running assistant as tests and `make bench` start it: the action server and Rasa as separate processes.

The same commands as scripts/run.sh (`make run`), on free ports and a database of the caller's choosing, so a
test can stop, kill or restart one part, and a benchmark can time the start-up.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.rate_limit import CLIENT_BURST, CLIENT_PER_MINUTE, SENDER_BURST, SENDER_PER_MINUTE
from bot.storage.migrations import migrate
from components.channels.chat_socket import DEFAULT_ORIGINS
from scripts.credentials import enabled_credentials
from scripts.endpoints import endpoints

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "twitchcheck.tar.gz"
RASA = Path(sys.executable).with_name("rasa")
START_TIMEOUT_SECONDS = 240
# Tests and benchmarks send messages at machine speed, all from 127.0.0.1: fair-use limits far above that, so
# that every message still goes through the limiter and none is turned away. A test of the limits, or the
# flood of `make bench`, passes its own in `env`.
MACHINE_SPEED_LIMITS = {
    SENDER_BURST: "1000",
    SENDER_PER_MINUTE: "600000",
    CLIENT_BURST: "1000",
    CLIENT_PER_MINUTE: "600000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(
    url: str, process: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT_SECONDS
) -> None:
    """Waits until `url` answers; fails with the end of the log if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f}s:\n{log.read_text()[-4000:]}")


@dataclass
class Assistant:
    """A running TwitchCheck: send messages over the REST channel as a person would."""

    url: str
    workdir: Path  # where the stack keeps its logs (and, for SQLite, its database)
    rest_token: str = ""  # the REST channel's bearer token (default namespace)

    @property
    def headers(self) -> dict[str, str]:
        """What a REST caller sends: JSON, with the integrator's token."""
        token = {"Authorization": f"Bearer {self.rest_token}"} if self.rest_token else {}
        return {"Content-Type": "application/json", **token}

    def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=body, headers=self.headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    @staticmethod
    def text(replies: list[dict[str, Any]]) -> str:
        return "\n".join(reply.get("text", "") for reply in replies if reply.get("text"))

    @staticmethod
    def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
        return [button for reply in replies for button in reply.get("buttons") or []]


class Stack:
    """The action server and Rasa as separate processes, so that one part can be restarted, stopped or killed.

    `env` adds variables (REDIS_URL for a shared lock store, SANIC_WORKERS, channel secrets, fair-use limits
    other than MACHINE_SPEED_LIMITS...); `model` is the trained model to serve. `startup_seconds` is how long
    the last start of Rasa took until it answered.
    """

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        env: Mapping[str, str] | None = None,
        model: Path = MODEL,
        name: str = "",
    ) -> None:
        self.workdir = workdir
        self.model = model
        self.name = name  # distinguishes the logs of several stacks in one folder
        self.actions_port, self.rasa_port = free_port(), free_port()
        self.env = {
            **os.environ,
            # Rasa and its action server share a token, as under `make run` (rasa_sdk_plugins).
            "ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
            # As served (deploy/): REST only with a token, web sessions signed with a shared secret.
            "TWITCHCHECK_REST_TOKEN": secrets.token_urlsafe(32),
            "TWITCHCHECK_SESSION_SECRET": secrets.token_urlsafe(32),
            **MACHINE_SPEED_LIMITS,
            **(env or {}),
            "DATABASE_URL": database_url,
            "TWITCHCHECK_PUBLIC_URL": f"http://127.0.0.1:{self.rasa_port}",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.endpoints = workdir / f"endpoints{name}.yml"
        self.endpoints.write_text(
            yaml.safe_dump(endpoints(self.env, f"http://127.0.0.1:{self.actions_port}/webhook"))
        )
        # Only the channels whose variables are set, as scripts/run.sh does.
        self.credentials = workdir / f"credentials{name}.yml"
        self.credentials.write_text(yaml.safe_dump(enabled_credentials(self.env)[0]))
        self.actions: subprocess.Popen | None = None
        self.rasa: subprocess.Popen | None = None
        self.startup_seconds = float("nan")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def _start(self, part: str, command: list[str], health: str) -> subprocess.Popen:
        log = self.workdir / f"{part}{self.name}.log"
        # Its own process group: Sanic workers (SANIC_WORKERS) are stopped or killed with their parent.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(health, process, log)
        return process

    def start_actions(self) -> None:
        self.actions = self._start(
            "actions",
            [str(RASA), "run", "actions", "--actions", "actions", "--port", str(self.actions_port)],
            f"http://127.0.0.1:{self.actions_port}/health",
        )

    def start(self) -> Assistant:
        migrate(self.env["DATABASE_URL"])  # as scripts/run.sh does before `make run` starts anything
        if self.actions is None:
            self.start_actions()
        started = time.perf_counter()
        self.rasa = self._start(
            "rasa",
            [
                str(RASA),
                "run",
                "--model",
                str(self.model),
                "--endpoints",
                str(self.endpoints),
                "--credentials",
                str(self.credentials),
                "--port",
                str(self.rasa_port),
                # As scripts/run.sh: CORS only for the chat page's origins.
                "--cors",
                *self.env.get("TWITCHCHECK_CHAT_ORIGINS", DEFAULT_ORIGINS).split(),
            ],
            f"{self.url}/webhooks/rest/",
        )
        self.startup_seconds = time.perf_counter() - started
        token = self.env.get("TWITCHCHECK_REST_TOKEN", "")
        return Assistant(url=self.url, workdir=self.workdir, rest_token=token)

    def processes(self) -> list[subprocess.Popen]:
        return [p for p in (self.rasa, self.actions) if p is not None]

    def stop_rasa(self) -> None:
        _stop(self.rasa)
        self.rasa = None

    def kill_rasa(self) -> None:
        """As a crash: SIGKILL, no chance to finish anything."""
        if self.rasa is not None:
            _signal_group(self.rasa, signal.SIGKILL)
            self.rasa.wait()
            self.rasa = None

    def stop_actions(self) -> None:
        _stop(self.actions)
        self.actions = None

    def stop(self) -> None:
        self.stop_rasa()
        self.stop_actions()


def _stop(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
