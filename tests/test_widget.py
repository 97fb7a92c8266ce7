"""The chat widget in a real browser (Debian's Chromium, driven by Playwright) against the real stack.

Asks a question, follows a related-topic button, runs a short check-in to its card, reloads and still sees
the conversation, shows what it types literally, survives Rasa going away and coming back, and fits a phone.
Issue 18: the greeting's two ways in, the typing indicator, paced replies and timestamps, the jump to new
messages, the launcher on another site (a small server of the test's own, whose origin Rasa allows), full
screen on a phone, reflow at 320 px, dark mode, axe-core (web/vendor) in every state, and the widget's words
all from web/strings.js. Issue 19: a web reminder shown on the next visit, once, with a browser notification
only if the person allowed one. Screenshots go to results/screenshots/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest
import sqlalchemy as sa
from playwright import sync_api

from bot.identity import WebSessions
from tests.conftest import CHECK_IN_ANSWERS, MODEL, ROOT, Stack, free_port, wait_until_up

pytestmark = pytest.mark.server
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "results" / "screenshots"
TIMEOUT_MS = 60_000


class Widget(NamedTuple):
    url: str  # the chat page, the widget's full-page mode
    stack: Stack
    site: str  # another site, with the launcher embedded by its one script tag


# A site of someone else's that embeds the launcher: its own page, the snippet of the README, nothing more.
SITE_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A clinic</title></head>
<body><main><h1>A clinic</h1><p>Opening hours, directions and a telephone number.</p></main>
<script src="{chat}chat.js" data-socket-url="{socket}" defer></script>
</body>
</html>
"""


def serve_site(port: int, pages: dict[str, str]) -> ThreadingHTTPServer:
    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            page = pages.get(self.path.split("?")[0])
            body = (page or "Not found").encode()
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Widget]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: `make browser` installs Debian's chromium (make test does it)")
    workdir = tmp_path_factory.mktemp("widget")
    chat_port = free_port()
    site_port = free_port()
    origins = f"http://127.0.0.1:{chat_port} http://localhost:{chat_port} http://127.0.0.1:{site_port}"
    stack = Stack(workdir, f"sqlite:///{workdir / 'twitchcheck.db'}", {"TWITCHCHECK_CHAT_ORIGINS": origins})
    page_server = None
    site = None
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
        nobody = f"http://127.0.0.1:{free_port()}"  # no server there: the widget cannot reach TwitchCheck
        site = serve_site(
            site_port,
            {
                "/": SITE_PAGE.format(chat=url, socket=f"http://127.0.0.1:{stack.rasa_port}"),
                "/unreachable": SITE_PAGE.format(chat=url, socket=nobody),
            },
        )
        yield Widget(url, stack, f"http://127.0.0.1:{site_port}/")
    finally:
        if site:
            site.shutdown()
            site.server_close()
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
    url = chat.url
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
    url = chat.url
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
    url = chat.url
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
    url = chat.url
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
    url = chat.url
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
    url, stack = chat.url, chat.stack
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
    url, stack = chat.url, chat.stack
    assert socket_handshake(stack, url.rstrip("/")) == 200
    assert socket_handshake(stack, "http://evil.example") == 400


# --- Issue 18: the greeting, live feedback, the launcher, looks and accessibility, the words in one place ---


