"""The red-flag triage engine: findings in, a level of care with its reasons and advice out.

The rules are data (data/red_flags.yml), checked when loaded; this module only applies them. The level is
the highest level of any matching rule, and self care needs the key warning signs answered "no".

    echo '{"weakness": true, "duration_days": 40}' | python -m bot.triage
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, TextIO

import yaml

from bot.findings import BOOL, FINDINGS, LIST, NUMBER, FindingsError, validate_findings
from bot.wording import wording

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RULES_FILE = DATA_DIR / "red_flags.yml"
SOURCES_FILE = DATA_DIR / "knowledge" / "sources.yml"
LEVELS = ("self_care", "see_doctor", "urgent", "emergency")
WORDING_FIELDS = ("title", "headline", "what_to_do", "if_worse")
RED_FLAG_FIELDS = ("id", "label", "when", "level", "explanation", "source")
CONTRIBUTOR_FIELDS = ("id", "label", "when", "explanation", "advice", "source")
NOT_RULED_OUT_FIELDS = ("id", "label", "level", "findings", "explanation", "source")
OPERATOR_KINDS = {
    "at_least": NUMBER,
    "above": NUMBER,
    "below": NUMBER,
    "includes": LIST,
    "includes_any": LIST,
    "only": LIST,
}
MAX_SUMMARY_REASONS = 3


class RuleFileError(ValueError):
    """The rule file is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class LevelWording:
    title: str  # the heading of the assessment card in every channel
    headline: str
    what_to_do: str
    if_worse: str


@dataclass(frozen=True)
class RedFlagRule:
    id: str
    label: str
    when: Any
    level: str
    explanation: str
    source: str


@dataclass(frozen=True)
class ContributorRule:
    id: str
    label: str
    when: Any
    explanation: str
    advice: str
    source: str


@dataclass(frozen=True)
class NotRuledOut:
    id: str
    label: str
    level: str
    findings: tuple[str, ...]
    explanation: str
    source: str


@dataclass(frozen=True)
class RuleSet:
    version: str
    levels: Mapping[str, LevelWording]
    red_flags: tuple[RedFlagRule, ...]
    contributors: tuple[ContributorRule, ...]
    not_ruled_out: NotRuledOut


@dataclass(frozen=True)
class RedFlag:
    id: str
    explanation: str
    source: str


@dataclass(frozen=True)
class Contributor:
    id: str
    explanation: str
    advice: str
    source: str


