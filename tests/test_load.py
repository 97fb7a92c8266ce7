"""The load generator behind `make bench` (scripts/load.py), against a loopback bot that leaves some turns
unanswered, as the stock `rasa init` bot does for a "no" it has no rule for: such a turn is timed and
counted, and the run goes on to the end instead of stopping with "no reply to 'no'"."""

from __future__ import annotations

import asyncio

from aiohttp import web

from scripts.load import Conversation, drive, long_conversation
from tests.conftest import free_port

SILENT_ON = "no"


async def serve_bot(port: int) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        replies = [] if body["message"] == SILENT_ON else [{"recipient_id": body["sender"], "text": "ok"}]
        return web.json_response(replies)

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


CONVERSATIONS = [Conversation("yes and no", 1, ("hello", SILENT_ON, "bye"))]


def test_a_long_conversation_counts_the_turns_without_a_reply_and_goes_on() -> None:
    async def scenario() -> tuple[int, int]:
        port = free_port()
        runner = await serve_bot(port)
        try:
            run = await long_conversation(f"http://127.0.0.1:{port}", CONVERSATIONS, turns=30)
        finally:
            await runner.cleanup()
        return len(run.latencies_ms), run.unanswered

    turns, unanswered = asyncio.run(scenario())
    assert (turns, unanswered) == (30, 10)


def test_load_counts_turns_without_a_reply_apart_from_errors() -> None:
    async def scenario() -> tuple[int, int, int]:
        port = free_port()
        runner = await serve_bot(port)
        try:
            result = await drive(f"http://127.0.0.1:{port}", CONVERSATIONS, users=2, seconds=1.0)
        finally:
            await runner.cleanup()
        return len(result.latencies_ms), result.unanswered, result.errors

    answered, unanswered, errors = asyncio.run(scenario())
    assert errors == 0 and unanswered > 0 and answered > unanswered