def test_the_greeting_offers_both_ways_in_and_each_starts_its_flow(chat, browser) -> None:
    page = browser.new_page()
    page.goto(chat.url)
    greeting = page.locator(".tc-bot").first
    sync_api.expect(greeting).to_contain_text("Where would you like to begin?")
    ways_in = greeting.locator(".tc-replies button")
    sync_api.expect(ways_in).to_have_text(["Ask a question", "Check my symptoms"])

    before = bot_messages(page).count()
    ways_in.first.click()
    answered(page)
    sync_api.expect(page.locator(".tc-user .tc-bubble").last).to_have_text("You said: Ask a question")
    topics = bot_messages(page).nth(before).locator(".tc-replies button")
    assert topics.count() >= 3  # the most asked questions, as buttons
    topics.first.click()
    answered(page)
    sync_api.expect(bot_messages(page).last).to_contain_text("Source", timeout=TIMEOUT_MS)

    before = bot_messages(page).count()
    ways_in.last.click()  # the greeting's buttons stay usable further down the conversation
    answered(page)
    sync_api.expect(page.locator(".tc-user .tc-bubble").last).to_have_text("You said: Check my symptoms")
    question = bot_messages(page).last
    sync_api.expect(question).to_contain_text(re.compile("trouble breathing", re.I))
    sync_api.expect(question.locator(".tc-replies button").first).to_have_text("None of these")
    assert bot_messages(page).count() >= before + 1

    transcript = page.locator(".tc-log").inner_text()
    page.reload()  # the conversation is where it was, greeted once
    sync_api.expect(page.locator(".tc-greeting")).to_have_count(1)
    assert page.locator(".tc-log").inner_text() == transcript
    page.close()


def watch(page) -> None:
    """Notes when each assistant message is added to the log and each change of the typing indicator."""
    page.evaluate(
        """() => {
        window.shownAt = [];
        window.typingSaid = [];
        new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
            if (n.classList && n.classList.contains('tc-bot')) { shownAt.push(performance.now()); }
        }))).observe(document.querySelector('.tc-log'), {childList: true, subtree: true});
        const typing = document.querySelector('.tc-typing');
        new MutationObserver(() => typingSaid.push([performance.now(), typing.textContent]))
            .observe(typing, {childList: true, subtree: true, characterData: true});
    }"""
    )


def test_a_typing_indicator_then_replies_one_after_another_with_timestamps(chat, browser) -> None:
    page = browser.new_page()
    page.goto(chat.url)
    typing = page.locator(".tc-typing")
    # Its own polite status, outside the log: announcing it never makes the conversation be read again.
    assert typing.get_attribute("role") == "status" and typing.get_attribute("aria-live") == "polite"
    assert page.locator(".tc-log .tc-typing").count() == 0
    assert page.locator(".tc-log").get_attribute("aria-atomic") in (None, "false")
    sync_api.expect(typing).to_have_text("")
    watch(page)

    page.get_by_role("button", name="Check my symptoms").click()  # an introduction, then the first question
    sync_api.expect(typing).to_have_text("TwitchCheck is writing a reply\u2026")
    answered(page)
    sync_api.expect(typing).to_have_text("")
    shown = page.evaluate("shownAt")
    said = page.evaluate("typingSaid")
    assert len(shown) >= 2, shown
    assert said[0][1] and said[0][0] < shown[0]  # up before the first reply
    assert said[-1][1] == "" and said[-1][0] > shown[-1]  # gone after the last
    gaps = [later - earlier for earlier, later in zip(shown, shown[1:], strict=False)]
    assert min(gaps) >= 600, gaps  # a short pause between messages, not all at once

    for stamp in page.locator(".tc-msg time").all():
        assert re.fullmatch(r"\d{1,2}:\d{2}( ?[AP]M)?", stamp.inner_text()), stamp.inner_text()
        when = datetime.fromisoformat(stamp.get_attribute("datetime").replace("Z", "+00:00"))
        assert abs((datetime.now(timezone.utc) - when).total_seconds()) < 600
    assert page.locator(".tc-msg time").count() == page.locator(".tc-msg").count()
    page.close()


def test_writing_again_shows_the_rest_of_a_reply_at_once(chat, browser) -> None:
    page = browser.new_page()
    page.goto(chat.url)
    watch(page)
    page.get_by_role("button", name="Check my symptoms").click()  # an introduction, then the first question
    page.wait_for_function("() => shownAt.length >= 1", timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)  # the question has come from the server, and waits its turn to be shown
    page.get_by_label("Your message").fill("stop")
    page.keyboard.press("Enter")
    answered(page)
    shown = page.evaluate("shownAt")
    assert shown[1] - shown[0] < 650, shown  # not the pause: shown when the person wrote
    messages = page.locator(".tc-msg .tc-bubble").all_text_contents()
    question = next(i for i, text in enumerate(messages) if "trouble breathing" in text.lower())
    assert messages[question + 1] == "You said: stop"  # in the order it was all said
    page.close()