@dataclass(frozen=True)
class Assessment:
    level: str
    red_flags: tuple[RedFlag, ...]
    contributors: tuple[Contributor, ...]
    summary: str
    rules_version: str
    unknown_red_flags: tuple[str, ...]
    level_wording: LevelWording

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable assessment the CLI prints and the Rasa actions attach to messages."""
        return {
            "level": self.level,
            "red_flags": [asdict(flag) for flag in self.red_flags],
            "contributors": [asdict(contributor) for contributor in self.contributors],
            "summary": self.summary,
            "rules_version": self.rules_version,
            "unknown_red_flags": list(self.unknown_red_flags),
            # The title once, for the channels' cards; the sentences the message reads as well.
            "level_title": self.level_wording.title,
            "level_wording": {
                name: text for name, text in asdict(self.level_wording).items() if name != "title"
            },
        }


def condition_matches(when: Any, findings: Mapping[str, Any]) -> bool:
    """Whether a (validated) condition holds; an absent finding never satisfies one."""
    if isinstance(when, str):
        return findings.get(when) is True
    ((key, test),) = when.items()
    if key in ("all", "any"):
        results = (condition_matches(part, findings) for part in test)
        return all(results) if key == "all" else any(results)
    if key not in findings:
        return False
    value = findings[key]
    if not isinstance(test, dict):
        return value == test
    ((operator, argument),) = test.items()
    if operator == "at_least":
        return value >= argument
    if operator == "above":
        return value > argument
    if operator == "below":
        return value < argument
    if operator == "includes":
        return argument in value
    if operator == "only":  # something is known, and all of it is in the list ("the eyelid and nowhere else")
        return bool(value) and all(item in argument for item in value)
    return any(item in value for item in argument)


def _value_problems(name: str, value: Any, where: str) -> list[str]:
    try:
        validate_findings({name: value})
    except FindingsError as error:
        return [f"{where}: {problem}" for problem in error.problems]
    return []


def _condition_problems(when: Any, where: str) -> list[str]:
    if isinstance(when, str):
        finding = FINDINGS.get(when)
        if finding is None:
            return [f"{where}: unknown finding '{when}'"]
        return [] if finding.kind == BOOL else [f"{where}: '{when}' is not a yes/no finding, give it a test"]
    if not isinstance(when, dict) or len(when) != 1:
        return [f"{where}: a condition is a finding name or a mapping with one key, got {when!r}"]
    ((key, test),) = when.items()
    if key in ("all", "any"):
        if not isinstance(test, list) or not test:
            return [f"{where}: '{key}' needs a non-empty list of conditions"]
        return [p for i, part in enumerate(test) for p in _condition_problems(part, f"{where}.{key}[{i}]")]
    finding = FINDINGS.get(key)
    if finding is None:
        return [f"{where}: unknown finding '{key}'"]
    if not isinstance(test, dict):
        if finding.kind == LIST:  # a list is never equal to a rule's value, so say which test to use
            return [f"{where}: '{key}' is a list, give it a test such as includes, includes_any or only"]
        return _value_problems(key, test, where)
    if len(test) != 1 or next(iter(test)) not in OPERATOR_KINDS:
        return [f"{where}: '{key}' needs one of the tests {', '.join(OPERATOR_KINDS)}, got {test!r}"]
    ((operator, argument),) = test.items()
    if OPERATOR_KINDS[operator] != finding.kind:
        return [f"{where}: '{operator}' does not apply to '{key}', which is a {finding.kind}"]
    if operator == "includes":
        return _value_problems(key, [argument], where)
    if operator in ("includes_any", "only") and (not isinstance(argument, list) or not argument):
        return [f"{where}: '{operator}' needs a non-empty list"]
    return _value_problems(key, argument, where)


def _entry_problems(entry: Any, fields: tuple[str, ...], where: str, sources: set[str]) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where}: must be a mapping with the fields {', '.join(fields)}"]
    where = f"{where} ({entry.get('id', 'no id')})"
    problems = [f"{where}: missing field '{name}'" for name in fields if name not in entry]
    problems += [f"{where}: unknown field '{name}'" for name in entry if name not in fields]
    for name in set(fields) & (set(entry) - {"when", "findings"}):
        if not isinstance(entry[name], str) or not entry[name].strip():
            problems.append(f"{where}: '{name}' must be non-empty text")
    if "level" in entry and entry["level"] not in LEVELS:
        problems.append(f"{where}: unknown level {entry['level']!r} (levels: {', '.join(LEVELS)})")
    if "source" in entry and entry["source"] not in sources:
        problems.append(f"{where}: unknown source {entry['source']!r} (see {SOURCES_FILE.name})")
    if "when" in entry:
        problems += _condition_problems(entry["when"], where)
    return problems


def _rule_file_problems(raw: Any, sources: set[str]) -> list[str]:
    if not isinstance(raw, dict):
        return ["the rule file must be a mapping"]
    expected = ("version", "levels", "red_flags", "not_ruled_out", "contributors")
    problems = [f"missing section '{name}'" for name in expected if name not in raw]
    problems += [f"unknown section '{name}'" for name in raw if name not in expected]
    if not isinstance(raw.get("version", ""), str):
        problems.append("'version' must be text, for example \"2026.11.1\"")
    levels = raw.get("levels", {})
    if not isinstance(levels, dict) or tuple(levels) != LEVELS:
        problems.append(f"'levels' must define exactly {', '.join(LEVELS)}, lowest first")
    else:
        for level, wording in levels.items():
            ok = isinstance(wording, dict) and set(wording) == set(WORDING_FIELDS)
            ok = ok and all(isinstance(text, str) and text.strip() for text in wording.values())
            if not ok:
                problems.append(f"levels.{level}: needs non-empty {', '.join(WORDING_FIELDS)}")
    ids: list[Any] = []
    for section, fields in (("red_flags", RED_FLAG_FIELDS), ("contributors", CONTRIBUTOR_FIELDS)):
        entries = raw.get(section, [])
        if not isinstance(entries, list):
            problems.append(f"'{section}' must be a list of rules")
            continue
        for i, entry in enumerate(entries):
            problems += _entry_problems(entry, fields, f"{section}[{i}]", sources)
            ids.append(entry.get("id") if isinstance(entry, dict) else None)
    gate = raw.get("not_ruled_out", {})
    problems += _entry_problems(gate, NOT_RULED_OUT_FIELDS, "not_ruled_out", sources)
    if isinstance(gate, dict):
        ids.append(gate.get("id"))
        names = gate.get("findings")
        if not isinstance(names, list) or not names:
            problems.append("not_ruled_out: 'findings' must be a non-empty list of yes/no findings")
        else:
            problems += [p for name in names for p in _condition_problems(name, "not_ruled_out.findings")]
        if "{unknown}" not in str(gate.get("explanation", "")):
            problems.append("not_ruled_out: 'explanation' must contain {unknown}")
    problems += [f"duplicate rule id {rule_id!r}" for rule_id in sorted({i for i in ids if ids.count(i) > 1})]
    return problems


def _source_ids(sources_file: Path) -> set[str]:
    return set((yaml.safe_load(sources_file.read_text(encoding="utf-8")) or {}).get("sources") or {})


def load_rules(path: Path = RULES_FILE, sources_file: Path = SOURCES_FILE) -> RuleSet:
    """Reads and checks a rule file; raises RuleFileError listing every problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RuleFileError(f"{path}: cannot read the rule file: {error}") from error
    problems = _rule_file_problems(raw, _source_ids(sources_file))
    if problems:
        raise RuleFileError(f"{path}: " + "; ".join(problems))
    gate = dict(raw["not_ruled_out"], findings=tuple(raw["not_ruled_out"]["findings"]))
    return RuleSet(
        version=raw["version"],
        levels={name: LevelWording(**wording) for name, wording in raw["levels"].items()},
        red_flags=tuple(RedFlagRule(**rule) for rule in raw["red_flags"]),
        contributors=tuple(ContributorRule(**rule) for rule in raw["contributors"]),
        not_ruled_out=NotRuledOut(**gate),
    )


