"""rasa-webchat 1.0.1, the widget many Rasa sites already embed, against the real stack in Chromium.

The page is the README's snippet ("Embedding rasa-webchat") as written, on a site of the test's own whose
origin Rasa allows, with the bundle committed in tests/vendor/ (pinned in web/package.json). Every request
that would leave the machine is blocked. Through rasa-webchat's own UI: the greeting, a whole check-in by
buttons and typed answers, the assessment as text (rasa-webchat draws no card: the level's name and the
sources' titles must be in the words), and a reload that keeps the conversation in the same session.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import pytest
from playwright import sync_api

from bot.wording import wording
from tests.conftest import MODEL, ROOT, Stack, free_port

pytestmark = pytest.mark.server
CHROMIUM = Path("/usr/bin/chromium")
BUNDLE = ROOT / "tests" / "vendor" / "rasa-webchat.js"
SHOTS = ROOT / "results" / "screenshots"
TIMEOUT_MS = 60_000
README_SOCKET_URL = "https://bot.example.org"

# Each check-in question by how it begins, and how the person answers it: a button or words of their own.
CHECK_IN = (
    ("First, the urgent part", "press", "None of these"),
    ("Where do you feel the twitching?", "press", "Leg or calf"),
    ("How long has it been going on?", "press", "2 weeks to a month"),
    ("How often does it happen?", "type", "every day"),
    ("Have you noticed any of these?", "type", "none"),
    ("And any of these?", "press", "None of these"),
    ("How many cups", "press", "5 or more"),
    ("About how many hours do you sleep", "type", "6 hours"),
    ("Lately, has any of these", "type", "stressed at work"),
    ("Do you take any of these regularly?", "press", "None of these"),
)


def readme_snippet() -> str:
    """The HTML the README's "Embedding rasa-webchat" tells a site to paste."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Embedding rasa-webchat", 1)[1]
    return re.search(r"```html\n(.*?)```", section, re.DOTALL)[1]


class Site(NamedTuple):
    url: str
    stack: Stack


def serve(port: int, page: str) -> ThreadingHTTPServer:
    files = {
        "/": (page.encode(), "text/html"),
        "/js/rasa-webchat.js": (BUNDLE.read_bytes(), "text/javascript"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body, kind = files.get(self.path.split("?")[0], (b"Not found", "text/plain"))
            self.send_response(200 if self.path.split("?")[0] in files else 404)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `make browser` installs Debian's chromium (make test does it)")
    if not BUNDLE.exists():
        pytest.fail("no tests/vendor/rasa-webchat.js: `make vendor` copies it from npm")
    workdir = tmp_path_factory.mktemp("rasa_webchat")
    port = free_port()
    # The README's setting for a site of one's own: its origin, and nothing else.
    stack = Stack(
        workdir, f"sqlite:///{workdir / 'twitchcheck.db'}", {"TWITCHCHECK_CHAT_ORIGINS": f"http://127.0.0.1:{port}"}
    )
    server = None
    try:
        stack.start()
        snippet = readme_snippet()
        assert README_SOCKET_URL in snippet
        page = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>A clinic</title></head>\n'
            f"<body><h1>A clinic</h1>\n{snippet.replace(README_SOCKET_URL, stack.url)}</body></html>\n"
        )
        server = serve(port, page)
        yield Site(f"http://127.0.0.1:{port}/", stack)
    finally:
        if server:
            server.shutdown()
            server.server_close()
        stack.stop()


def bot_says(page: Any, beginning: str) -> Any:
    """Waits until rasa-webchat shows an assistant message with this text (it shows each after a delay)."""
    message = page.locator(".rw-response").filter(has_text=beginning).last
    message.wait_for(timeout=TIMEOUT_MS)
    return message


def assessment_payloads(frames: list[str]) -> list[dict[str, Any]]:
    """The assessment payloads the server sent over the socket: what a card would be drawn from."""
    found = []
    for frame in frames:
        if frame.startswith('42["bot_uttered"'):
            _, message = json.loads(frame[2:])
            custom = message.get("custom") or {}
            if custom.get("type") == "assessment":
                found.append(custom)
    return found


def test_a_whole_check_in_and_a_reload_through_rasa_webchat(site: Site) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect = sync_api.expect
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        left_the_machine: list[str] = []

        def only_this_machine(route: Any) -> None:
            if route.request.url.startswith("http://127.0.0.1:") or route.request.url.startswith("ws://127.0.0.1:"):
                route.continue_()
            else:
                left_the_machine.append(route.request.url)
                route.abort()

        page.route("**/*", only_this_machine)
        frames: list[str] = []
        page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(frame)))
        page.goto(site.url)

        # The launcher, then the greeting that initPayload asks for, with the two ways in as quick replies.
        page.locator(".rw-launcher").click()
        bot_says(page, "Hi, I'm TwitchCheck")
        expect(page.locator(".rw-reply")).to_have_text(["Ask a question", "Check my symptoms"])
        page.locator(".rw-reply", has_text="Check my symptoms").click()

        for beginning, how, answer in CHECK_IN:
            bot_says(page, beginning)
            if how == "press":
                page.locator(".rw-reply", has_text=answer).last.click()
            else:
                page.locator(".rw-new-message").fill(answer)
                page.keyboard.press("Enter")
            expect(page.locator(".rw-client").last).to_have_text(answer)

        # The assessment, as rasa-webchat shows it: text only, one message per paragraph.
        bot_says(page, wording("assessment_not_a_diagnosis"))  # its last paragraph
        payloads = assessment_payloads(frames)
        assert len(payloads) == 1, "the server sent no assessment payload"
        result = payloads[0]
        assert result["level"] == "see_doctor"
        transcript = page.locator(".rw-messages-container").inner_text()
        shown = transcript.split(CHECK_IN[-1][2])[-1]  # what came after the last answer
        assert shown.strip().startswith(f"{result['level_title']}. "), shown[:200]
        assert result["level_title"] == "See a doctor in the next few days"
        titles = {entry["source_title"] for entry in result["red_flags"] + result["contributors"]}
        assert len(titles) == 2
        sources = next(line for line in shown.splitlines() if line.startswith("Sources:"))
        for title in titles:
            assert title in sources, (title, sources)
        assert "two weeks" in shown and "caffeine" in shown.lower()  # why, and what may feed it
        assert page.locator(".rw-messages-container img, .rw-messages-container script").count() == 0
        page.screenshot(path=str(SHOTS / "rasa-webchat-assessment.png"))

        # rasa-webchat keeps the session id our server signed, and after a reload the same conversation.
        kept = json.loads(page.evaluate("sessionStorage.getItem('chat_session')"))
        session = kept["session_id"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}\.[0-9a-f]{64}", session), session
        assert page.evaluate("localStorage.length") == 0  # params.storage "session": nothing outlives the tab
        page.reload()
        bot_says(page, "Sources:")
        expect(page.locator(".rw-messages-container")).to_have_text(transcript, use_inner_text=True)
        assert json.loads(page.evaluate("sessionStorage.getItem('chat_session')"))["session_id"] == session
        page.locator(".rw-new-message").fill("thanks")
        page.keyboard.press("Enter")
        expect(page.locator(".rw-response").last).to_contain_text("welcome", timeout=TIMEOUT_MS)
        browser.close()
