"""Shared fixtures. `assistant` runs the real stack: the action server and Rasa with the trained model,
on free ports with a throwaway SQLite tracker store, once per test session."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy
import yaml

from bot.store import migrate
from components.chat_socket import DEFAULT_ORIGINS
from scripts.credentials import enabled_credentials

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "twitchcheck.tar.gz"
RASA = Path(sys.executable).with_name("rasa")
START_TIMEOUT_SECONDS = 240
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_or_skip() -> sqlalchemy.engine.Engine:
    """An engine on the test PostgreSQL; where it is unreachable the test is skipped with the reason, or
    fails when TWITCHCHECK_REQUIRE_POSTGRES is set (CI sets it)."""
    engine = sqlalchemy.create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("select 1"))
    except sqlalchemy.exc.OperationalError as error:
        reason = f"PostgreSQL at {POSTGRES_URL} is not reachable ({error.orig})"
        if os.environ.get("TWITCHCHECK_REQUIRE_POSTGRES"):
            pytest.fail(reason + " and TWITCHCHECK_REQUIRE_POSTGRES is set")
        pytest.skip(reason)
    return engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {START_TIMEOUT_SECONDS}s:\n{log.read_text()[-4000:]}")


@dataclass
class Assistant:
    """A running TwitchCheck: send messages over the REST channel as a person would."""

    url: str
    workdir: Path  # where the stack keeps its logs (and, for SQLite, its database)

    def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    @staticmethod
    def text(replies: list[dict[str, Any]]) -> str:
        return "\n".join(reply.get("text", "") for reply in replies if reply.get("text"))

    @staticmethod
    def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
        return [button for reply in replies for button in reply.get("buttons") or []]


class Stack:
    """The action server and Rasa as separate processes, so that a test can restart Rasa alone."""

    def __init__(self, workdir: Path, database_url: str, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.actions_port, self.rasa_port = free_port(), free_port()
        self.env = {
            **os.environ,
            **(env or {}),
            "DATABASE_URL": database_url,
            "TWITCHCHECK_PUBLIC_URL": f"http://127.0.0.1:{self.rasa_port}",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.endpoints = workdir / "endpoints.yml"
        self.endpoints.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.actions_port}/webhook"\n'
            "tracker_store:\n  type: components.tracker_store.DatabaseUrlTrackerStore\n"
        )
        # Only the channels whose variables are set, as scripts/run.sh does.
        self.credentials = workdir / "credentials.yml"
        self.credentials.write_text(yaml.safe_dump(enabled_credentials(self.env)[0]))
        self.actions: subprocess.Popen | None = None
        self.rasa: subprocess.Popen | None = None

    def _start(self, name: str, command: list[str], health: str) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log.open("a"), stderr=subprocess.STDOUT
        )
        _wait_until_up(health, process, log)
        return process

    def start(self) -> Assistant:
        migrate(self.env["DATABASE_URL"])  # as scripts/run.sh does before `make run` starts anything
        if self.actions is None:
            self.actions = self._start(
                "actions",
                [str(RASA), "run", "actions", "--actions", "actions", "--port", str(self.actions_port)],
                f"http://127.0.0.1:{self.actions_port}/health",
            )
        self.rasa = self._start(
            "rasa",
            [
                str(RASA),
                "run",
                "--model",
                str(MODEL),
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
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/",
        )
        return Assistant(url=f"http://127.0.0.1:{self.rasa_port}", workdir=self.workdir)

    def stop_rasa(self) -> None:
        _stop(self.rasa)
        self.rasa = None

    def stop(self) -> None:
        self.stop_rasa()
        _stop(self.actions)
        self.actions = None


def _stop(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it for you)")
    workdir = tmp_path_factory.mktemp("assistant")
    stack = Stack(workdir, f"sqlite:///{workdir / 'conversations.db'}")
    try:
        yield stack.start()
    finally:
        stack.stop()
