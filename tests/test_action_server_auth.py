"""The action server answers only its Rasa (rasa_sdk_plugins): a call to /webhook without the shared token,
or with another, is refused with a 401 and runs nothing; with it, the action runs. The health check stays
open. Tested against a real action server process, as `make run` starts it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.server
# The deletion action, for a conversation named by the caller: what an attacker inside the network would run.
CALL = {
    "next_action": "action_ask_delete",
    "sender_id": "someone-else",
    "tracker": {"sender_id": "someone-else", "slots": {}, "latest_message": {}, "events": [], "paused": False,
                "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"},
    "domain": {},
    "version": "3.6.21",
}


def call(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(CALL).encode(), headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory):
    workdir: Path = tmp_path_factory.mktemp("auth")
    stack = Stack(workdir, f"sqlite:///{workdir / 'twitchcheck.db'}")
    stack.start_actions()
    try:
        yield f"http://127.0.0.1:{stack.actions_port}", stack.env["ACTION_SERVER_TOKEN"]
    finally:
        stack.stop()


def test_a_call_without_the_token_is_refused(action_server) -> None:
    url, _ = action_server
    assert call(f"{url}/webhook", {}) == 401
    assert call(f"{url}/webhook", {"Authorization": "Bearer guessed"}) == 401
    assert call(f"{url}/webhook/", {}) == 401


def test_a_call_with_the_token_runs_the_action_and_health_stays_open(action_server) -> None:
    url, token = action_server
    assert call(f"{url}/webhook", {"Authorization": f"Bearer {token}"}) == 200
    with urllib.request.urlopen(f"{url}/health", timeout=10) as health:
        assert health.status == 200
