"""NegEx-style negation: is a phrase cancelled by a cue ("no", "don't", "without") just before it?

The cues and clause breaks are data (data/negation.yml), shared by everything that reads free text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

NEGATION_FILE = Path(__file__).resolve().parent.parent / "data" / "negation.yml"
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Negation:
    cues: frozenset[str]
    window_words: int
    clause_break: re.Pattern[str]
    doubt: re.Pattern[str]
    list_words: re.Pattern[str]

    def cancels_plainly(self, text_before: str) -> bool:
        """As `cancels`, but cues of doubt ("not sure if", "I don't know whether") do not count: a safety
        screen escalates a sign the person is unsure about."""
        return self.cancels(self.doubt.sub(" ", text_before))

    def cancels(self, text_before: str) -> bool:
        """True when the clause right before a phrase negates it (the text is lower case). Small words do
        not count in the window, so a denial carries along a short list ("never had a fit or a stroke")."""
        clause = self.list_words.sub(" ", self.clause_break.split(text_before)[-1])
        window = _WORD.findall(clause)[-self.window_words :]
        joined = " ".join(window)
        return any(word in self.cues or word.endswith("n't") for word in window) or any(
            " " in cue and cue in joined for cue in self.cues
        )


@functools.lru_cache(maxsize=1)
def negation() -> Negation:
    raw = yaml.safe_load(NEGATION_FILE.read_text(encoding="utf-8"))
    breaks = sorted(raw["clause_breaks"], key=len, reverse=True)
    doubts = sorted(raw["doubt"], key=len, reverse=True)
    return Negation(
        cues=frozenset(raw["cues"]),
        window_words=int(raw["window_words"]),
        clause_break=re.compile(r"[.,;:!?]|\b(?:" + "|".join(re.escape(b) for b in breaks) + r")\b"),
        doubt=re.compile(r"\b(?:" + "|".join(re.escape(d) for d in doubts) + r")\b"),
        list_words=re.compile(r"\b(?:" + "|".join(re.escape(w) for w in raw["list_words"]) + r")\b"),
    )
