"""GET /webhooks/summary/<token>: the doctor-visit summary as a Markdown file, for the link's owner only.

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
from bot.wording import wording

logger = logging.getLogger(__name__)
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}
GONE = wording("summary_link_gone") + "\n"


@functools.lru_cache(maxsize=1)
def _store() -> Store:
    return connect()


def summary_file(records: Store, token: str, now: datetime) -> str | None:
    """The Markdown summary the token opens, or None."""
    who = records.person_for_summary_link(token, now)
    if who is None:
        return None
    return markdown(build_summary(now, records.diary(who), records.latest_assessment(who)))


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
            try:
                document = await asyncio.to_thread(
                    summary_file, _store(), token, datetime.now(timezone.utc)
                )
            except sa.exc.SQLAlchemyError as error:
                logger.error("summary download failed: %s", type(error).__name__)
                return response.text(
                    "The summary can't be fetched right now; please try again in a minute.\n",
                    status=503,
                    headers=PRIVATE_HEADERS,
                )
            if document is None:
                return response.text(GONE, status=404, headers=PRIVATE_HEADERS)
            headers = {
                **PRIVATE_HEADERS,
                "Content-Disposition": 'attachment; filename="twitchcheck-summary.md"',
            }
            return response.text(document, headers=headers, content_type="text/markdown; charset=utf-8")

        return download
