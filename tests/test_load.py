"""The load generator behind `make bench` (scripts/load.py), against a loopback bot that leaves some turns
unanswered, as the stock `rasa init` bot does for a "no" it has no rule for: such a turn is timed and
counted, and the run goes on to the end instead of stopping with "no reply to 'no'"."""

from __future__ import annotations

import asyncio

from aiohttp import web

from scripts.load import Conversation, FloodResult, LoadResult, drive, flood, long_conversation, people
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


async def serve_refusing_bot(port: int) -> web.AppRunner:
    """Answers a message from 127.0.0.2 with 429, as the fair-use limits answer a flood; others with "ok"."""

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        if request.remote == "127.0.0.2":
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "5"})
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_a_flood_counts_what_was_refused_and_people_are_timed_from_addresses_of_their_own() -> None:
    async def scenario() -> tuple[FloodResult, LoadResult]:
        port = free_port()
        runner = await serve_refusing_bot(port)
        url = f"http://127.0.0.1:{port}"
        try:
            attack = asyncio.ensure_future(flood(url, "127.0.0.2", parallel=4, seconds=1.0, characters=5_000))
            # Two seconds, not one: on a busy 2-core machine a reply could miss a one-second window.
            timed = await people(url, count=3, seconds=2.0, every=0.2)
            return await attack, timed
        finally:
            await runner.cleanup()

    attack, timed = asyncio.run(scenario())
    assert attack.refused > 0 and attack.answered == 0 and attack.errors == 0
    # Three people asking every 0.2 s for two seconds, never refused (they are not at 127.0.0.2).
    assert timed.errors == 0 and 3 <= len(timed.latencies_ms) <= 33
