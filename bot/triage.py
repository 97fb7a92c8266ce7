"""The red-flag triage engine: findings in, a level of care with its reasons and advice out.

The rules are data (data/red_flags.yml), checked when loaded against their JSON Schema
(data/red_flags.schema.json) and the cross-checks a schema cannot express; this module only applies
them. The level is the highest level of any matching rule, and self care needs the key warning signs
answered "no".

    echo '{"weakness": true, "duration_days": 40}' | python -m bot.triage
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

import yaml

from bot.findings import BOOL, FINDINGS, LIST, NUMBER, FindingsError, validate_findings
from bot.wording import wording

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RULES_FILE = DATA_DIR / "red_flags.yml"
SOURCES_FILE = DATA_DIR / "knowledge" / "sources.yml"
SCHEMA_FILE = DATA_DIR / "red_flags.schema.json"
LEVELS = ("self_care", "see_doctor", "urgent", "emergency")
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
    """What the schema cannot see in a condition: each finding exists, and its value or test suits its kind.
    A condition the schema refuses (two keys, an unknown test, an empty list) is left to its message."""
    if isinstance(when, str):
        finding = FINDINGS.get(when)
        if finding is None:
            return [f"{where}: unknown finding '{when}'"]
        return [] if finding.kind == BOOL else [f"{where}: '{when}' is not a yes/no finding, give it a test"]
    if not isinstance(when, dict) or len(when) != 1:
        return []
    ((key, test),) = when.items()
    if key in ("all", "any"):
        parts = test if isinstance(test, list) else []
        return [p for i, part in enumerate(parts) for p in _condition_problems(part, f"{where}.{key}[{i}]")]
    finding = FINDINGS.get(key)
    if finding is None:
        return [f"{where}: unknown finding '{key}'"]
    if not isinstance(test, dict):
        if finding.kind == LIST:  # a list is never equal to a rule's value, so say which test to use
            return [f"{where}: '{key}' is a list, give it a test such as includes, includes_any or only"]
        return _value_problems(key, test, where)
    if len(test) != 1 or next(iter(test)) not in OPERATOR_KINDS:
        return []
    ((operator, argument),) = test.items()
    if OPERATOR_KINDS[operator] != finding.kind:
        return [f"{where}: '{operator}' does not apply to '{key}', which is a {finding.kind}"]
    if operator == "includes":
        return _value_problems(key, [argument], where)
    if operator in ("includes_any", "only") and (not isinstance(argument, list) or not argument):
        return []
    return _value_problems(key, argument, where)


@functools.lru_cache(maxsize=1)
def _rule_file_schema() -> dict[str, Any]:
    """data/red_flags.schema.json: the rule file's shape, as a JSON Schema (draft 7)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _rule_file_shape_check() -> Callable[[Any], Any]:
    """The schema compiled to a check (fastjsonschema): a rule file is loaded once per process, in about a
    tenth of the time jsonschema takes to import, and a sound file needs no more."""
    import fastjsonschema  # late: only loading the rules needs it

    return fastjsonschema.compile(_rule_file_schema())


def _shape_problems(raw: Any) -> list[str]:
    """What is wrong with the rule file's shape, every problem at once; [] for a sound file."""
    import fastjsonschema

    try:
        _rule_file_shape_check()(raw)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    # A broken file: jsonschema, which (unlike the compiled check) finds every problem, not the first.
    from jsonschema import Draft7Validator

    problems: list[str] = []
    for error in Draft7Validator(_rule_file_schema()).iter_errors(raw):
        problems += [p for p in _schema_problem(raw, error) if p not in problems]
    return problems


def _entry_where(raw: Any, path: list[Any]) -> str:
    """Where in the rule file, as "red_flags[3] (weakness_and_wasting).when.all[1]"."""
    where, node = "", raw
    for depth, key in enumerate(path):
        node = node[key]
        where += f"[{key}]" if isinstance(key, int) else (f".{key}" if where else key)
        is_entry = (depth == 1 and isinstance(key, int)) or (depth == 0 and key == "not_ruled_out")
        if is_entry and path[0] != "levels" and isinstance(node, dict):
            where += f" ({node.get('id', 'no id')})"
    return where


