"""The emergency screen: recognises messages that need emergency services now, before anything else; and the
instruction such a message gets.

The phrases are data (data/emergency_screen.yml), matched after misspellings are read as the words
meant (bot/spelling.py: "cant breth" is "can't breath"). A match counts unless a plain negation stands
just before it in the same clause ("I don't have trouble breathing"); doubt is not denial ("not sure if
my face is drooping"), and a doubtful message escalates.

The instruction is the emergency level's wording in data/red_flags.yml, after the reason of each sign the
person described. Everything that gives it (the emergency action, and Rasa's own process when the action
server is down) reads it from here, so a clinician's change to that wording reaches every path.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import yaml

from bot.negation import Negation, negation
from bot.spelling import Speller, safety_speller
from bot.triage import red_flag_rules
from bot.wording import wording

SCREEN_FILE = Path(__file__).resolve().parent.parent / "data" / "emergency_screen.yml"
# A word of a pattern's {gap}: not a negation, and within the sentence.
_DENIALS = (
    "no|not|never|without|nothing|none|nor|neither|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|haven't|"
    "hasn't|hadn't|dont|doesnt|didnt|isnt|arent|wasnt|havent|hasnt"
)
_GAP_WORD = rf"[^\w.!?;]+(?!(?:{_DENIALS})\b)[\w']+"
PLACEHOLDERS = {
    "{gap}": f"(?:{_GAP_WORD}){{0,3}}?[^\\w.!?;]+",
    "{near}": f"(?:{_GAP_WORD}){{0,8}}?[^\\w.!?;]+",
}
# The level of data/red_flags.yml whose wording is the instruction.
EMERGENCY_LEVEL = "emergency"
# The short form, added to every reply that says something went wrong, so that even then a person in danger
# reads what to do: data/wording.yml's if_urgent. Its numbers are the emergency level's
# (tests/bot/test_emergency.py checks they agree).
IF_URGENT = wording("if_urgent")


@dataclass(frozen=True)
class EmergencySign:
    id: str
    reason: str
    matched_text: str


@dataclass(frozen=True)
class EmergencyScreen:
    signs: tuple[tuple[str, str, re.Pattern[str]], ...]
    negation: Negation
    speller: Speller

    def reasons(self, sign_ids: list[str]) -> list[str]:
        """The person-facing reason of each sign id, in the given order; unknown ids are skipped."""
        by_id = {sign_id: reason for sign_id, reason, _ in self.signs}
        return [by_id[sign_id] for sign_id in sign_ids if sign_id in by_id]

    def screen(self, text: str) -> list[EmergencySign]:
        """Every emergency sign the message describes, in the order of the screen file."""
        normalised = self.speller.normalise(text)
        found = []
        for sign_id, reason, pattern in self.signs:
            for match in pattern.finditer(normalised):
                if not self.negation.cancels_plainly(normalised[: match.start()]):
                    found.append(EmergencySign(sign_id, reason, match.group(0)))
                    break
        return found


def compile_phrases(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regular expression for a list of a screen's phrases, with its placeholders ({gap}, {near})."""
    expanded = []
    for pattern in patterns:
        for placeholder, regex in PLACEHOLDERS.items():
            pattern = pattern.replace(placeholder, regex)
        expanded.append(f"(?:{pattern})")
    # Whole words: no letter or digit just outside the match (unlike \b, this also holds where a phrase
    # begins or ends with punctuation, such as "dosage\W*$").
    return re.compile(r"(?<!\w)(?:" + "|".join(expanded) + r")(?!\w)")


def load_screen(path: Path = SCREEN_FILE) -> EmergencyScreen:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return EmergencyScreen(
        signs=tuple(
            (sign_id, entry["reason"], compile_phrases(entry["patterns"]))
            for sign_id, entry in raw["signs"].items()
        ),
        negation=negation(),
        speller=safety_speller(),
    )


@functools.lru_cache(maxsize=1)
def emergency_screen() -> EmergencyScreen:
    return load_screen()


def screen_message(text: str) -> list[EmergencySign]:
    """The signs of an emergency in one message (empty when there are none)."""
    return emergency_screen().screen(text)


def emergency_instruction(sign_ids: Sequence[str] = ()) -> str:
    """Why this is an emergency (the reasons of the signs described, unknown ids skipped) and what to do now.
    With no signs (the classifier's emergency, or a fixed fallback), only what to do."""
    wording = red_flag_rules().levels[EMERGENCY_LEVEL]
    return " ".join([*emergency_screen().reasons(list(sign_ids)), wording.headline, wording.what_to_do])
