"""The diary, the doctor's summary, consent and deletion, over REST against the real stack.

Each runs on a real SQLite file and on the real PostgreSQL (skipped with the reason where unreachable,
mandatory in CI), and checks what is stored by querying the database itself.
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from bot.identity import DEFAULT_NAMESPACE, rest_id
from tests.conftest import MODEL, POSTGRES_URL, Assistant, Stack, postgres_or_skip

pytestmark = pytest.mark.server
OWN_TABLES = ("consents", "diary_entries", "assessments", "summary_links")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if request.param == "postgresql":
        postgres_or_skip()
    yield f"sqlite:///{tmp_path / 'twitchcheck.db'}" if request.param == "sqlite" else POSTGRES_URL


def rows_about(url: str, person: str) -> dict[str, int]:
    """What is stored about the REST sender `person`, table by table."""
    person = rest_id(DEFAULT_NAMESPACE, person)
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            counts = {
                table: connection.execute(
                    sa.text(f"select count(*) from {table} where person = :p"), {"p": person}
                ).scalar_one()
                for table in OWN_TABLES
            }
            counts["events"] = connection.execute(
                sa.text("select count(*) from events where sender_id = :p"), {"p": person}
            ).scalar_one()
            return counts
    finally:
        engine.dispose()


def stored_text(url: str, person: str) -> str:
    """Everything stored about the person's conversation, as the database holds it."""
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            query = sa.text("select data from events where sender_id = :person")
            rows = connection.execute(query, {"person": rest_id(DEFAULT_NAMESPACE, person)})
            return "\n".join(row[0] for row in rows)
    finally:
        engine.dispose()


