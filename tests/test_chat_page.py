"""The chat page server: only its own files, with headers that keep injected script from running."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from typing import Iterator

import pytest

from scripts.chat_page import WEB, make_handler

TESTS_VENDOR = WEB.parent / "tests" / "vendor"


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler("http://bot.example.org:5005"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_page_names_the_rasa_server_and_forbids_inline_script(page_url: str) -> None:
    status, headers, body = get(page_url + "/")
    assert status == 200
    assert 'data-socket-url="http://bot.example.org:5005"' in body
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "connect-src http://bot.example.org:5005 ws://bot.example.org:5005" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/chat.js", "/strings.js", "/chat.css", "/vendor/socket.io.min.js"])
def test_the_widget_files_are_served_locally(page_url: str, path: str) -> None:
    status, _, body = get(page_url + path)
    assert status == 200 and body


@pytest.mark.parametrize(
    "path",
    # axe-core and rasa-webchat are vendored for the browser tests only: the page people use serves neither.
    [
        "/../bot/triage.py",
        "/%2e%2e/credentials.yml",
        "/package.json",
        "/vendor/",
        "/node_modules/x",
        "/vendor/axe.min.js",
        "/vendor/rasa-webchat.js",
        "/tests/vendor/rasa-webchat.js",
    ],
)
def test_nothing_else_is_served(page_url: str, path: str) -> None:
    assert get(page_url + path)[0] == 404


def test_the_vendored_socket_io_client_is_the_pinned_version() -> None:
    pinned = json.loads((WEB / "package.json").read_text())["dependencies"]["socket.io-client"]
    header = (WEB / "vendor" / "socket.io.min.js").read_text()[:200]
    assert re.search(r"Socket\.IO v(\S+)", header)[1] == pinned


def test_the_vendored_axe_core_is_the_pinned_version() -> None:
    pinned = json.loads((WEB / "package.json").read_text())["devDependencies"]["axe-core"]
    header = (WEB / "vendor" / "axe.min.js").read_text()[:200]
    assert re.search(r"axe v(\S+)", header)[1] == pinned
    assert (WEB / "vendor" / "axe-core.LICENSE").read_text().startswith("Mozilla Public License")


def test_the_vendored_rasa_webchat_is_the_pinned_version() -> None:
    pinned = json.loads((WEB / "package.json").read_text())["devDependencies"]["rasa-webchat"]
    bundle = (TESTS_VENDOR / "rasa-webchat.js").read_text()
    # The bundle stamps the version it was built as on the state it keeps in the browser.
    assert re.findall(r'lastUpdate:Date\.now\(\),version:"([^"]+)"', bundle) == [pinned]
    assert "Apache License" in (TESTS_VENDOR / "rasa-webchat.LICENSE").read_text()[:200]
