"""Understanding people as they talk (issue 16), measured on held-out sets over a real server: a person's
own story starts the check-in (answering its question first), a general question gets its FAQ answer, a
short follow-up is answered about the topic just answered, and two questions in one message both get
theirs. The figures are printed and gated; the sets were written apart from the training data and are
checked never to be training examples.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
import yaml

from bot.check_in import check_in
from bot.knowledge import knowledge_base
from tests.conftest import ROOT, Assistant

pytestmark = pytest.mark.server

DATA = ROOT / "tests" / "data"
STORIES = yaml.safe_load((DATA / "stories_heldout.yml").read_text(encoding="utf-8"))

# The gate, and the sets the follow-up reading was developed on (their figures are printed, not gated; each
# later one was written by someone who saw neither the earlier ones nor the table).
FOLLOW_UPS = yaml.safe_load((DATA / "follow_ups_gate.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV = yaml.safe_load((DATA / "follow_ups_dev.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV2 = yaml.safe_load((DATA / "follow_ups_dev2.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV3 = yaml.safe_load((DATA / "follow_ups_dev3.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV4 = yaml.safe_load((DATA / "follow_ups_dev4.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV5 = yaml.safe_load((DATA / "follow_ups_dev5.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV6 = yaml.safe_load((DATA / "follow_ups_dev6.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV7 = yaml.safe_load((DATA / "follow_ups_dev7.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV8 = yaml.safe_load((DATA / "follow_ups_dev8.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV9 = yaml.safe_load((DATA / "follow_ups_dev9.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV10 = yaml.safe_load((DATA / "follow_ups_dev10.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV11 = yaml.safe_load((DATA / "follow_ups_dev11.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV12 = yaml.safe_load((DATA / "follow_ups_dev12.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV13 = yaml.safe_load((DATA / "follow_ups_dev13.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV14 = yaml.safe_load((DATA / "follow_ups_dev14.yml").read_text(encoding="utf-8"))["exchanges"]
FOLLOW_UPS_DEV15 = yaml.safe_load((DATA / "follow_ups_dev15.yml").read_text(encoding="utf-8"))["exchanges"]
CHECK_IN_OPENING = check_in().intro.split(".")[0]
EMERGENCY = "call your emergency number"
# The figures issue 16 asks for.
MIN_ROUTING = 0.95
MIN_FOLLOW_UPS = 0.90


def training_texts() -> set[str]:
    texts = set()
    for path in (ROOT / "data" / "knowledge" / "topics").glob("*.yml"):
        for topic in yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]:
            texts.update(example.lower().strip() for example in topic.get("examples") or [])
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                texts.add(line.strip().removeprefix("- ").lower().strip())
    return texts


def answered_topics(reply: str) -> list[str]:
    """The topics whose answers the reply gives, in the order given."""
    kb = knowledge_base()
    found = [(reply.find(topic.answer), topic.id) for topic in kb.topics.values() if topic.answer in reply]
    return [topic_id for _, topic_id in sorted(found)]


def say(assistant: Assistant, sender: str, text: str) -> str:
    return Assistant.text(assistant.send(sender, text))


def test_no_held_out_message_is_a_training_example() -> None:
    trained = training_texts()
    held_out = [item["text"] for item in STORIES["descriptions"] + STORIES["questions"]]
    exchanges = FOLLOW_UPS + FOLLOW_UPS_DEV + FOLLOW_UPS_DEV2 + FOLLOW_UPS_DEV3 + FOLLOW_UPS_DEV4
    exchanges += FOLLOW_UPS_DEV5 + FOLLOW_UPS_DEV6 + FOLLOW_UPS_DEV7 + FOLLOW_UPS_DEV8 + FOLLOW_UPS_DEV9
    exchanges += FOLLOW_UPS_DEV10 + FOLLOW_UPS_DEV11 + FOLLOW_UPS_DEV12 + FOLLOW_UPS_DEV13 + FOLLOW_UPS_DEV14
    exchanges += FOLLOW_UPS_DEV15
    held_out += [turn["text"] for exchange in exchanges for turn in exchange["turns"]]
    assert [text for text in held_out if text.lower().strip() in trained] == []


def route(reply: str) -> str:
    if EMERGENCY in reply:
        return "emergency"
    if CHECK_IN_OPENING in reply:
        return "check-in"
    return "faq" if answered_topics(reply) else "other"


def test_stories_start_the_check_in_and_questions_get_their_answer(assistant: Assistant) -> None:
    misrouted: list[tuple[str, str, str]] = []
    unanswered_questions: list[str] = []
    right_topic = 0
    for item in STORIES["descriptions"]:
        reply = say(assistant, f"story-{uuid.uuid4().hex[:10]}", item["text"])
        if route(reply) not in ("check-in", "emergency"):
            misrouted.append(("story", item["text"], route(reply)))
        elif item.get("asks_question") and not answered_topics(reply):
            unanswered_questions.append(item["text"])
    for item in STORIES["questions"]:
        reply = say(assistant, f"question-{uuid.uuid4().hex[:10]}", item["text"])
        topics = answered_topics(reply)
        if route(reply) != "faq":
            misrouted.append(("question", item["text"], route(reply)))
        right_topic += bool(topics) and topics[0] == item["topic"]
    total = len(STORIES["descriptions"]) + len(STORIES["questions"])
    routing = 1 - len(misrouted) / total
    print(
        f"\nstories and questions: {routing:.3f} routed right of {total} (minimum {MIN_ROUTING}); "
        f"questions answered with their topic {right_topic / len(STORIES['questions']):.3f}; stories whose "
        f"question got an answer first {1 - len(unanswered_questions) / _asking(STORIES):.3f}"
    )
    # A held-out set: which items went wrong is not shown, so that nobody tunes on them.
    print(f"  misrouted: {dict(Counter(kind for kind, _, _ in misrouted))}")
    assert routing >= MIN_ROUTING


def _asking(stories: dict[str, Any]) -> int:
    return max(1, sum(bool(item.get("asks_question")) for item in stories["descriptions"]))


def follow_up_accuracy(
    assistant: Assistant, exchanges: list[dict[str, Any]], name: str, show_misses: bool = True
) -> float:
    """Plays each exchange in a new conversation; the share of follow-ups answered with their topic. The
    misses are printed for a development set only: the gate's are never shown, so never read."""
    right, wrong = 0, []
    for exchange in exchanges:
        sender = f"follow-{uuid.uuid4().hex[:10]}"
        first, *follow_ups = exchange["turns"]
        say(assistant, sender, first["text"])
        for turn in follow_ups:
            topics = answered_topics(say(assistant, sender, turn["text"]))
            if topics and topics[-1] == turn["topic"]:
                right += 1
            else:
                wrong.append((exchange["id"], turn["text"], turn["topic"], topics))
    accuracy = right / (right + len(wrong))
    print(f"\nfollow-ups, {name}: {accuracy:.3f} answered about the right topic of {right + len(wrong)} in "
          f"{len(exchanges)} exchanges")
    for exchange_id, text, expected, got in wrong if show_misses else []:
        print(f"  - {exchange_id}: {text!r} expected {expected}, got {got}")
    return accuracy


