"""The assessment payload as the parts every channel's card shows: level in words, why, triggers, sources.

The widget draws the same parts in web/chat.js; Slack and Telegram build their messages from these. The
level's title comes in the payload (`level_title`, from data/red_flags.yml); a payload without one (kept
from before titles were sent) gets the level's title from the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bot.triage import red_flag_rules

LEVEL_MARKS = {"self_care": "🟢", "see_doctor": "🟡", "urgent": "🟠", "emergency": "🔴"}


@dataclass(frozen=True)
class Card:
    level: str
    title: str
    mark: str
    what_to_do: str
    why: tuple[str, ...]
    triggers: tuple[str, ...]
    if_worse: str
    sources: tuple[str, ...]


def assessment_card(payload: Mapping[str, Any]) -> Card:
    """The card for an `{"type": "assessment", ...}` payload; an unknown level is shown as urgent."""
    level = payload.get("level") if payload.get("level") in LEVEL_MARKS else "urgent"
    wording = payload.get("level_wording") or {}
    flags = list(payload.get("red_flags") or [])
    contributors = list(payload.get("contributors") or [])
    sources: list[str] = []
    for entry in flags + contributors:
        title = entry.get("source_title") or entry.get("source")
        if title and title not in sources:
            sources.append(title)
    return Card(
        level=level,
        title=str(payload.get("level_title") or red_flag_rules().levels[level].title),
        mark=LEVEL_MARKS[level],
        what_to_do=" ".join(part for part in (wording.get("headline"), wording.get("what_to_do")) if part),
        why=tuple(flag.get("explanation", "") for flag in flags),
        triggers=tuple(f"{c.get('explanation', '')} {c.get('advice', '')}".strip() for c in contributors),
        if_worse=wording.get("if_worse", ""),
        sources=tuple(sources),
    )
