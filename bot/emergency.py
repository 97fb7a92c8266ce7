"""The emergency screen: recognises messages that need emergency services now, before anything else.

The phrases are data (data/emergency_screen.yml). A match counts unless a negation cue stands just
before it in the same clause ("I don't have trouble breathing"); a doubtful message escalates.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.negation import Negation, negation

SCREEN_FILE = Path(__file__).resolve().parent.parent / "data" / "emergency_screen.yml"


@dataclass(frozen=True)
class EmergencySign:
    id: str
    reason: str
    matched_text: str


@dataclass(frozen=True)
class EmergencyScreen:
    signs: tuple[tuple[str, str, re.Pattern[str]], ...]
    negation: Negation

    def reasons(self, sign_ids: list[str]) -> list[str]:
        """The person-facing reason of each sign id, in the given order; unknown ids are skipped."""
        by_id = {sign_id: reason for sign_id, reason, _ in self.signs}
        return [by_id[sign_id] for sign_id in sign_ids if sign_id in by_id]

    def screen(self, text: str) -> list[EmergencySign]:
        """Every emergency sign the message describes, in the order of the screen file."""
        normalised = text.lower().replace("\u2019", "'")
        found = []
        for sign_id, reason, pattern in self.signs:
            for match in pattern.finditer(normalised):
                if not self.negation.cancels(normalised[: match.start()]):
                    found.append(EmergencySign(sign_id, reason, match.group(0)))
                    break
        return found


def load_screen(path: Path = SCREEN_FILE) -> EmergencyScreen:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return EmergencyScreen(
        signs=tuple(
            (
                sign_id,
                entry["reason"],
                re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in entry["patterns"]) + r")\b"),
            )
            for sign_id, entry in raw["signs"].items()
        ),
        negation=negation(),
    )


@functools.lru_cache(maxsize=1)
def emergency_screen() -> EmergencyScreen:
    return load_screen()


def screen_message(text: str) -> list[EmergencySign]:
    """The signs of an emergency in one message (empty when there are none)."""
    return emergency_screen().screen(text)
