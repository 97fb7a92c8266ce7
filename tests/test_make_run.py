"""What a newcomer does: `make run` (scripts/run.sh), log a twitch over REST, stop it with Ctrl-C, start it
again, and the diary is still there. Runs the real script on free ports with its own SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import MODEL, ROOT, Assistant, free_port, wait_until_up

pytestmark = pytest.mark.server


def start_run_script(workdir: Path, env: dict[str, str]) -> subprocess.Popen:
    log = workdir / "run.log"
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "run.sh")],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_until_up(f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/", process, log)
    return process


def running_commands(session: int) -> list[str]:
    """The command lines of the processes still in `session` (run.sh's; other tests may run the same
    commands on this machine meanwhile)."""
    commands = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            # The fields after the command's name, which is in parentheses: state, ppid, pgrp, session.
            if int((process / "stat").read_text().rsplit(")", 1)[1].split()[3]) != session:
                continue
            commands.append((process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return commands


def ctrl_c(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_logged_twitch_is_still_listed_after_make_run_restarts(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    env = {
        **os.environ,
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "CHAT_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'twitchcheck.db'}",
    }
    for name in ("ACTION_SERVER_URL", "TELEGRAM_TOKEN", "SLACK_TOKEN"):
        env.pop(name, None)
    chat = Assistant(url=f"http://127.0.0.1:{env['RASA_PORT']}", workdir=tmp_path)
    me = f"make-run-{uuid.uuid4().hex[:8]}"

    process = start_run_script(tmp_path, env)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{env['CHAT_PORT']}/", timeout=10) as page:
            assert 'src="chat.js"' in page.read().decode()
        chat.send(me, "log a twitch in my right thigh")
        assert "right thigh" in Assistant.text(chat.send(me, "yes"))
        assert status(f"{chat.url}/status") == 404, "Rasa's HTTP API is off unless asked for"
        # REST needs no token from this machine itself, but does through a proxy or with a wrong token.
        assert rest_status(chat.url, {"X-Forwarded-For": "203.0.113.9"}) == 401
        assert rest_status(chat.url, {"Authorization": "Bearer wrong-token-wrong-token"}) == 401
        assert rest_status(chat.url, {}) == 200
        page_origin = f"http://localhost:{env['CHAT_PORT']}"
        assert allowed_origin(chat.url, page_origin) == page_origin
        assert allowed_origin(chat.url, "http://evil.example") is None
        assert "magnesium" in ask_in_the_widget(
            f"http://localhost:{env['CHAT_PORT']}/", "what has magnesium in it?"
        )
        # Retention runs beside the assistant: at start, then daily. So does the reminder worker, which
        # has no token to send with here and says so.
        log = (tmp_path / "run.log").read_text()
        assert "rows older than 365 days" in log
        assert "neither TELEGRAM_TOKEN nor SLACK_TOKEN is set" in log and "sent 0 reminders" in log
    finally:
        ctrl_c(process)
    left = running_commands(process.pid)
    for loop in ("scripts.records purge", "scripts.reminders"):
        assert not [line for line in left if loop in line], f"Ctrl-C stops {loop} too"

    # Started again, this time with the HTTP API on: it then needs the token.
    process = start_run_script(tmp_path, {**env, "TWITCHCHECK_ENABLE_API": "1", "RASA_API_TOKEN": "s3cret"})
    try:
        assert "right thigh" in Assistant.text(chat.send(me, "show my twitch log"))
        assert status(f"{chat.url}/status") == 401
        assert status(f"{chat.url}/status?token=wrong") == 401
        assert status(f"{chat.url}/status?token=s3cret") == 200
    finally:
        ctrl_c(process)


def ask_in_the_widget(page_url: str, question: str) -> str:
    """Types the question into the chat page in Chromium; returns the assistant's first answer, lower case."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(page_url)
            page.get_by_label("Your message").fill(question)
            page.keyboard.press("Enter")
            answer = page.locator(".tc-bot:not(.tc-greeting)").first  # after the widget's own greeting
            answer.wait_for(timeout=60_000)
            return answer.inner_text().lower()
        finally:
            browser.close()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def rest_status(rasa_url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        data=b'{"sender": "proxy-check", "message": "hi"}',
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def allowed_origin(rasa_url: str, origin: str) -> str | None:
    """The Access-Control-Allow-Origin a browser on `origin` gets from the REST channel."""
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        data=b'{"sender": "cors-check", "message": "hi"}',
        headers={"Content-Type": "application/json", "Origin": origin},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Access-Control-Allow-Origin")


def test_the_http_api_is_never_served_without_a_token(tmp_path: Path) -> None:
    env = {**os.environ, "TWITCHCHECK_ENABLE_API": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    env.pop("RASA_API_TOKEN", None)
    result = subprocess.run(
        [str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "needs RASA_API_TOKEN" in result.stderr
