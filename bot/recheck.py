"""The re-check a week or two after a check-in: three answers, the findings brought up to date, and what
changed, in data/wording.yml's words.

The findings are the last stored check-in's, with how long it has gone on moved on by the days since then
(while it is still going on) and the re-check's answers added. Nothing is ever taken away, so a re-check can
only keep the level or raise it: a "no" to "any new weakness?" says nothing new, not that an old weakness
has gone. Without a stored check-in, the diary's first entry says how long it has gone on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bot.check_in import check_in, spoken_duration
from bot.commands import command_in
from bot.diary import LONG_LASTING_RULE, long_lasting
from bot.triage import LEVELS, Assessment, assess, red_flag_rules
from bot.wording import wording

HIGHER, SAME, LOWER = "higher", "same", "lower"
DURATION = "duration_days"
FORM_NAME = "recheck_form"
# An answer to a re-check question: yes, no, not sure, or none of these (then it is asked again).
YES, NO, UNSURE, UNCLEAR = "yes", "no", "unsure", "unclear"
ANSWER_VALUES = {YES: True, NO: False, UNSURE: None}


def read_answer(text: str) -> str:
    """Yes, no or not sure, in the words the check-in and the commands know (data/check_in.yml,
    data/commands.yml); UNCLEAR for anything else."""
    interview, command = check_in(), command_in(text)
    if command == "affirm" or interview.says("bare_yes", text):
        return YES
    if command == "deny" or interview.says("none", text):
        return NO
    if interview.says("unsure", text) or interview.says("skip", text):
        return UNSURE
    return UNCLEAR


@dataclass(frozen=True)
class RecheckAnswers:
    """Yes (True), no (False) or not sure (None) to the three questions."""

    still_going: bool | None
    spread: bool | None
    new_weakness: bool | None

    @classmethod
    def from_slots(cls, *values: str | None) -> RecheckAnswers:
        """From the form's three slots, in order, each YES, NO or UNSURE."""
        still_going, spread, new_weakness = (ANSWER_VALUES.get(value or UNSURE) for value in values)
        return cls(still_going, spread, new_weakness)

    @property
    def nothing_new(self) -> bool:
        return self.spread is False and self.new_weakness is False


@dataclass(frozen=True)
class Recheck:
    findings: dict[str, Any]
    before: Assessment | None  # the last check-in's findings, assessed by today's rules
    after: Assessment
    answers: RecheckAnswers

    @property
    def change(self) -> str:
        if self.before is None:
            return SAME
        difference = LEVELS.index(self.after.level) - LEVELS.index(self.before.level)
        return HIGHER if difference > 0 else LOWER if difference < 0 else SAME

    @property
    def settled(self) -> bool:
        """It has stopped, nothing new came, and nothing said before needs a doctor."""
        return (
            self.answers.still_going is False
            and self.answers.nothing_new
            and self.after.level == LEVELS[0]
        )

    @property
    def new_reasons(self) -> list[str]:
        """Why the advice is what it is now, for each reason that was not there before, in plain words."""
        before = {flag.id for flag in self.before.red_flags} if self.before else set()
        labels = {rule.id: rule.label for rule in red_flag_rules().red_flags}
        reasons = []
        for flag in self.after.red_flags:
            if flag.id in before or flag.id not in labels:
                continue
            if flag.id == LONG_LASTING_RULE:
                how_long = spoken_duration(self.findings[DURATION])
                reasons.append(wording("recheck_reason_lasted", how_long=how_long))
            else:
                reasons.append(wording("recheck_reason_new_sign", sign=labels[flag.id]))
        return reasons


def recheck(
    before: Mapping[str, Any] | None,
    answers: RecheckAnswers,
    days_since: float | None,
    diary_days: float | None = None,
) -> Recheck:
    """Brings the findings of the last check-in (`before`, None without one) up to date: `days_since` it, or
    `diary_days` since the diary's first entry, and the answers. A "not sure" counts as still going on."""
    findings = dict(before or {})
    if answers.still_going is not False:
        known = [days for days in (diary_days,) if days is not None]
        if DURATION in findings and days_since is not None:
            known.append(findings[DURATION] + days_since)
        elif days_since is not None and before is not None:
            known.append(days_since)  # it has gone on at least since the last check-in
        if known:
            findings[DURATION] = int(max(known))
    for finding, said in (("spreading", answers.spread), ("weakness", answers.new_weakness)):
        if said:
            findings[finding] = True
        elif said is False:
            findings.setdefault(finding, False)
    return Recheck(findings, assess(before) if before is not None else None, assess(findings), answers)


def what_changed(result: Recheck) -> str:
    """The sentence that comes before the assessment: what changed since the last check-in, or that
    nothing did."""
    if result.settled:
        return wording("recheck_settled", days=int(long_lasting().days))
    reasons = result.new_reasons
    if result.before is None:
        return wording("recheck_no_earlier_check_in")
    before, after = result.before.level_wording.title, result.after.level_wording.title
    if result.change == HIGHER:
        return wording("recheck_level_higher", before=before, after=after, reasons=_listed(reasons))
    if result.change == LOWER:
        return wording("recheck_level_different", before=before, after=after)
    if reasons:
        return wording("recheck_level_same_new_reasons", after=after, reasons=_listed(reasons))
    return wording("recheck_level_same", after=after)


def diary_note(answers: RecheckAnswers) -> str:
    """The note a re-check's diary entry keeps (only made while the twitching goes on)."""
    said = {value: wording(f"recheck_answer_{name}") for name, value in ANSWER_VALUES.items()}
    return wording("recheck_diary_note", spread=said[answers.spread], weakness=said[answers.new_weakness])


def _listed(items: list[str]) -> str:
    if not items:
        return wording("recheck_reason_none")
    if len(items) == 1:
        return items[0]
    return wording("list_and", first=", ".join(items[:-1]), second=items[-1])
