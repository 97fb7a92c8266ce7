"""Takes the README's pictures of the widget (docs/screenshots/): a check-in's card on a desktop, the
greeting and the check-in's first question on a phone, and an answer in dark mode. It runs the assistant
as `make run` does (scripts/stack.py, a throwaway SQLite), serves the chat page, and drives Debian's
Chromium through the same conversation a person would have.

    .venv/bin/python -m scripts.screenshots

Run it again after a change to the widget's looks; tests/test_readme_map.py checks the README's images exist.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright import sync_api

from scripts.stack import ROOT, Stack, free_port, wait_until_up

SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 60_000
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 780}


def say(page: sync_api.Page, text: str) -> None:
    """Types a message and waits until every part of the reply is on the screen."""
    before = page.locator(".tc-bot").count()
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('.tc-bot').length > n", arg=before,
                           timeout=TIMEOUT_MS)
    settle(page)


def settle(page: sync_api.Page) -> None:
    page.wait_for_function("() => !document.querySelector('.tc-typing-on')", timeout=TIMEOUT_MS)
    page.wait_for_timeout(600)


def save(page: sync_api.Page, name: str) -> None:
    path = SHOTS / name
    page.screenshot(path=str(path))
    with Image.open(path) as shot:  # 64 colours keep the README light; text stays sharp
        shot.convert("RGB").quantize(colors=64).save(path, optimize=True)
    print(f"wrote {path.relative_to(ROOT)}")


def desktop_check_in(browser: sync_api.Browser, url: str) -> None:
    page = browser.new_page(viewport=DESKTOP, color_scheme="light")
    page.goto(url)
    settle(page)
    say(page, "my left calf has twitched for 3 weeks, no weakness, 4 coffees a day")
    say(page, "none of these")
    for _ in range(10):
        if page.locator(".tc-card").count():
            break
        say(page, "skip")
    page.locator(".tc-card").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    save(page, "widget-desktop.png")
    page.close()


def phone_greeting(browser: sync_api.Browser, url: str) -> None:
    page = browser.new_page(viewport=PHONE, color_scheme="light", device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    page.goto(url)
    settle(page)
    page.locator(".tc-bot .tc-replies button", has_text="Check my symptoms").first.click()
    settle(page)
    save(page, "widget-phone.png")
    page.close()


def dark_answer(browser: sync_api.Browser, url: str) -> None:
    page = browser.new_page(viewport=DESKTOP, color_scheme="dark")
    page.goto(url)
    settle(page)
    say(page, "why does my eyelid keep jumping?")
    save(page, "widget-dark.png")
    page.close()


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        chat_port = free_port()
        origins = {"TWITCHCHECK_CHAT_ORIGINS": f"http://127.0.0.1:{chat_port}"}
        stack = Stack(workdir, f"sqlite:///{workdir / 'twitchcheck.db'}", origins)
        page_server = None
        try:
            stack.start()
            log = workdir / "chat_page.log"
            page_server = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "chat_page.py"), "--port", str(chat_port),
                 "--socket-url", f"http://127.0.0.1:{stack.rasa_port}"],
                stdout=log.open("a"), stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{chat_port}/"
            wait_until_up(url, page_server, log)
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                try:
                    desktop_check_in(browser, url)
                    phone_greeting(browser, url)
                    dark_answer(browser, url)
                finally:
                    browser.close()
        finally:
            if page_server:
                page_server.terminate()
                page_server.wait(timeout=10)
            stack.stop()


if __name__ == "__main__":
    main()