def test_with_reduced_motion_replies_come_at_once_and_nothing_moves(chat, browser) -> None:
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(chat.url)
    watch(page)
    page.get_by_role("button", name="Check my symptoms").click()
    answered(page)
    shown = page.evaluate("shownAt")
    assert len(shown) >= 2 and max(b - a for a, b in zip(shown, shown[1:], strict=False)) < 400, shown
    animations = page.evaluate(
        "() => [...document.querySelectorAll('.tc-msg, .tc-dots span')]"
        ".map(e => getComputedStyle(e).animationName)"
    )
    assert set(animations) == {"none"}
    context.close()


def log_position(page) -> dict[str, float]:
    return page.evaluate(
        "() => { const l = document.querySelector('.tc-log');"
        " return {top: l.scrollTop, bottom: l.scrollHeight - l.scrollTop - l.clientHeight}; }"
    )


def test_a_jump_to_new_messages_when_the_person_has_scrolled_up(chat, browser) -> None:
    page = browser.new_page(viewport={"width": 800, "height": 560})
    page.goto(chat.url)
    say(page, "why does my eyelid keep jumping?")
    say(page, "what has magnesium in it?")
    jump = page.get_by_role("button", name="Jump to new messages")
    sync_api.expect(jump).to_be_hidden()  # following along at the bottom: nothing to jump to
    assert log_position(page)["bottom"] < 5

    before = bot_messages(page).count()
    page.get_by_label("Your message").fill("can coffee make my muscles twitch?")
    # The person sends, then scrolls back up to reread something while the reply is on its way.
    page.evaluate(
        "() => { document.querySelector('.tc-form').requestSubmit();"
        " document.querySelector('.tc-log').scrollTop = 0; }"
    )
    page.wait_for_function(
        "n => document.querySelectorAll('.tc-bot').length > n", arg=before, timeout=TIMEOUT_MS
    )
    sync_api.expect(jump).to_be_visible()
    assert log_position(page)["top"] < 5  # the reply did not pull them away from what they were reading
    answered(page)
    jump.click()
    page.wait_for_function(
        "() => { const l = document.querySelector('.tc-log');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight < 5; }"
    )
    sync_api.expect(jump).to_be_hidden()
    assert page.evaluate("document.activeElement.className") == "tc-log"
    sync_api.expect(bot_messages(page).last).to_be_in_viewport()
    page.close()