@functools.lru_cache(maxsize=1)
def red_flag_rules() -> RuleSet:
    """The project's rule file, loaded and checked once per process."""
    return load_rules()


def _spoken_list(items: list[str]) -> str:
    """ "a, b and c" (data/wording.yml's list_and)."""
    return items[0] if len(items) == 1 else wording("list_and", first=", ".join(items[:-1]), second=items[-1])


def _summary(headline: str, reasons: list[str], triggers: list[str]) -> str:
    if reasons:
        shown = reasons[:MAX_SUMMARY_REASONS]
        spoken = _spoken_list(shown)
        return wording("triage_summary_reasons", headline=headline, reasons=spoken, count=len(shown))
    if triggers:
        return wording("triage_summary_triggers", headline=headline, triggers=_spoken_list(triggers))
    return wording("triage_summary_settles", headline=headline)


def assess(findings: Mapping[str, Any], rules: RuleSet | None = None) -> Assessment:
    """The level of care for these findings, with every matching red flag and contributor.

    Raises FindingsError for unknown finding names or wrong values.
    """
    rules = red_flag_rules() if rules is None else rules
    findings = validate_findings(findings)
    gate = rules.not_ruled_out
    unknown = tuple(name for name in gate.findings if name not in findings)
    matched: list[tuple[str, str, RedFlag]] = [
        (rule.level, rule.label, RedFlag(rule.id, rule.explanation, rule.source))
        for rule in rules.red_flags
        if condition_matches(rule.when, findings)
    ]
    if unknown:
        labels = _spoken_list([FINDINGS[name].label for name in unknown])
        explanation = gate.explanation.replace("{unknown}", labels)
        matched.append((gate.level, gate.label, RedFlag(gate.id, explanation, gate.source)))
    matched.sort(key=lambda item: -LEVELS.index(item[0]))
    level = matched[0][0] if matched else LEVELS[0]
    contributors = [rule for rule in rules.contributors if condition_matches(rule.when, findings)]
    wording = rules.levels[level]
    return Assessment(
        level=level,
        red_flags=tuple(flag for _, _, flag in matched),
        contributors=tuple(Contributor(c.id, c.explanation, c.advice, c.source) for c in contributors),
        summary=_summary(
            wording.headline,
            [label for rule_level, label, _ in matched if rule_level == level],
            [c.label for c in contributors],
        ),
        rules_version=rules.version,
        unknown_red_flags=unknown,
        level_wording=wording,
    )


def _fail(message: str, code: int = 2) -> int:
    print(f"bot.triage: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def main(stdin: TextIO | None = None) -> int:
    """CLI: findings JSON on stdin, the assessment JSON on stdout; exit 2 for bad input."""
    text = (stdin or sys.stdin).read()
    if not text.strip():
        return _fail('no findings on stdin; send a JSON object such as {"weakness": true}')
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return _fail(f"the input is not valid JSON ({error})")
    if not isinstance(raw, dict):
        example = '{"weakness": true}'
        return _fail(f"the input must be a JSON object such as {example}, not {type(raw).__name__}")
    try:
        assessment = assess(raw)
    except FindingsError as error:
        return _fail(str(error))
    except RuleFileError as error:
        return _fail(str(error), code=1)
    print(json.dumps(assessment.to_dict(), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