def test_short_follow_ups_are_answered_about_the_topic_just_answered(assistant: Assistant) -> None:
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV, "development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV2, "second development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV3, "third development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV4, "fourth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV5, "fifth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV6, "sixth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV7, "seventh development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV8, "eighth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV9, "ninth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV10, "tenth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV11, "eleventh development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV12, "twelfth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV13, "thirteenth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV14, "fourteenth development set")
    follow_up_accuracy(assistant, FOLLOW_UPS_DEV15, "fifteenth development set (written to be harder)")
    gate = follow_up_accuracy(
        assistant, FOLLOW_UPS, f"held-out gate (issue 16 asks {MIN_FOLLOW_UPS})", show_misses=False
    )
    assert gate >= MIN_FOLLOW_UPS


@pytest.mark.parametrize(
    "message, topics",
    [
        ("can coffee make my muscles twitch? and what foods have magnesium in them?",
         ["caffeine", "magnesium_foods_forms"]),
        ("does stress cause twitching and how much sleep do i need to stop it", ["stress_anxiety", "sleep"]),
        ("What is a fasciculation? Is BFS dangerous?", ["fasciculations", "bfs"]),
    ],
)
def test_two_questions_in_one_message_are_both_answered_in_order(
    assistant: Assistant, message: str, topics: list[str]
) -> None:
    assert answered_topics(say(assistant, f"two-{uuid.uuid4().hex[:10]}", message)) == topics