def test_the_launcher_opens_closes_counts_what_is_unread_and_remembers(chat, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(chat.site)
    launcher = page.locator(".tc-launcher")
    dialog = page.get_by_role("dialog", name="TwitchCheck chat")
    sync_api.expect(launcher).to_have_accessible_name("Chat with TwitchCheck")
    sync_api.expect(launcher).to_have_attribute("aria-expanded", "false")
    sync_api.expect(dialog).to_be_hidden()

    launcher.click()
    sync_api.expect(dialog).to_be_visible()
    assert dialog.get_attribute("aria-modal") == "false"  # beside the site, which stays usable
    sync_api.expect(launcher).to_have_attribute("aria-expanded", "true")
    sync_api.expect(page.get_by_label("Your message")).to_be_focused()
    sync_api.expect(dialog.locator(".tc-greeting .tc-replies button")).to_have_count(2)
    assert page.evaluate("localStorage.getItem('twitchcheck.open')") == "1"
    page.keyboard.press("Escape")
    sync_api.expect(dialog).to_be_hidden()
    sync_api.expect(launcher).to_be_focused()  # back where the person was
    sync_api.expect(launcher).to_have_attribute("aria-expanded", "false")
    assert page.evaluate("localStorage.getItem('twitchcheck.open')") == "0"

    # A question, then closed at once: what arrives meanwhile is counted on the launcher. (Sent and closed in
    # one go: a reply must not slip in between two key presses.)
    page.keyboard.press("Enter")
    page.get_by_label("Your message").fill("what has magnesium in it?")
    page.evaluate(
        "() => { document.querySelector('.tc-form').requestSubmit();"
        " document.querySelector('.tc-close').click(); }"
    )
    sync_api.expect(launcher).to_be_focused()
    badge = page.locator(".tc-badge")
    sync_api.expect(badge).to_be_visible(timeout=TIMEOUT_MS)
    answered(page)
    unread = int(badge.inner_text())
    replies = page.evaluate(
        "() => [...document.querySelectorAll('.tc-msg')].reverse()"
        ".findIndex(m => m.classList.contains('tc-user'))"
    )
    assert unread == replies >= 1
    noun = "message" if unread == 1 else "messages"
    sync_api.expect(launcher).to_have_accessible_name(f"Chat with TwitchCheck, {unread} new {noun}")
    launcher.click()
    sync_api.expect(badge).to_be_hidden()
    sync_api.expect(launcher).to_have_accessible_name("Chat with TwitchCheck")
    sync_api.expect(bot_messages(page).last).to_contain_text(re.compile("magnesium", re.I))

    # Open stays open across a reload, with the conversation where it was; closed stays closed.
    transcript = dialog.locator(".tc-log").inner_text()
    page.reload()
    sync_api.expect(dialog).to_be_visible()
    assert dialog.locator(".tc-log").inner_text() == transcript
    dialog.get_by_role("button", name="Close the chat").click()
    sync_api.expect(dialog).to_be_hidden()
    sync_api.expect(launcher).to_be_focused()
    page.reload()
    sync_api.expect(launcher).to_be_visible()
    sync_api.expect(dialog).to_be_hidden()
    context.close()


@pytest.mark.parametrize("width", [320, 375])
def test_on_a_phone_the_launcher_opens_full_screen(chat, browser, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 640})
    page.goto(chat.site)
    launcher = page.locator(".tc-launcher")
    launcher.click()
    dialog = page.get_by_role("dialog", name="TwitchCheck chat")
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": width, "height": 640}
    say(page, "why does my eyelid keep jumping?")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # reflows, no sideways scrolling
    assert page.evaluate("(l => l.scrollWidth <= l.clientWidth)(document.querySelector('.tc-log'))")
    close = dialog.get_by_role("button", name="Close the chat")
    box = close.bounding_box()
    assert box and box["width"] >= 24 and box["height"] >= 24
    # It covers the site, so it is modal: Tab goes round inside it, never to the page hidden behind.
    assert dialog.get_attribute("aria-modal") == "true"
    dialog.get_by_role("button", name="Send").focus()
    page.keyboard.press("Tab")
    sync_api.expect(close).to_be_focused()
    page.keyboard.press("Shift+Tab")
    sync_api.expect(dialog.get_by_role("button", name="Send")).to_be_focused()
    page.screenshot(path=str(SHOTS / f"widget-launcher-phone-{width}.png"))
    close.click()
    sync_api.expect(launcher).to_be_visible()
    sync_api.expect(launcher).to_be_focused()
    page.close()


def test_the_page_reflows_at_320_pixels(chat, browser) -> None:
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(chat.url)
    say(page, "why does my eyelid keep jumping?")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    for target in page.locator(".tc-root button:visible").all():
        box = target.bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, target.inner_text()
    page.close()


