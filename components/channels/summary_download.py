"""GET /webhooks/summary/<token>: the doctor-visit summary for the link's owner only, as a page to print
(the default), a PDF (?format=pdf) or a Markdown file (?format=md).

A Rasa input channel only so that Rasa serves the route on its own port (5005) with no other server to
run; it receives no messages. The token is the only key: it is unguessable, expires (bot.storage keeps
only its hash), and stops working when its owner withdraws consent or deletes their data. Unknown and
expired links get the same 404, so the route tells nobody which tokens ever existed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.storage.repository import Store, connect
from bot.summary import build_summary, markdown
from bot.summary_document import html_page, pdf_document
from bot.wording import wording

logger = logging.getLogger(__name__)
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
GONE = wording("summary_link_gone") + "\n"
UNAVAILABLE = wording("summary_link_unavailable") + "\n"


@functools.lru_cache(maxsize=1)
def _store() -> Store:
    return connect()


# Each format the link gives: how it is written, its content type and, for a download, the file's name.
PAGE, PDF, MARKDOWN = "page", "pdf", "md"
FORMATS = {
    PAGE: ("text/html; charset=utf-8", None),
    PDF: ("application/pdf", "twitchcheck-summary.pdf"),
    MARKDOWN: ("text/markdown; charset=utf-8", "twitchcheck-summary.md"),
}
# The page is ours alone: no script, no outside resources, never framed.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
# The page's own address for its PDF: the same link, asking for the other format.
PDF_LINK = f"?format={PDF}"


def summary_file(records: Store, token: str, now: datetime, kind: str = MARKDOWN) -> str | bytes | None:
    """The summary the token opens, as a printable page, a PDF or Markdown; None for no such link."""
    who = records.person_for_summary_link(token, now)
    if who is None:
        return None
    summary = build_summary(now, records.diary(who), records.latest_assessment(who))
    if kind == PAGE:
        return html_page(summary, pdf_link=PDF_LINK)
    if kind == PDF:
        return pdf_document(summary)
    return markdown(summary)


class SummaryDownload(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "summary"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        download = Blueprint("summary_download", __name__)

        @download.route("/<token>", methods=["GET"])
        async def summary(request: Request, token: str) -> HTTPResponse:
            # The link opens the page to print; the page offers the PDF, and ?format=md is the plain file.
            kind = request.args.get("format") or PAGE
            if kind not in FORMATS:
                return response.text(GONE, status=404, headers=PRIVATE_HEADERS)
            try:
                document = await asyncio.to_thread(
                    summary_file, _store(), token, datetime.now(timezone.utc), kind
                )
            except sa.exc.SQLAlchemyError as error:
                logger.error("summary download failed: %s", type(error).__name__)
                return response.text(
                    UNAVAILABLE,
                    status=503,
                    headers=PRIVATE_HEADERS,
                )
            if document is None:
                return response.text(GONE, status=404, headers=PRIVATE_HEADERS)
            content_type, filename = FORMATS[kind]
            headers = dict(PRIVATE_HEADERS)
            if filename:
                headers["Content-Disposition"] = f'attachment; filename="{filename}"'
            else:
                headers["Content-Security-Policy"] = PAGE_POLICY
                headers["X-Frame-Options"] = "DENY"
            body = document if isinstance(document, bytes) else document.encode("utf-8")
            return response.raw(body, headers=headers, content_type=content_type)

        return download
