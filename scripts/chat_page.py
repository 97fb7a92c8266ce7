"""Serves the chat page (web/) on port 8000: the widget, its words, its stylesheet and socket.io-client from
web/vendor (committed, from npm), nothing from a CDN. Only these files, only GET and HEAD, with a
Content-Security-Policy that forbids inline and eval'd script.

    python scripts/chat_page.py [--port 8000] [--socket-url http://localhost:5005]
"""

from __future__ import annotations

import argparse
import html
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

WEB = Path(__file__).resolve().parent.parent / "web"
FILES = {
    "/chat.js": (WEB / "chat.js", "text/javascript; charset=utf-8"),
    "/chat.css": (WEB / "chat.css", "text/css; charset=utf-8"),
    "/strings.js": (WEB / "strings.js", "text/javascript; charset=utf-8"),
    "/vendor/socket.io.min.js": (
        WEB / "vendor" / "socket.io.min.js",
        "text/javascript; charset=utf-8",
    ),
}


def websocket_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"


def make_handler(socket_url: str) -> type[BaseHTTPRequestHandler]:
    index = (WEB / "index.html").read_text(encoding="utf-8").replace(
        '<script src="chat.js"></script>',
        f'<script src="chat.js" data-socket-url="{html.escape(socket_url, quote=True)}"></script>',
    )
    server_origin = f"{urlsplit(socket_url).scheme}://{urlsplit(socket_url).netloc}"
    security = {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src {server_origin} {websocket_origin(socket_url)}; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    class ChatPage(BaseHTTPRequestHandler):
        server_version = "TwitchCheckChatPage"

        def _send(self, status: int, body: bytes, content_type: str, head: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            for name, value in security.items():
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _respond(self, head: bool) -> None:
            path = urlsplit(self.path).path
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, index.encode(), "text/html; charset=utf-8", head)
                return
            known = FILES.get(path)
            if known is None or not known[0].is_file():
                self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8", head)
                return
            self._send(HTTPStatus.OK, known[0].read_bytes(), known[1], head)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._respond(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(head=True)

        def log_message(self, format: str, *args: object) -> None:  # quiet: no paths or addresses in logs
            pass

    return ChatPage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("CHAT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CHAT_PORT", "8000")))
    parser.add_argument(
        "--socket-url", default=os.environ.get("TWITCHCHECK_SOCKET_URL", "http://localhost:5005")
    )
    args = parser.parse_args()
    if not FILES["/vendor/socket.io.min.js"][0].is_file():
        raise SystemExit("web/vendor/socket.io.min.js is missing: `make vendor` fetches it from npm")
    ThreadingHTTPServer((args.host, args.port), make_handler(args.socket_url)).serve_forever()


if __name__ == "__main__":
    main()