def luminance(colour: str) -> float:
    """WCAG's relative luminance of a computed "rgb(r, g, b)" colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def colours(page) -> dict[str, str]:
    return page.evaluate(
        """() => { const s = e => getComputedStyle(document.querySelector(e));
        return {background: s('.tc-chat').backgroundColor, text: s('.tc-chat').color,
                bubble: s('.tc-bot .tc-bubble').backgroundColor,
                page: getComputedStyle(document.body).backgroundColor}; }"""
    )


def test_dark_mode_follows_the_system_on_the_page_and_in_the_launcher(chat, browser) -> None:
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(chat.url)
        page.locator(".tc-greeting").wait_for()
        on_page = colours(page)
        page.screenshot(path=str(SHOTS / f"widget-{scheme}.png"), animations="disabled")
        page.goto(chat.site)
        page.locator(".tc-launcher").click()
        page.locator(".tc-greeting").wait_for()
        in_launcher = colours(page)
        page.screenshot(path=str(SHOTS / f"widget-launcher-{scheme}.png"), animations="disabled")
        for seen in (on_page, in_launcher):
            if scheme == "dark":
                assert luminance(seen["background"]) < 0.05 and luminance(seen["text"]) > 0.7, seen
                assert luminance(seen["bubble"]) < 0.05, seen
            else:
                assert luminance(seen["background"]) > 0.95 and luminance(seen["text"]) < 0.05, seen
        if scheme == "dark":
            assert luminance(on_page["page"]) < 0.05  # the whole page, not a light frame round a dark chat
        assert in_launcher["page"] == "rgba(0, 0, 0, 0)"  # the host site's own colours are left alone
        context.close()


AXE = ROOT / "web" / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the whole page, in both colour schemes."""
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE.read_text())  # over DevTools: the page's CSP rightly refuses inline script
        found += page.evaluate(
            """async ([tags, scheme]) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${scheme}: ${v.id} (${v.impact}) at `
                    + v.nodes.map(n => n.target.join(' ')).join(', '));
            }""",
            [AXE_TAGS, scheme],
        )
    return found


@pytest.mark.parametrize("mode", ["page", "launcher"])
def test_axe_finds_nothing_serious_in_any_state(chat, browser, mode: str) -> None:
    context = browser.new_context(reduced_motion="reduce")  # no fade-in half way through a contrast check
    page = context.new_page()
    if mode == "page":
        page.goto(chat.url)
    else:
        page.goto(chat.site)
        assert serious_violations(page) == []  # the closed launcher
        page.locator(".tc-launcher").click()
    page.locator(".tc-greeting").wait_for()
    assert serious_violations(page) == []  # the greeting

    page.get_by_role("button", name="Check my symptoms").click()
    answered(page)
    sync_api.expect(bot_messages(page).last.locator(".tc-replies button").first).to_be_visible()
    assert serious_violations(page) == []  # check-in buttons

    for answer in CHECK_IN_ANSWERS:
        if page.locator(".tc-card").count():
            break
        say(page, answer)
    sync_api.expect(page.locator(".tc-card").first).to_be_visible()
    assert serious_violations(page) == []  # the assessment card
    page.screenshot(path=str(SHOTS / f"widget-axe-card-{mode}.png"), full_page=True)

    # What the widget shows when TwitchCheck cannot be reached.
    if mode == "page":
        unreachable = f"http://127.0.0.1:{free_port()}"
        page.route(
            chat.url,
            lambda route: route.fulfill(
                response=route.fetch(),
                body=route.fetch().text().replace(f"http://127.0.0.1:{chat.stack.rasa_port}", unreachable),
            ),
        )
        page.goto(chat.url)
    else:
        page.goto(chat.site + "unreachable")  # the same site: the chat opens by itself, as it was left
    sync_api.expect(page.locator(".tc-status")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_label("Your message").fill("is this ALS?")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(".tc-pending")).to_have_count(1)
    assert serious_violations(page) == []  # the error banner
    context.close()


STRINGS = ROOT / "web" / "strings.js"


def test_every_word_of_the_widget_is_in_the_strings_file() -> None:
    """chat.js looks its words up by key; every key it uses is in English, and every English key is used."""
    source = (ROOT / "web" / "chat.js").read_text()
    english = set(re.findall(r"^ {4}(\w+): ", STRINGS.read_text(), re.M))
    used = set(re.findall(r"\bt\(\"(\w+)\"", source)) | set(re.findall(r"label: \"(\w+)\"", source))
    assert used and used == english, (used - english, english - used)


