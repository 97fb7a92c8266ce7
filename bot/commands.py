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


@functools.lru_cache(maxsize=1)
def _commands() -> dict[str, re.Pattern[str]]:
    raw = yaml.safe_load(COMMANDS_FILE.read_text(encoding="utf-8"))
    return {
        name: re.compile("(?:" + "|".join(f"(?:{p})" for p in patterns) + ")")
        for name, patterns in raw["commands"].items()
    }


def command_in(text: str) -> str | None:
    """The command a whole message gives ("stop"), or None when it is not a command."""
    normalised = _IGNORED_TAIL.sub("", text.lower().replace("\u2019", "'").strip())
    return next((name for name, pattern in _commands().items() if pattern.fullmatch(normalised)), None)
