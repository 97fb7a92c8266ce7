"""The doctor-visit summary: what the person reported, their diary, habits and latest assessment.

One DoctorSummary is built from what the store keeps (and, before anything is kept, from the current
conversation) and written two ways: a short chat message and a Markdown file to download and print, both
in the words of data/wording.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from bot.check_in import understood
from bot.diary import days_since, entry_line, spoken_days, when
from bot.findings import BOOL, GROUPS
from bot.knowledge import knowledge_base
from bot.storage.repository import DiaryEntry, StoredAssessment
from bot.triage import red_flag_rules
from bot.wording import wording

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
        source = wording("summary_from_check_in", when=when(latest.assessed_at))
        assessment = _assessment(result, latest.assessed_at)
    else:
        findings, result = dict(conversation_findings or {}), conversation_result
        source = wording("summary_from_this_conversation") if findings else None
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
    return "; ".join(items) if items else wording("summary_none_recorded")


def _diary_overview(summary: DoctorSummary) -> str:
    if not summary.diary:
        return wording("summary_no_diary")
    first = summary.diary[0].logged_at
    ago = spoken_days(days_since(first, summary.made_at))
    return wording("summary_diary", count=len(summary.diary), first=ago, when=when(first))


def _assessment_line(assessment: AssessmentSummary) -> str:
    text = assessment.headline
    if assessment.red_flags:
        text = wording("summary_reasons", headline=text, reasons=", ".join(assessment.red_flags))
    return wording("summary_dated", when=when(assessment.at), text=text) if assessment.at else text


def chat_text(summary: DoctorSummary) -> str:
    """The summary as one chat message, short enough to read on a phone."""
    if summary.is_empty:
        return wording("summary_empty")
    lines = [wording("summary_chat_title", source=summary.findings_from or wording("summary_from_diary"))]
    if summary.findings_from:
        lines += [
            wording("summary_chat_twitching", items=_or_none(summary.twitching)),
            wording("summary_chat_reported", items=_or_none(summary.positives)),
            wording("summary_chat_not_present", items=_or_none(summary.negatives)),
            wording("summary_chat_habits", items=_or_none(summary.habits)),
        ]
    lines.append(wording("summary_chat_diary", diary=_diary_overview(summary)))
    if summary.assessment:
        lines.append(wording("summary_chat_assessment", assessment=_assessment_line(summary.assessment)))
    lines.append(wording("summary_chat_sources", sources="; ".join(summary.sources)))
    lines.append(wording("summary_chat_not_a_diagnosis"))
    return "\n".join(lines)


def markdown(summary: DoctorSummary) -> str:
    """The summary as a Markdown document to print or send to a clinic."""

    def items(entries: Sequence[str]) -> list[str]:
        return [wording("summary_file_item", item=entry) for entry in entries]

    def bullets(entries: Sequence[str]) -> list[str]:
        return items(entries) or items([wording("summary_none_recorded")])

    findings_from = summary.findings_from or wording("summary_file_diary_only")
    doc = [
        wording("summary_file_title"),
        "",
        wording("summary_file_made", when=when(summary.made_at)),
        "",
        wording("summary_file_findings_from", source=findings_from),
        "",
        wording("summary_file_twitching"),
        *bullets(summary.twitching),
        "",
        wording("summary_file_positives"),
        *bullets(summary.positives),
        "",
        wording("summary_file_negatives"),
        *bullets(summary.negatives),
        "",
        wording("summary_file_habits"),
        *bullets(summary.habits),
        "",
        wording("summary_file_diary"),
        wording("summary_file_diary_overview", diary=_diary_overview(summary)),
        "",
        *items([entry_line(entry) for entry in summary.diary]),
        "",
        wording("summary_file_assessment"),
    ]
    if summary.assessment:
        assessment = summary.assessment
        triggers = ", ".join(assessment.contributors) or wording("summary_file_no_triggers")
        doc += [
            _assessment_line(assessment),
            "",
            wording("summary_file_triggers", triggers=triggers),
            "",
            wording("summary_file_rules_version", version=assessment.rules_version),
        ]
    else:
        doc.append(wording("summary_file_no_assessment"))
    doc += ["", wording("summary_file_sources"), *items(summary.sources), ""]
    return "\n".join(doc)