# Another language, as a site would add one: every English phrase marked, so that a word the widget writes
# without looking it up shows up unmarked.
PSEUDO_LANGUAGE = """
(() => {
    const mark = v => typeof v === 'string' ? '\u27e6' + v + '\u27e7'
        : Object.fromEntries(Object.entries(v).map(([k, w]) => [k, mark(w)]));
    const strings = {};
    Object.defineProperty(strings, 'en', {
        enumerable: true,
        get() { return this.english; },
        set(table) { this.english = table; this.xx = mark(table); },
    });
    window.TwitchCheckStrings = strings;
    window.TwitchCheckConfig = {lang: 'xx'};
})();
"""

# The widget's own words on the screen and for screen readers: not the person's messages, not the
# assistant's (text, buttons and cards come from the server), not times or counts.
WIDGET_WORDS = """() => {
    const root = document.querySelector('.tc-root');
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, text = node.textContent.trim(), parent = node.parentElement;
        if (!text || parent.closest('time, .tc-badge')) { continue; }
        const message = parent.closest('.tc-msg');
        const ours = !message || message.classList.contains('tc-greeting')
            || parent.closest('.tc-sr, .tc-pending-note');
        if (!ours) { continue; }
        found.push(text);
    }
    root.querySelectorAll('[aria-label], [placeholder]').forEach(e => ['aria-label', 'placeholder']
        .forEach(a => e.hasAttribute(a) && found.push(e.getAttribute(a))));
    return found;
}"""


def unmarked(page) -> list[str]:
    return [w for w in page.evaluate(WIDGET_WORDS) if not (w.startswith("\u27e6") and w.endswith("\u27e7"))]


def test_a_language_added_beside_english_replaces_every_word_of_the_widget(chat, browser) -> None:
    context = browser.new_context()
    context.add_init_script(PSEUDO_LANGUAGE)
    page = context.new_page()
    page.goto(chat.url)
    page.locator(".tc-greeting").wait_for()
    assert page.title().startswith("\u27e6")
    assert page.locator(".tc-root").get_attribute("lang") == "xx"
    page.get_by_label("\u27e6Your message\u27e7").fill("hi")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(".tc-typing-text")).to_have_text(re.compile("^\u27e6.+\u27e7$"))
    answered(page)
    assert unmarked(page) == []

    page.goto(chat.site + "unreachable")  # the launcher, closed, then open with the error banner
    assert unmarked(page) == []
    page.locator(".tc-launcher").click()
    sync_api.expect(page.locator(".tc-status")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_label("\u27e6Your message\u27e7").fill("is this ALS?")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(".tc-pending-note")).to_have_count(1)
    assert page.locator(".tc-status").inner_text().startswith("\u27e6")
    assert unmarked(page) == []
    context.close()


def test_a_message_typed_while_unreachable_is_sent_after_a_reload(chat, browser) -> None:
    page = browser.new_page()
    page.goto(chat.site + "unreachable")
    page.locator(".tc-launcher").click()
    sync_api.expect(page.locator(".tc-status")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_label("Your message").fill("what has magnesium in it?")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(".tc-pending")).to_have_count(1)
    page.goto(chat.site)  # the same site, TwitchCheck reachable: the chat as it was left, then the answer
    sync_api.expect(page.locator(".tc-pending")).to_have_count(0, timeout=TIMEOUT_MS)
    answer = bot_messages(page).last
    sync_api.expect(answer).to_contain_text(re.compile("magnesium", re.I), timeout=TIMEOUT_MS)
    assert page.locator(".tc-user").count() == 1
    page.close()


PRINT_SPY = """
window.__printed = [];
window.print = function () {
  var card = document.querySelector('.tc-card.tc-printing');
  window.__printed.push({whole: document.documentElement.classList.contains('tc-print-one'), card: !!card});
};
"""


