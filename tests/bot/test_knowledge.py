"""The knowledge base a person reads answers from: complete, sourced, linked, and in our own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge import KnowledgeBaseError, knowledge_base, load_knowledge_base

ROOT = Path(__file__).resolve().parents[2]
HELDOUT_DIR = ROOT / "tests" / "data" / "nlu_heldout"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
KB = knowledge_base()

# The topics the walking-skeleton issue names; splitting further is fine, dropping one is not.
REQUIRED_TOPICS = {
    "what_is_twitch",
    "fasciculations",
    "myoclonus",
    "myoclonus_types",
    "normal_myoclonus",
    "how_common",
    "causes_overview",
    "caffeine",
    "nicotine_stimulants",
    "stress_anxiety",
    "sleep",
    "exercise_recovery",
    "dehydration",
    "magnesium",
    "magnesium_foods_forms",
    "ppi_magnesium",
    "calcium",
    "chvostek_sign",
    "potassium",
    "vitamins_b12_d",
    "vitamin_b6_excess",
    "medications",
    "als_worry",
    "ms_worry",
    "lower_motor_neuron_conditions",
    "bfs",
    "bfs_coping",
    "cramp_fasciculation",
    "hypnic_jerks",
    "spasticity",
    "upper_lower_motor_neurons",
    "ear_palatal_myoclonus",
    "tetanus",
    "lyme_other_infections",
    "when_to_see_doctor",
    "doctor_tests",
    "myoclonus_diagnosis_treatment",
    "calming_twitches",
    "relaxation_techniques",
    "nutrition",
    "twitching_at_rest",
    "eyelid_twitching",
    "twitch_vs_cramp_spasm_tremor",
}
UNPROVEN = ("eft", "emotional freedom", "lavender", "tart cherry", "curcumin", "pomegranate", "blueberr")


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def heldout_questions() -> dict[str, list[str]]:
    questions: dict[str, list[str]] = {}
    for path in sorted(HELDOUT_DIR.glob("*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
            questions.setdefault(block["intent"], []).extend(lines)
    return questions


def test_every_required_topic_is_answered() -> None:
    assert REQUIRED_TOPICS <= set(KB.topics), REQUIRED_TOPICS - set(KB.topics)


@pytest.mark.parametrize("topic", KB.topics.values(), ids=lambda t: t.id)
def test_topic_is_complete(topic) -> None:
    words = len(topic.answer.split())
    assert 30 <= words <= 120, f"answers are chat-sized; {topic.id} has {words} words"
    assert topic.sources, "every answer names where its facts come from"
    assert 2 <= len(topic.related) <= 3, "2-3 related topics are offered as buttons"
    assert len(topic.examples) >= 12
    assert len(set(map(normalise, topic.examples))) == len(topic.examples), "duplicate examples"
    assert 0 < len(topic.title) <= 32, "the title is a button label"
    assert "http" not in topic.answer and "**" not in topic.answer


def test_no_question_trains_two_topics() -> None:
    seen: dict[str, str] = {}
    for topic in KB.topics.values():
        for example in topic.examples:
            key = normalise(example)
            assert seen.setdefault(key, topic.id) == topic.id, f"{example!r} in {seen[key]} and {topic.id}"


def test_every_article_is_cited_and_titled() -> None:
    cited = {source.id for topic in KB.topics.values() for source in topic.sources}
    assert cited == {source.id for source in KB.articles()}
    for source in KB.sources.values():
        assert source.title and source.citation.startswith("“")


def test_menu_offers_existing_topics() -> None:
    assert len(KB.menu_topics()) >= 5


def test_heldout_questions_are_not_training_questions() -> None:
    training = {normalise(e) for topic in KB.topics.values() for e in topic.examples}
    for intent, questions in heldout_questions().items():
        for question in questions:
            assert normalise(question) not in training, f"{question!r} ({intent}) is also a training example"


def test_every_topic_has_heldout_questions() -> None:
    heldout = heldout_questions()
    for topic_id in KB.topics:
        assert len(heldout.get(f"faq/{topic_id}", [])) >= 2, f"no held-out questions for {topic_id}"
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(heldout) - {f"faq/{t}" for t in KB.topics} <= set(domain["intents"]) - {"faq"}


@pytest.mark.parametrize("topic", KB.topics.values(), ids=lambda t: t.id)
def test_unproven_remedies_are_only_what_some_people_try(topic) -> None:
    answer = topic.answer.lower()
    if any(re.search(rf"\b{term}", answer) for term in UNPROVEN):
        assert "some people" in answer and "evidence" in answer, topic.answer


@pytest.mark.parametrize("topic", KB.topics.values(), ids=lambda t: t.id)
def test_no_answer_tells_anyone_to_stop_a_medicine(topic) -> None:
    answer = topic.answer.lower()
    assert not re.search(
        r"\b(stop|quit|come off) (taking )?(your|the|any) (medic|prescri|tablet|pill)", answer
    )


def test_medicine_answers_say_never_stop_on_your_own() -> None:
    for topic_id in ("medications", "ppi_magnesium"):
        answer = KB.topics[topic_id].answer.lower()
        assert re.search(r"(never|don't|do not) (stop|change)", answer), answer
        assert "doctor" in answer and "pharmacist" in answer


@pytest.mark.skipif(
    not SEEDS_DIR.exists(), reason="the source articles (../shared/seeds) are not beside the repo"
)
def test_nothing_the_assistant_says_copies_nine_words_from_an_article() -> None:
    grams = set()
    for seed in SEEDS_DIR.glob("*.txt"):
        words = normalise(seed.read_text().replace("\u2019", "'")).split()
        grams.update(" ".join(words[i : i + 9]) for i in range(len(words) - 8))
    for path in [*ROOT.glob("data/**/*.yml"), ROOT / "domain.yml", ROOT / "README.md"]:
        words = normalise(path.read_text()).split()
        copied = [
            " ".join(words[i : i + 9]) for i in range(len(words) - 8) if " ".join(words[i : i + 9]) in grams
        ]
        assert not copied, f"{path.relative_to(ROOT)} repeats an article: {copied[0]!r}"


def test_a_broken_related_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "topics").mkdir()
    (tmp_path / "sources.yml").write_text("sources:\n  a:\n    title: An article\n")
    (tmp_path / "menu.yml").write_text("menu: []\n")
    (tmp_path / "topics" / "t.yml").write_text(
        "topics:\n  - id: one\n    title: One\n    answer: text\n    sources: [a]\n"
        "    related: [missing]\n    examples: [q]\n"
    )
    with pytest.raises(KnowledgeBaseError, match="missing"):
        load_knowledge_base(tmp_path)
