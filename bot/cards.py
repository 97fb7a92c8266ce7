"""The assessment payload as the parts every channel's card shows: level in words, why, triggers, sources.

The widget draws the same parts in web/chat.js; Slack and Telegram build their messages from these. The
level's title comes in the payload (`level_title`, from data/red_flags.yml); a payload without one (kept
from before titles were sent) gets the level's title from the same file. The headings are
data/wording.yml's, sent to the widget in the payload too (`card_headings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from bot.triage import red_flag_rules
from bot.wording import wording

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

    @property
    def why_section(self) -> str:
        """ "Why:" and a line for each reason; empty when there is none."""
        return listed("heading_why", self.why) if self.why else ""

    @property
    def triggers_section(self) -> str:
        return listed("heading_what_may_feed_it", self.triggers) if self.triggers else ""

    @property
    def if_worse_line(self) -> str:
        return wording("heading_before", heading=wording("heading_if_worse"), text=self.if_worse)

    @property
    def sources_line(self) -> str:
        """ "Sources: a; b"; empty when none is named."""
        sources = "; ".join(self.sources)
        return wording("heading_before", heading=wording("heading_sources"), text=sources) if sources else ""

    @property
    def not_a_diagnosis(self) -> str:
        return wording("card_not_a_diagnosis")


def listed(heading: str, items: Sequence[str]) -> str:
    """A heading of data/wording.yml, then one bulleted line for each item."""
    lines = "\n".join(wording("bullet", item=item) for item in items)
    return wording("heading_above", heading=wording(heading), lines=lines)


def card_headings() -> dict[str, str]:
    """The headings of a card, for the payload of a channel that draws its own (web/chat.js)."""
    return {
        "why": wording("heading_why"),
        "what_may_feed_it": wording("heading_what_may_feed_it"),
        "if_worse": wording("heading_if_worse"),
        "sources": wording("heading_sources"),
        "not_a_diagnosis": wording("card_not_a_diagnosis"),
    }


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