def test_the_result_prints_on_its_own_and_the_summary_is_a_page_and_a_pdf(chat, browser) -> None:
    """Issue 18, point 5: the assessment card has its own print button (only the card prints), and the
    summary's private link becomes two buttons, the page to print and its PDF, each served as such."""
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.add_init_script(PRINT_SPY)
    page.goto(chat.url)
    page.get_by_role("button", name="Check my symptoms").click()
    answered(page)
    for answer in CHECK_IN_ANSWERS:
        if page.locator(".tc-card").count():
            break
        say(page, answer)
    card = page.locator(".tc-card").first
    sync_api.expect(card).to_be_visible()
    card.get_by_role("button", name="Print this result").click()
    assert page.evaluate("window.__printed") == [{"whole": True, "card": True}]
    assert page.locator(".tc-printing").count() == 0  # back as it was after printing

    # While it prints, the card is all there is on the paper.
    page.evaluate("document.documentElement.classList.add('tc-print-one');"
                  "document.querySelector('.tc-card').classList.add('tc-printing')")
    page.emulate_media(media="print")
    assert card.locator("h2").is_visible()
    assert not page.locator(".tc-user .tc-bubble").first.is_visible()
    assert not card.get_by_role("button", name="Print this result").is_visible()
    page.emulate_media(media="screen")
    page.evaluate("document.documentElement.classList.remove('tc-print-one');"
                  "document.querySelector('.tc-card').classList.remove('tc-printing')")

    say(page, "yes")  # keep the result, so that there is a summary to link to
    say(page, "summary for my doctor")
    links = page.locator(".tc-summary-link")
    sync_api.expect(links).to_have_count(2)
    sync_api.expect(links.first).to_have_text("Open your summary to print")
    page_link, pdf_link = links.first.get_attribute("href"), links.last.get_attribute("href")
    assert "/webhooks/summary/" in page_link and pdf_link == page_link + "?format=pdf"
    shown = page.request.get(page_link)
    assert shown.status == 200 and shown.headers["content-type"].startswith("text/html")
    assert "summary for the doctor" in shown.text() and "<table" in shown.text()
    pdf = page.request.get(pdf_link)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    context.close()


# --- Issue 19: a reminder on the web waits for the person's next visit --------------------------------------

# The browser's Notification, faked so the test sees what the person would: the permission they give when
# the widget asks (never before), and each notification shown. The permission outlives a page, as a
# browser's does.
FAKE_NOTIFICATIONS = """
window.shownNotifications = [];
class FakeNotification {
  constructor(title, options) { window.shownNotifications.push({title, body: (options || {}).body || ""}); }
  close() {}
}
FakeNotification.permission = localStorage.getItem("test.permission") || "default";
FakeNotification.requestPermission = () => {
  window.permissionAsked = true;
  FakeNotification.permission = "granted";
  localStorage.setItem("test.permission", "granted");
  return Promise.resolve("granted");
};
window.Notification = FakeNotification;
"""
KEEP_KEY = "twitchcheck.keep"


def stored_in(page, kind: str, key: str) -> str | None:
    return page.evaluate(f"k => {kind}.getItem(k)", key)


def the_day_comes(chat: Widget, session_id: str) -> int:
    """Makes the pending reminders of the person holding `session_id` due now; how many there were."""
    person = WebSessions(chat.stack.env["TWITCHCHECK_SESSION_SECRET"].encode()).conversation_of(session_id)
    engine = sa.create_engine(chat.stack.env["DATABASE_URL"], future=True)
    try:
        with engine.begin() as connection:
            return connection.execute(
                sa.text("UPDATE reminders SET due_at = :due WHERE person = :person AND status = 'pending'"),
                {"due": datetime.now(timezone.utc) - timedelta(minutes=1), "person": person},
            ).rowcount
    finally:
        engine.dispose()