def download(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read().decode(errors="replace")
            return response.status, response.headers["Content-Type"], body
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode(errors="replace")


def test_the_diary_survives_a_restart_gives_a_private_summary_and_is_deleted_on_request(
    database: str, tmp_path: Path
) -> None:
    stack = Stack(tmp_path, database)
    me = f"diary-{uuid.uuid4().hex[:8]}"
    try:
        chat = stack.start()
        asked = Assistant.text(chat.send(me, "log a twitch in my left calf"))
        assert "health information" in asked and "May I keep it?" in asked
        assert rows_about(database, me)["diary_entries"] == 0
        logged = Assistant.text(chat.send(me, "yes"))
        assert "Logged in your twitch diary" in logged and "left calf" in logged
        assert "lasted about 10 minutes" in Assistant.text(chat.send(me, "it lasted about 10 minutes"))

        stack.stop()  # as Ctrl-C on `make run` and starting it again
        chat = stack.start()

        diary = Assistant.text(chat.send(me, "show my twitch log"))
        assert "1 twitch" in diary and "left calf, lasted about 10 minutes" in diary
        assert "Your first diary entry was today" in Assistant.text(
            chat.send(me, "how long have I had this?")
        )

        summary = Assistant.text(chat.send(me, "summary for my doctor"))
        assert "Summary for your doctor" in summary and "1 twitch logged" in summary
        link = re.search(r"(http://\S+/webhooks/summary/(\S+))", summary)
        assert link, summary
        # The link opens a page to print, with the diary's chart; it offers the PDF, and the plain file.
        status, content_type, document = download(link[1])
        assert status == 200 and content_type.startswith("text/html")
        assert "Muscle twitching: summary for the doctor" in document and "left calf" in document
        assert "<svg" in document and "?format=pdf" in document
        status, content_type, pdf = download(link[1] + "?format=pdf")
        assert status == 200 and content_type == "application/pdf" and pdf.startswith("%PDF")
        status, content_type, plain = download(link[1] + "?format=md")
        assert status == 200 and content_type.startswith("text/markdown")
        assert "# Muscle twitching: summary for the doctor" in plain and "left calf" in plain
        assert download(link[1] + "?format=exe")[0] == 404
        wrong = link[1][:-4] + ("AAAA" if not link[1].endswith("AAAA") else "BBBB")
        assert download(wrong)[0] == 404
        # The token is a key to the record: the stored conversation keeps the message, not the token.
        assert link[2] not in stored_text(database, me)
        assert "/webhooks/summary/(link not kept)" in stored_text(database, me)

        confirm = Assistant.text(chat.send(me, "delete my data"))
        assert "can't be undone" in confirm
        assert rows_about(database, me)["diary_entries"] == 1, "nothing goes before the yes"
        assert "deleted" in Assistant.text(chat.send(me, "yes"))
        assert rows_about(database, me) == {table: 0 for table in (*OWN_TABLES, "events")}
        assert download(link[1])[0] == 404
        assert download(link[1] + "?format=pdf")[0] == 404

        fresh = Assistant.text(chat.send(me, "show my twitch log"))
        assert "diary is empty" in fresh
    finally:
        stack.stop()


def test_saying_no_to_consent_stores_nothing_but_the_conversation(assistant: Assistant) -> None:
    me = f"no-consent-{uuid.uuid4().hex[:8]}"
    database = f"sqlite:///{assistant.workdir / 'conversations.db'}"
    assistant.send(me, "please log a twitch in my eyelid")
    assert "won't store anything" in Assistant.text(assistant.send(me, "no"))
    assert "diary is empty" in Assistant.text(assistant.send(me, "show my twitch log"))
    counts = rows_about(database, me)
    assert counts.pop("events") > 0
    assert counts == {table: 0 for table in OWN_TABLES}


def test_a_check_in_result_is_kept_only_after_a_yes(assistant: Assistant) -> None:
    me = f"keep-result-{uuid.uuid4().hex[:8]}"
    database = f"sqlite:///{assistant.workdir / 'conversations.db'}"
    assistant.send(me, "my left calf has twitched for 3 weeks, no weakness, 4 coffees a day")
    answers = ["none of these", "every day", "none of these", "none", "7 hours", "none", "none"]
    text = ""
    for answer in answers:
        text = Assistant.text(assistant.send(me, answer))
        if "May I keep it?" in text:
            break
    assert "May I keep it?" in text, text
    assert rows_about(database, me)["assessments"] == 0
    assert "kept your check-in result" in Assistant.text(assistant.send(me, "yes"))
    assert rows_about(database, me)["assessments"] == 1
    summary = Assistant.text(assistant.send(me, "summary for my doctor"))
    assert "Not present:" in summary and "no muscle weakness" in summary and "/webhooks/summary/" in summary


def test_messages_sent_at_once_by_one_person_are_handled_one_after_another(assistant: Assistant) -> None:
    me = f"burst-{uuid.uuid4().hex[:8]}"
    questions = [
        "can coffee make my muscles twitch?",
        "what has magnesium in it?",
        "is this ALS?",
        "why does my eyelid keep jumping?",
    ]
    replies: dict[str, list] = {}
    threads = [
        threading.Thread(target=lambda q=q: replies.update({q: assistant.send(me, q)})) for q in questions
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(replies[q] for q in questions), replies

    engine = sa.create_engine(f"sqlite:///{assistant.workdir / 'conversations.db'}", future=True)
    with engine.connect() as connection:
        events = connection.execute(
            sa.text("select type_name, action_name from events where sender_id = :p order by id"),
            {"p": rest_id(DEFAULT_NAMESPACE, me)},
        ).all()
    engine.dispose()
    # Each message is followed by its own answer before the next message starts: nothing interleaves.
    turns = [(kind, action) for kind, action in events if kind in ("user", "action")]
    users = [i for i, (kind, _) in enumerate(turns) if kind == "user"]
    assert len(users) == len(questions)
    for start, end in zip(users, users[1:] + [len(turns)], strict=False):
        actions = [action for _, action in turns[start + 1 : end]]
        assert actions[-1] == "action_listen" and "action_listen" not in actions[:-1], actions
