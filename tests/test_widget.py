"""The chat widget in a real browser (Debian's Chromium, driven by Playwright) against the real stack.

Asks a question, follows a related-topic button, runs a short check-in to its card, reloads and still sees
the conversation, shows what it types literally, survives Rasa going away and coming back, and fits a phone.
Screenshots go to results/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from playwright import sync_api

from tests.conftest import MODEL, ROOT, Stack, free_port, wait_until_up

pytestmark = pytest.mark.server
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "results" / "screenshots"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Stack]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `make browser` installs Debian's chromium (make test does it)")
    workdir = tmp_path_factory.mktemp("widget")
    chat_port = free_port()
    origins = f"http://127.0.0.1:{chat_port} http://localhost:{chat_port}"
    stack = Stack(workdir, f"sqlite:///{workdir / 'twitchcheck.db'}", {"TWITCHCHECK_CHAT_ORIGINS": origins})
    page_server = None
    try:
        stack.start()
        log = workdir / "chat_page.log"
        page_server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "chat_page.py"),
                "--port",
                str(chat_port),
                "--socket-url",
                f"http://127.0.0.1:{stack.rasa_port}",
            ],
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{chat_port}/"
        wait_until_up(url, page_server, log)
        yield url, stack
    finally:
        if page_server:
            page_server.terminate()
            page_server.wait(timeout=10)
        stack.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def bot_messages(page) -> object:
    return page.locator(".tc-bot")


def say(page, text: str) -> None:
    """Types a message as a person would and waits until the assistant has answered it."""
    before = bot_messages(page).count()
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.tc-bot').length > n", arg=before, timeout=TIMEOUT_MS
    )
    answered(page)


def answered(page) -> None:
    """Waits until the typing indicator is gone: every part of the reply is on the screen."""
    page.wait_for_function("() => !document.querySelector('.tc-typing-on')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)  # a part that comes late from the server


def test_a_question_a_related_topic_a_check_in_card_and_a_reload(chat, browser) -> None:
    url, _ = chat
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(url)

    say(page, "why does my eyelid keep jumping?")
    expect = sync_api.expect
    expect(bot_messages(page).last).to_contain_text("Source", timeout=TIMEOUT_MS)
    assert "eyelid" in page.locator(".tc-log").inner_text().lower()

    related = page.locator(".tc-bot .tc-replies button").last
    title = related.inner_text()
    before = bot_messages(page).count()
    related.click()
    page.wait_for_function("n => document.querySelectorAll('.tc-bot').length > n", arg=before)
    expect(page.locator(".tc-user .tc-bubble").last).to_have_text(f"You said: {title}")
    expect(bot_messages(page).last).to_contain_text("Source", timeout=TIMEOUT_MS)

    say(page, "my left calf has twitched for 3 weeks, no weakness, 4 coffees a day")
    say(page, "none of these")
    for _ in range(10):
        if page.locator(".tc-card").count():
            break
        say(page, "skip")
    card = page.locator(".tc-card").first
    expect(card).to_be_visible()
    expect(card.locator("h2")).to_have_text("See a doctor in the next few days")
    expect(card).to_contain_text("two weeks")
    expect(card).to_contain_text("Sources: ")
    page.screenshot(path=str(SHOTS / "widget-check-in-card.png"))

    transcript = page.locator(".tc-log").inner_text()
    page.reload()
    expect(page.locator(".tc-card").first).to_be_visible()
    assert page.locator(".tc-log").inner_text() == transcript
    say(page, "thanks")  # the conversation carries on in the same session after the reload
    expect(bot_messages(page).last).to_contain_text("welcome")
    page.screenshot(path=str(SHOTS / "widget-after-reload.png"))
    page.close()


def test_markup_from_either_side_is_shown_as_text(chat, browser) -> None:
    url, _ = chat
    page = browser.new_page()
    page.goto(url)
    page.evaluate("sessionStorage.clear()")
    page.reload()
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    say(page, attack)
    sync_api.expect(page.locator(".tc-user .tc-bubble").last).to_have_text(f"You said: {attack}")
    assert page.locator(".tc-log img, .tc-log script").count() == 0
    assert alerts == []
    page.close()


def stored(page, kind: str) -> dict[str, str]:
    """The widget's keys in the page's localStorage or sessionStorage."""
    return page.evaluate(
        f"""() => Object.fromEntries(Object.keys({kind}).filter(k => k.startsWith('twitchcheck'))
            .map(k => [k, {kind}.getItem(k)]))"""
    )


def test_the_session_is_the_servers_and_lives_only_in_this_tab(chat, browser) -> None:
    url, _ = chat
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    # What an earlier version left in localStorage is removed, and nothing new goes there.
    page.evaluate(
        "localStorage.setItem('twitchcheck.session', 'old');"
        "localStorage.setItem('twitchcheck.history', '[]')"
    )
    page.reload()
    say(page, "hi")
    assert stored(page, "localStorage") == {}
    session = stored(page, "sessionStorage")["twitchcheck.session"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}\.[0-9a-f]{64}", session), session  # issued and signed
    other_tab = context.new_page()  # same site, same browser: another tab's script sees nothing of it
    other_tab.goto(url)
    assert stored(other_tab, "sessionStorage").get("twitchcheck.session") != session
    context.close()


def test_delete_my_data_also_clears_what_the_browser_kept(chat, browser) -> None:
    url, _ = chat
    page = browser.new_page()
    page.goto(url)
    say(page, "can coffee make my muscles twitch?")
    before = stored(page, "sessionStorage")["twitchcheck.session"]
    say(page, "delete my data")
    page.get_by_role("button", name=re.compile("^yes", re.I)).last.click()
    sync_api.expect(bot_messages(page).last).to_contain_text("deleted", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "s => (sessionStorage.getItem('twitchcheck.session') || '') !== s", arg=before, timeout=TIMEOUT_MS
    )
    kept = stored(page, "sessionStorage")
    assert "coffee" not in kept.get("twitchcheck.history", "") and "deleted" not in kept.get(
        "twitchcheck.history", ""
    )
    page.reload()
    assert "coffee" not in page.locator(".tc-log").inner_text()
    say(page, "hi")  # a new session, answered as any other
    assert stored(page, "sessionStorage")["twitchcheck.session"] != before
    page.close()


def test_the_widget_makes_no_ids_of_its_own() -> None:
    source = (ROOT / "web" / "chat.js").read_text()
    assert "Math.random" not in source and "randomUUID" not in source


def test_keyboard_labels_and_phone_width(chat, browser) -> None:
    url, _ = chat
    page = browser.new_page(viewport={"width": 360, "height": 720})
    page.goto(url)
    message_box = page.get_by_label("Your message")
    message_box.focus()
    page.keyboard.type("hello")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send"
    page.keyboard.press("Enter")  # sends with the keyboard alone
    page.wait_for_function("() => document.querySelectorAll('.tc-bot').length > 1", timeout=TIMEOUT_MS)
    assert page.locator(".tc-log").get_attribute("role") == "log"
    box = page.locator(".tc-form").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "widget-phone.png"))
    page.close()


def test_when_the_server_is_unreachable_the_widget_says_so_and_recovers(chat, browser) -> None:
    url, stack = chat
    page = browser.new_page()
    page.goto(url)
    say(page, "hi")
    stack.stop_rasa()
    status = page.locator(".tc-status")
    sync_api.expect(status).to_contain_text("Can't reach TwitchCheck", timeout=TIMEOUT_MS)
    page.screenshot(path=str(SHOTS / "widget-offline.png"))
    page.get_by_label("Your message").fill(f"what has magnesium in it? {uuid.uuid4().hex[:4]}")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(".tc-pending")).to_have_count(1)
    before = bot_messages(page).count()
    stack.start()
    sync_api.expect(status).to_be_hidden(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "n => document.querySelectorAll('.tc-bot').length > n", arg=before, timeout=TIMEOUT_MS
    )
    sync_api.expect(page.locator(".tc-pending")).to_have_count(0)
    sync_api.expect(bot_messages(page).nth(before)).to_contain_text(re.compile("magnesium", re.I))
    page.close()


def socket_handshake(stack: Stack, origin: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.rasa_port}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_only_the_chat_page_may_open_the_socket(chat) -> None:
    url, stack = chat
    assert socket_handshake(stack, url.rstrip("/")) == 200
    assert socket_handshake(stack, "http://evil.example") == 400