def test_a_story_with_a_question_answers_it_first_and_keeps_what_it_said(assistant: Assistant) -> None:
    sender = f"story-{uuid.uuid4().hex[:10]}"
    reply = say(
        assistant,
        sender,
        "my left calf has been twitching for 3 weeks, i run every morning and drink about 4 coffees a day. "
        "could the coffee be doing it?",
    )
    assert answered_topics(reply)[:1] == ["caffeine"]
    assert reply.index(knowledge_base().topics["caffeine"].answer) < reply.index(CHECK_IN_OPENING)
    assert "left calf" in reply and "3 weeks" in reply  # what the check-in understood, to be confirmed



def test_a_follow_up_in_the_middle_of_a_check_in_is_about_the_answer_just_given(assistant: Assistant) -> None:
    """A story with a question gets a brief answer and starts the check-in; "is it serious?" next is about
    that answer, is answered, and the check-in carries on where it was."""
    sender = f"story-follow-{uuid.uuid4().hex[:10]}"
    story = "My left eyelid has been flickering for about a week now. Why do eyelids twitch?"
    first = say(assistant, sender, story)
    assert answered_topics(first) == ["eyelid_twitching"]
    assert CHECK_IN_OPENING in first
    question = first.rstrip().splitlines()[-1]
    follow_up = say(assistant, sender, "is it serious?")
    assert answered_topics(follow_up) == ["eyelid_twitching"]
    assert "Back to the check-in" in follow_up
    assert follow_up.rstrip().splitlines()[-1] == question, "the same check-in question is asked again"


def test_a_question_in_the_middle_of_a_check_in_is_answered_not_taken_for_an_answer(
    assistant: Assistant,
) -> None:
    """A story that asked nothing starts the check-in; "is it serious?" next is about what the story told
    of, and a question naming a habit ("and dehydration?") is answered, not noted as the person's habit."""
    sender = f"mid-{uuid.uuid4().hex[:10]}"
    first = say(assistant, sender, "my left eyelid wont stop fluttering, been like 4 days")
    assert CHECK_IN_OPENING in first and answered_topics(first) == []
    question = first.rstrip().splitlines()[-1]
    serious = say(assistant, sender, "ok but is it serious")
    assert answered_topics(serious) == ["eyelid_twitching"]
    assert "Back to the check-in" in serious and serious.rstrip().splitlines()[-1] == question
    habit = say(assistant, sender, "and dehydration?")
    assert answered_topics(habit) == ["dehydration"]
    assert "noted" not in habit.lower()
    assert habit.rstrip().splitlines()[-1] == question


def test_a_bare_follow_up_to_a_story_is_about_the_story_before_any_topic_its_words_are_near(
    assistant: Assistant,
) -> None:
    """"is it dangerous?" alone is nearest the answer on myoclonus; after "my eyelid keeps twitching" it is
    about the eyelid. A short question ending a story leans on the story ("Could there be a link?")."""
    sender = f"story-{uuid.uuid4().hex[:10]}"
    first = say(assistant, sender, "my eyelid keeps twitching")
    assert CHECK_IN_OPENING in first
    assert answered_topics(say(assistant, sender, "is it dangerous?")) == ["eyelid_twitching"]
    sender = f"story-{uuid.uuid4().hex[:10]}"
    linked = say(assistant, sender, "My twitching began after my doctor started me on a new blood pressure "
                                    "tablet. Could there be a link?")
    assert answered_topics(linked) == ["medications"] and CHECK_IN_OPENING in linked


@pytest.mark.parametrize(
    "turns, topic",
    [
        # Asking to know is a question, not a story.
        (["Hello, I would like to know what hypocalcaemia is and if it makes you twitch"], "calcium"),
        (["does vaping cause twitches", "if i quit cold turkey will the twitching stop faster"],
         "nicotine_stimulants"),
        # Hours of sleep are no dose.
        (["can lack of sleep cause twitches", "how many hours should i be aiming for"], "sleep"),
        # What a term means: the topic defining it, though the kinds of myoclonus share the word.
        (["could you explain myoclonus to me"], "myoclonus"),
        (["I came across the word myoclonus in a leaflet. What does it mean?"], "myoclonus"),
        (["can lyme disease cause twitching", "what other signs would go with it"], "lyme_other_infections"),
        # A condition the answers speak of, named in a follow-up, is no question outside twitching.
        (["Which medicines can cause twitches as a side effect?", "what about the acid reflux ones"],
         "ppi_magnesium"),
        # Nothing found: BFS. Another subject set aside: not its topic.
        (["how do doctors check whether twitches are harmless?", "and if every test comes back normal?"],
         "bfs"),
        (["what other diseases besides ALS can cause twitching"], "lower_motor_neuron_conditions"),
    ],
)
def test_questions_told_apart_from_stories_doses_and_each_other(
    assistant: Assistant, turns: list[str], topic: str
) -> None:
    sender = f"apart-{uuid.uuid4().hex[:10]}"
    for text in turns[:-1]:
        say(assistant, sender, text)
    reply = say(assistant, sender, turns[-1])
    assert answered_topics(reply)[-1:] == [topic]
    assert CHECK_IN_OPENING not in reply


