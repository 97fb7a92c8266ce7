"""Every word the assistant can say, read at once: the domain's responses, the knowledge base's answers, the
red-flag wording, the check-in's questions and the sentences of data/wording.yml. None of it diagnoses,
either way ("you have ALS", "it's not MS"), gives an amount of a medicine or supplement, or advises changing
a medicine."""

from __future__ import annotations

from typing import Iterator

import pytest
import yaml

from bot.check_in import check_in
from bot.knowledge import knowledge_base
from bot.triage import red_flag_rules
from bot.wording import templates
from tests.conftest import ROOT
from tests.test_safety_suite import AMOUNT, DIAGNOSIS, STOP_ADVICE


def everything_said() -> Iterator[tuple[str, str]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        for variant in variants:
            yield name, variant.get("text") or ""
    for topic in knowledge_base().topics.values():
        yield f"topic {topic.id}", topic.answer
    rules = red_flag_rules()
    for level, wording in rules.levels.items():
        yield f"level {level}", f"{wording.headline} {wording.what_to_do} {wording.if_worse}"
    for rule in rules.red_flags:
        yield f"rule {rule.id}", rule.explanation
    for question in check_in().questions:
        yield f"question {question.id}", f"{question.text} {question.why}"
    for name, entry in templates().items():
        yield f"wording {name}", " ".join(entry.values()) if isinstance(entry, dict) else entry


SAID = list(everything_said())


@pytest.mark.parametrize(("where", "text"), SAID, ids=[where for where, _ in SAID])
def test_nothing_said_diagnoses_doses_or_advises_changing_a_medicine(where: str, text: str) -> None:
    said = text.lower().replace("\u2019", "'")
    for pattern in (*DIAGNOSIS, AMOUNT, STOP_ADVICE):
        assert not pattern.search(said), f"{where}: {pattern.search(said).group(0)!r}"  # type: ignore[union-attr]