def test_a_web_reminder_waits_for_the_next_visit_and_notifies_only_if_allowed(chat, browser) -> None:
    context = browser.new_context()
    context.add_init_script(FAKE_NOTIFICATIONS)
    page = context.new_page()
    page.goto(chat.site)
    page.locator(".tc-launcher").click()
    say(page, "remind me in a week to check again")
    sync_api.expect(bot_messages(page).last).to_contain_text("May I keep it?")  # consent first
    say(page, "yes")
    sync_api.expect(page.locator(".tc-log")).to_contain_text("I'll check back with you in 7 days")
    sync_api.expect(page.locator(".tc-log")).to_contain_text("this browser will keep our conversation")
    # The conversation now outlives the tab, for the visit the reminder waits for.
    assert stored_in(page, "localStorage", KEEP_KEY) == "1"
    session_id = stored_in(page, "localStorage", "twitchcheck.session")
    assert session_id and stored_in(page, "sessionStorage", "twitchcheck.session") is None
    # Notifications only when the person asks for them: nothing was asked of the browser until now.
    assert page.evaluate("() => !window.permissionAsked")
    page.get_by_role("button", name="Also tell me with a browser notification").click()
    sync_api.expect(page.get_by_text("Notifications are on")).to_be_visible()
    assert serious_violations(page) == []  # the offer, in both colour schemes
    page.get_by_role("button", name="Close the chat").click()  # the person closes the chat, then the tab
    page.close()

    assert the_day_comes(chat, session_id) == 1  # a week on; this person's reminder and nobody else's

    # The person comes back in a new tab, the chat still closed on the site: the reminder is there, counted
    # on the launcher, and the browser shows it.
    later = context.new_page()
    later.goto(chat.site)
    reminder = later.locator(".tc-bot", has_text="days ago you asked me to check back")
    sync_api.expect(reminder).to_have_count(1, timeout=TIMEOUT_MS)
    sync_api.expect(later.locator(".tc-launcher")).to_have_accessible_name(re.compile("1 new message"))
    shown = later.evaluate("() => window.shownNotifications")
    assert len(shown) == 1 and "7 days ago you asked me to check back" in shown[0]["body"]
    later.locator(".tc-launcher").click()
    before = bot_messages(later).count()
    reminder.get_by_role("button", name="Start the re-check").click()
    later.wait_for_function("n => document.querySelectorAll('.tc-bot').length > n", arg=before)
    answered(later)
    sync_api.expect(later.locator(".tc-log")).to_contain_text("Is the twitching still going on?")

    # Sent once: another tab shows the conversation as it was, with no second reminder or notification.
    again = context.new_page()
    again.goto(chat.site)
    again.locator(".tc-launcher").click()
    answered(again)
    sync_api.expect(again.locator(".tc-bot", has_text="days ago you asked me")).to_have_count(1)
    assert again.evaluate("() => window.shownNotifications") == []
    again.close()

    # With no reminder left, the browser keeps the conversation only in the tab again.
    say(later, "stop reminders")
    assert stored_in(later, "localStorage", KEEP_KEY) is None
    assert stored_in(later, "localStorage", "twitchcheck.session") is None
    assert stored_in(later, "sessionStorage", "twitchcheck.session") == session_id
    context.close()


def test_without_permission_a_due_reminder_is_only_in_the_chat(chat, browser) -> None:
    context = browser.new_context()
    context.add_init_script(FAKE_NOTIFICATIONS)
    page = context.new_page()
    page.goto(chat.site)
    page.locator(".tc-launcher").click()
    say(page, "remind me in two weeks")
    say(page, "yes")
    sync_api.expect(page.locator(".tc-log")).to_contain_text("I'll check back with you in 14 days")
    session_id = stored_in(page, "localStorage", "twitchcheck.session")
    page.close()  # the offer of notifications was left unanswered

    assert the_day_comes(chat, session_id) == 1
    later = context.new_page()
    later.goto(chat.site)
    sync_api.expect(later.locator(".tc-bot", has_text="14 days ago you asked me")).to_have_count(1)
    assert later.evaluate("() => window.shownNotifications") == []
    assert later.evaluate("() => !window.permissionAsked")
    context.close()