def test_a_subject_set_aside_is_not_answered_again(assistant: Assistant) -> None:
    sender = f"aside-{uuid.uuid4().hex[:10]}"
    say(assistant, sender, "does magnesium help twitching")
    reply = say(assistant, sender, "anything besides magnesium?")
    assert not {"magnesium", "magnesium_foods_forms", "ppi_magnesium"} & set(answered_topics(reply))


@pytest.mark.parametrize(
    ("first", "follow_up", "topic"),
    [
        # A switch asks about the subject itself; "and for ..." asks the question before again.
        ("what foods have potassium", "and magnesium?", "magnesium"),
        ("what foods have potassium", "and for magnesium?", "magnesium_foods_forms"),
        # A question about what the check-in asks of is answered, not taken for the start of a check-in.
        ("when should i see a doctor about twitching", "does family history matter", "when_to_see_doctor"),
        # A question naming a subject is no request for help with the assistant, however unsure the retrieval.
        ("does omeprazole cause twitches", "what other meds cause this", "medications"),
        ("what are hypnic jerks", "what routines help", "hypnic_jerks"),
        # Whether to have it checked is when to see someone: the answer on eyelids says so itself.
        ("why do eyelids twitch", "when should you get that checked", "eyelid_twitching"),
        # Formal English is no sign of crisis: the classifier once took "ought I to be aiming for" for one.
        ("does poor sleep cause twitching", "so how many hours ought i to aim for", "sleep"),
    ],
)
def test_a_follow_up_asks_what_its_words_say(
    assistant: Assistant, first: str, follow_up: str, topic: str
) -> None:
    sender = f"switch-{uuid.uuid4().hex[:10]}"
    say(assistant, sender, first)
    reply = say(assistant, sender, follow_up)
    assert answered_topics(reply)[-1:] == [topic] and CHECK_IN_OPENING not in reply


# A realistic mix of first messages (tests/data/message_mix_heldout.yml, written apart from the training
# data, never trained on; as in real use, its "hi"s and "thanks" are often word for word training examples):
# the share met with "I'm not sure I understood" or "I couldn't tell which of my answers fits", the
# assistant's two ways of saying it did not follow. Issue 16 asks for at most 3%. Keyboard mashing and
# lone emoji ("noise") are meant to get that reply and are counted apart. The even-numbered messages were
# read while improving the reading (development), the odd-numbered ones are the gate, never read.
MESSAGE_MIX = yaml.safe_load((DATA / "message_mix_heldout.yml").read_text(encoding="utf-8"))["messages"]
MAX_FALLBACK_SHARE = 0.03
NOT_UNDERSTOOD = ("I'm not sure I understood", "I couldn't tell which of my answers fits")
NOISE = "noise"


def fallback_share(assistant: Assistant, messages: list[dict[str, Any]], name: str) -> float:
    """The share of meaningful messages (all but noise) met with the fallback; prints what fell."""
    fallen = []
    for item in messages:
        reply = say(assistant, f"mix-{uuid.uuid4().hex[:10]}", item["text"])
        if any(phrase in reply for phrase in NOT_UNDERSTOOD):
            fallen.append(item)
    meaningful = [item for item in messages if item["kind"] != NOISE]
    share = sum(item["kind"] != NOISE for item in fallen) / len(meaningful)
    print(f"\nfallback, {name}: {share:.3f} of {len(meaningful)} meaningful messages (maximum "
          f"{MAX_FALLBACK_SHARE}); {len(fallen) / len(messages):.3f} of all {len(messages)} with noise; "
          f"by kind {dict(Counter(item['kind'] for item in fallen))}")
    return share


def test_few_messages_of_a_realistic_mix_meet_the_fallback(assistant: Assistant) -> None:
    development, gate = MESSAGE_MIX[0::2], MESSAGE_MIX[1::2]
    fallback_share(assistant, development, "development half of the message mix")
    assert fallback_share(assistant, gate, "held-out half of the message mix") <= MAX_FALLBACK_SHARE