_KINDS = {"object": "a mapping", "array": "a list", "string": "text", "number": "a number"}
_PATTERNS = {r"\S": "must be non-empty text", r"\{unknown\}": "must contain {unknown}"}


def _schema_problem(raw: Any, error: Any) -> list[str]:
    """A schema error in the words of the rule file: which entry, which field, what to change."""
    path, instance, rule = list(error.absolute_path), error.instance, error.validator
    schema = _rule_file_schema()["definitions"]
    field = path[-1] if path and isinstance(path[-1], str) else None
    here = _entry_where(raw, path)
    # A field's problem is said at its entry ("red_flags[0] (id): unknown level 'panic'").
    entry = _entry_where(raw, path[:-1]) if field else here
    at = f"{entry}: " if entry else ""
    named = f"'{field}' " if field else ""
    if error.schema == schema["condition"] and rule in ("type", "minProperties", "maxProperties"):
        return [f"{at}a condition is a finding name or a mapping with one key, got {instance!r}"]
    if error.schema == schema["value_or_test"]["then"]:
        tests = ", ".join(OPERATOR_KINDS)
        return [f"{at}{named}needs one of the tests {tests}, got {instance!r}"]
    if rule == "required":
        missing = [name for name in error.validator_value if name not in instance]
        return [f"{here}: missing field '{n}'" if path else f"missing section '{n}'" for n in missing]
    if rule == "additionalProperties":
        unknown = [name for name in instance if name not in error.schema.get("properties", {})]
        return [f"{here}: unknown field '{n}'" if path else f"unknown section '{n}'" for n in unknown]
    if rule == "type" and error.schema == schema["text"]:
        return [f"{at}{named}must be non-empty text"]
    if rule == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        kind = " or ".join(_KINDS.get(k, k) for k in kinds)
        return [f"{at}{named}must be {kind}" if path else f"the rule file must be {kind}"]
    if rule == "enum":
        choices = ", ".join(error.validator_value)
        return [f"{at}unknown {field} {instance!r} ({field}s: {choices})"]
    if rule == "pattern":
        return [f"{at}{named}{_PATTERNS.get(error.validator_value, error.message)}"]
    if rule == "minItems":
        return [f"{at}{named}needs a non-empty list"]
    return [f"{here or 'the rule file'}: {error.message}"]


def _cross_check_problems(raw: Any, sources: set[str]) -> list[str]:
    """What the schema cannot express: the levels' order, the findings each condition names (bot/findings.py)
    and the tests they take, the sources (data/knowledge/sources.yml) and unique rule ids."""
    if not isinstance(raw, dict):
        return []
    problems = []
    levels = raw.get("levels")
    if isinstance(levels, dict) and set(levels) == set(LEVELS) and tuple(levels) != LEVELS:
        problems.append(f"'levels' must define exactly {', '.join(LEVELS)}, lowest first")
    entries: list[tuple[str, Any]] = []
    for section in ("red_flags", "contributors"):
        listed = raw.get(section)
        entries += [(f"{section}[{i}]", e) for i, e in enumerate(listed)] if isinstance(listed, list) else []
    if "not_ruled_out" in raw:
        entries.append(("not_ruled_out", raw["not_ruled_out"]))
    ids = [entry.get("id") if isinstance(entry, dict) else None for _, entry in entries]
    for where, entry in entries:
        if not isinstance(entry, dict):
            continue
        where = f"{where} ({entry.get('id', 'no id')})"
        if "source" in entry and isinstance(entry["source"], str) and entry["source"] not in sources:
            problems.append(f"{where}: unknown source {entry['source']!r} (see {SOURCES_FILE.name})")
        if "when" in entry:
            problems += _condition_problems(entry["when"], where)
    gate = raw.get("not_ruled_out")
    names = gate.get("findings") if isinstance(gate, dict) else None
    for name in names if isinstance(names, list) else []:
        if isinstance(name, str):
            problems += _condition_problems(name, "not_ruled_out.findings")
    problems += [f"duplicate rule id {rule_id!r}" for rule_id in sorted({i for i in ids if ids.count(i) > 1})]
    return problems


def _rule_file_problems(raw: Any, sources: set[str]) -> list[str]:
    """Every problem of a rule file: first its shape (the JSON Schema), then what only code can check."""
    return _shape_problems(raw) + _cross_check_problems(raw, sources)


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
