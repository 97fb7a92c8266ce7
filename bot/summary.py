"""The doctor-visit summary: what the person reported, their diary, habits and latest assessment.

One DoctorSummary is built from what the store keeps (and, before anything is kept, from the current
conversation) and written two ways: a short chat message and a Markdown file to download and print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from bot.checkin import understood
from bot.diary import days_since, entry_line, spoken_days, when
from bot.findings import BOOL, GROUPS
from bot.knowledge import knowledge_base
from bot.store import DiaryEntry, StoredAssessment
from bot.triage import red_flag_rules

NOT_A_DIAGNOSIS = (
    "Made by TwitchCheck, an information assistant, from what the person told it. It is not a diagnosis "
    "and no one examined them."
)
SIGN_GROUPS = ("emergency_screen", "red_flags")


@dataclass(frozen=True)
class AssessmentSummary:
    at: datetime | None
    headline: str
    red_flags: tuple[str, ...]
    contributors: tuple[str, ...]
    rules_version: str


@dataclass(frozen=True)
class DoctorSummary:
    made_at: datetime
    findings_from: str | None  # where the findings come from, in words; None when nothing is known
    twitching: tuple[str, ...]
    positives: tuple[str, ...]
    negatives: tuple[str, ...]
    habits: tuple[str, ...]
    diary: tuple[DiaryEntry, ...]
    assessment: AssessmentSummary | None
    sources: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return self.findings_from is None and not self.diary


def _labels(ids: Sequence[str], rules: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(rules.get(rule_id, rule_id.replace("_", " ")) for rule_id in ids)


def _assessment(result: Mapping[str, Any], at: datetime | None) -> AssessmentSummary:
    rules = red_flag_rules()
    flag_labels = {rule.id: rule.label for rule in rules.red_flags}
    flag_labels[rules.not_ruled_out.id] = rules.not_ruled_out.label
    contributor_labels = {rule.id: rule.label for rule in rules.contributors}
    return AssessmentSummary(
        at=at,
        headline=result["level_wording"]["headline"],
        red_flags=_labels([flag["id"] for flag in result.get("red_flags", [])], flag_labels),
        contributors=_labels([c["id"] for c in result.get("contributors", [])], contributor_labels),
        rules_version=result.get("rules_version", ""),
    )


def _cited(result: Mapping[str, Any] | None) -> tuple[str, ...]:
    sources = knowledge_base().sources
    ids = {entry["source"] for key in ("red_flags", "contributors") for entry in (result or {}).get(key, [])}
    ids |= {source_id for source_id, source in sources.items() if source.kind == "article"}
    return tuple(sources[source_id].title for source_id in sorted(ids) if source_id in sources)


def build_summary(
    now: datetime,
    diary: Sequence[DiaryEntry] = (),
    latest: StoredAssessment | None = None,
    conversation_findings: Mapping[str, Any] | None = None,
    conversation_result: Mapping[str, Any] | None = None,
) -> DoctorSummary:
    """The summary from the stored assessment when there is one, else from this conversation's check-in."""
    if latest is not None:
        findings, result = latest.findings, latest.result
        source = f"the check-in of {when(latest.assessed_at)}"
        assessment = _assessment(result, latest.assessed_at)
    else:
        findings, result = dict(conversation_findings or {}), conversation_result
        source = "this conversation" if findings else None
        assessment = _assessment(result, None) if result else None

    def phrases(group: str, value: bool | None = None) -> tuple[str, ...]:
        out = []
        for finding in GROUPS[group]:
            if finding.name not in findings:
                continue
            if value is not None and (finding.kind != BOOL or findings[finding.name] is not value):
                continue
            out.append(understood({finding.name: findings[finding.name]}))
        return tuple(out)

    return DoctorSummary(
        made_at=now,
        findings_from=source,
        twitching=phrases("twitch"),
        positives=tuple(p for group in SIGN_GROUPS for p in phrases(group, True)),
        negatives=tuple(p for group in SIGN_GROUPS for p in phrases(group, False)),
        habits=phrases("habits"),
        diary=tuple(diary),
        assessment=assessment,
        sources=_cited(result),
    )


def _or_none(items: Sequence[str]) -> str:
    return "; ".join(items) if items else "none recorded"


def _diary_overview(summary: DoctorSummary) -> str:
    if not summary.diary:
        return "no twitch diary kept"
    first = summary.diary[0].logged_at
    count = len(summary.diary)
    return (
        f"{count} twitch{'es' if count != 1 else ''} logged, the first "
        f"{spoken_days(days_since(first, summary.made_at))} ({when(first)})"
    )


def _assessment_line(assessment: AssessmentSummary) -> str:
    dated = f"{when(assessment.at)}: " if assessment.at else ""
    reasons = f" Reasons: {', '.join(assessment.red_flags)}." if assessment.red_flags else ""
    return f"{dated}{assessment.headline}{reasons}"


def chat_text(summary: DoctorSummary) -> str:
    """The summary as one chat message, short enough to read on a phone."""
    if summary.is_empty:
        return (
            "I have nothing to summarise yet: no check-in in this conversation and no twitch diary. "
            'Say "check my symptoms" or "log a twitch in my left calf" first.'
        )
    lines = [f"Summary for your doctor (from {summary.findings_from or 'your diary'}):"]
    if summary.findings_from:
        lines += [
            f"• Twitching: {_or_none(summary.twitching)}",
            f"• Reported: {_or_none(summary.positives)}",
            f"• Not present: {_or_none(summary.negatives)}",
            f"• Habits: {_or_none(summary.habits)}",
        ]
    lines.append(f"• Diary: {_diary_overview(summary)}")
    if summary.assessment:
        lines.append(f"• Latest assessment: {_assessment_line(summary.assessment)}")
    lines.append(f"Sources: {'; '.join(summary.sources)}")
    lines.append("This is a record of what you told me, not a diagnosis.")
    return "\n".join(lines)


def markdown(summary: DoctorSummary) -> str:
    """The summary as a Markdown document to print or send to a clinic."""

    def bullets(items: Sequence[str]) -> list[str]:
        return [f"- {item}" for item in items] if items else ["- none recorded"]

    doc = [
        "# Muscle twitching: summary for the doctor",
        "",
        f"Made {when(summary.made_at)}. {NOT_A_DIAGNOSIS}",
        "",
        f"Findings from {summary.findings_from or 'no check-in (diary only)'}.",
        "",
        "## The twitching",
        *bullets(summary.twitching),
        "",
        "## Pertinent positives (reported)",
        *bullets(summary.positives),
        "",
        "## Pertinent negatives (said not present)",
        *bullets(summary.negatives),
        "",
        "## Habits and medicines",
        *bullets(summary.habits),
        "",
        "## Twitch diary",
        _diary_overview(summary) + ".",
        "",
        *[f"- {entry_line(entry)}" for entry in summary.diary],
        "",
        "## Latest assessment",
    ]
    if summary.assessment:
        assessment = summary.assessment
        doc += [
            _assessment_line(assessment),
            "",
            f"Everyday triggers that may contribute: {', '.join(assessment.contributors) or 'none found'}.",
            "",
            f"Rules version: {assessment.rules_version}.",
        ]
    else:
        doc.append("No assessment yet.")
    doc += ["", "## Sources", *[f"- {title}" for title in summary.sources], ""]
    return "\n".join(doc)
