"""Commands: whole messages such as "stop" that must mean one thing whatever a classifier thinks.

The patterns are data (data/commands.yml).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

COMMANDS_FILE = Path(__file__).resolve().parent.parent / "data" / "commands.yml"
_IGNORED_TAIL = re.compile(r"[\s,]*(please|thanks|thank you)?[\s!.?…]*$")


def _patterns(section: dict[str, list[str]], edge: str = "") -> dict[str, re.Pattern[str]]:
    return {
        name: re.compile(edge + "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")" + edge)
        for name, patterns in section.items()
    }


@functools.lru_cache(maxsize=1)
def _commands() -> tuple[dict[str, re.Pattern[str]], dict[str, re.Pattern[str]]]:
    """The whole-message commands, and the phrases that are commands wherever they stand."""
    raw = yaml.safe_load(COMMANDS_FILE.read_text(encoding="utf-8"))
    return _patterns(raw["commands"]), _patterns(raw.get("phrases") or {}, edge=r"\b")


def command_in(text: str) -> str | None:
    """The command a message gives ("stop", "... carry on with the check-in"), or None."""
    normalised = _IGNORED_TAIL.sub("", text.lower().replace("\u2019", "'").strip())
    whole, phrases = _commands()
    found = next((name for name, pattern in whole.items() if pattern.fullmatch(normalised)), None)
    if found:
        return found
    return next((name for name, pattern in phrases.items() if pattern.search(normalised)), None)


@functools.lru_cache(maxsize=1)
def _reminder_days() -> dict[int, re.Pattern[str]]:
    raw = yaml.safe_load(COMMANDS_FILE.read_text(encoding="utf-8"))
    return {int(days): pattern for days, pattern in _patterns(raw["reminder_days"], edge=r"\b").items()}


def reminder_days_in(text: str) -> int | None:
    """How many days ahead the words ask for a reminder ("in a week": 7, "two weeks": 14), or None."""
    normalised = text.lower().replace("\u2019", "'")
    return next((days for days, pattern in _reminder_days().items() if pattern.search(normalised)), None)


def asks_in_words(text: str, command: str) -> bool:
    """Whether the message gives `command` as a phrase ("remind me in a week to check again"), not only as a
    bare whole message ("two weeks")."""
    normalised = _IGNORED_TAIL.sub("", text.lower().replace("\u2019", "'").strip())
    pattern = _commands()[1].get(command)
    return bool(pattern and pattern.search(normalised))
