"""The red-flag triage engine: the rule file, the vignettes a clinician signed off, and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.findings import FINDINGS, MEDICATION_CLASSES, FindingsError
from bot.triage import (
    LEVELS,
    OPERATOR_KINDS,
    RULES_FILE,
    SCHEMA_FILE,
    RuleFileError,
    assess,
    condition_matches,
    load_rules,
    red_flag_rules,
)

REPO = Path(__file__).resolve().parents[2]
RANK = {level: rank for rank, level in enumerate(LEVELS)}
VIGNETTES: list[dict[str, Any]] = yaml.safe_load(
    (REPO / "tests" / "data" / "triage_vignettes.yml").read_text(encoding="utf-8")
)["vignettes"]
KEY_SIGNS = [
    "breathing_difficulty",
    "sudden_weakness",
    "seizure",
    "weakness",
    "muscle_wasting",
    "swallowing_difficulty",
    "speech_change",
]
CLEAR = {name: False for name in KEY_SIGNS}
RULES = red_flag_rules()
ALL_RULE_IDS = {rule.id for rule in RULES.red_flags + RULES.contributors} | {RULES.not_ruled_out.id}


def ids(entries: list[dict[str, Any]]) -> set[str]:
    return {entry["id"] for entry in entries}


def run_cli(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.triage"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


# --- the rule file ----------------------------------------------------------------------------------------


def test_rule_file_loads_with_all_levels_lowest_first() -> None:
    assert tuple(RULES.levels) == ("self_care", "see_doctor", "urgent", "emergency")
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", RULES.version)
    assert red_flag_rules() is RULES


def test_every_source_is_an_article_in_the_knowledge_base() -> None:
    sources_file = REPO / "data" / "knowledge" / "sources.yml"
    sources = yaml.safe_load(sources_file.read_text(encoding="utf-8"))["sources"]
    cited = {rule.source for rule in RULES.red_flags + RULES.contributors} | {RULES.not_ruled_out.source}
    assert cited <= set(sources)


def test_self_care_gate_covers_the_agreed_warning_signs() -> None:
    assert list(RULES.not_ruled_out.findings) == KEY_SIGNS
    assert RULES.not_ruled_out.level == "see_doctor"


@pytest.mark.parametrize("rule", RULES.red_flags + RULES.contributors, ids=lambda rule: rule.id)
def test_an_absent_finding_never_satisfies_a_rule(rule: Any) -> None:
    assert not condition_matches(rule.when, {})


def test_emergency_wording_names_the_emergency_numbers() -> None:
    for level in ("emergency", "urgent"):
        wording = RULES.levels[level]
        text = wording.what_to_do if level == "emergency" else wording.if_worse
        for number in ("911", "999", "112", "000"):
            assert number in text, (level, number)
    assert "US and Canada" in RULES.levels["emergency"].what_to_do


def test_unproven_remedies_only_appear_as_something_some_people_try() -> None:
    text = " ".join(RULES_FILE.read_text(encoding="utf-8").split())
    for remedy in ("EFT", "lavender", "tart cherry"):
        sentences = [s for s in re.split(r"(?<=[.;])\s", text) if remedy.lower() in s.lower()]
        assert sentences, remedy
        assert all("some people try" in s.lower() for s in sentences), sentences


def _broken_rule_file(tmp_path: Path, change: str) -> Path:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    if change == "unknown finding":
        raw["red_flags"][0]["when"] = {"all": ["weakness", "wobbly_knees"]}
    elif change == "unknown level":
        raw["red_flags"][0]["level"] = "panic"
    elif change == "missing field":
        del raw["contributors"][0]["advice"]
    elif change == "duplicate id":
        raw["contributors"][0]["id"] = raw["red_flags"][0]["id"]
    elif change == "unknown source":
        raw["red_flags"][0]["source"] = "some_blog"
    elif change == "wrong test":
        raw["red_flags"][0]["when"] = {"weakness": {"at_least": 3}}
    elif change == "bad value":
        raw["red_flags"][0]["when"] = {"location": {"includes": "elbow"}}
    elif change == "list without a test":
        raw["red_flags"][0]["when"] = {"location": ["eyelid"]}
    elif change == "empty only":
        raw["red_flags"][0]["when"] = {"location": {"only": []}}
    elif change == "above on a list":
        raw["red_flags"][0]["when"] = {"location": {"above": 3}}
    elif change == "two keys":
        raw["red_flags"][0]["when"] = {"weakness": True, "seizure": True}
    elif change == "unknown test":
        raw["red_flags"][0]["when"] = {"duration_days": {"around": 3}}
    elif change == "empty all":
        raw["red_flags"][0]["when"] = {"all": []}
    elif change == "a number for a yes/no":
        raw["red_flags"][0]["when"] = "duration_days"
    elif change == "empty label":
        raw["red_flags"][1]["label"] = "  "
    elif change == "unknown field":
        raw["contributors"][0]["colour"] = "red"
    elif change == "rule not a mapping":
        raw["red_flags"].append("weakness")
    elif change == "missing section":
        del raw["contributors"]
    elif change == "unknown section":
        raw["extras"] = []
    elif change == "levels out of order":
        raw["levels"] = dict(reversed(list(raw["levels"].items())))
    elif change == "level without a title":
        del raw["levels"]["urgent"]["title"]
    elif change == "gate without {unknown}":
        raw["not_ruled_out"]["explanation"] = "we do not know yet"
    elif change == "gate finding not yes/no":
        raw["not_ruled_out"]["findings"] = ["weakness", "duration_days"]
    elif change == "not a mapping":
        raw = ["weakness"]
    path = tmp_path / "red_flags.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown finding", "unknown finding 'wobbly_knees'"),
        ("unknown level", "unknown level 'panic'"),
        ("missing field", "missing field 'advice'"),
        ("duplicate id", "duplicate rule id 'unspecified_emergency_sign'"),
        ("unknown source", "unknown source 'some_blog'"),
        ("wrong test", "'at_least' does not apply to 'weakness'"),
        ("bad value", "'location' has unknown values ['elbow']"),
        ("list without a test", "'location' is a list, give it a test such as includes"),
        ("empty only", "'only' needs a non-empty list"),
        ("above on a list", "'above' does not apply to 'location', which is a list"),
        ("two keys", "a condition is a finding name or a mapping with one key, got {'weakness': True"),
        ("unknown test", "'duration_days' needs one of the tests at_least, above, below, includes"),
        ("empty all", "'all' needs a non-empty list"),
        ("a number for a yes/no", "'duration_days' is not a yes/no finding, give it a test"),
        ("empty label", "red_flags[1] (breathing_difficulty): 'label' must be non-empty text"),
        ("unknown field", "contributors[0] (caffeine): unknown field 'colour'"),
        ("rule not a mapping", "red_flags[38]: must be a mapping"),
        ("missing section", "missing section 'contributors'"),
        ("unknown section", "unknown section 'extras'"),
        ("levels out of order", "'levels' must define exactly self_care, see_doctor, urgent, emergency"),
        ("level without a title", "levels.urgent: missing field 'title'"),
        ("gate without {unknown}", "not_ruled_out (not_ruled_out): 'explanation' must contain {unknown}"),
        ("gate finding not yes/no", "not_ruled_out.findings: 'duration_days' is not a yes/no finding"),
        ("not a mapping", "the rule file must be a mapping"),
    ],
)
def test_a_broken_rule_file_is_refused_clearly(tmp_path: Path, change: str, message: str) -> None:
    with pytest.raises(RuleFileError) as error:
        load_rules(_broken_rule_file(tmp_path, change))
    assert message in str(error.value)


def test_every_problem_of_a_rule_file_is_listed_at_once(tmp_path: Path) -> None:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    raw["red_flags"][0]["level"] = "panic"  # the schema's
    raw["red_flags"][1]["source"] = "some_blog"  # a cross-check's
    del raw["contributors"][0]["advice"]  # the schema's
    path = tmp_path / "red_flags.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(RuleFileError) as error:
        load_rules(path)
    for problem in ("unknown level 'panic'", "unknown source 'some_blog'", "missing field 'advice'"):
        assert problem in str(error.value)


def test_the_rule_files_shape_is_a_json_schema_any_tool_can_check() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(raw, schema, cls=jsonschema.Draft7Validator)
    raw["red_flags"][0]["when"] = {"duration_days": {"around": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, schema, cls=jsonschema.Draft7Validator)


def test_the_schema_names_the_levels_and_the_tests_the_engine_applies() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert tuple(schema["definitions"]["level"]["enum"]) == LEVELS
    assert tuple(schema["properties"]["levels"]["required"]) == LEVELS
    assert tuple(schema["definitions"]["value_or_test"]["then"]["properties"]) == tuple(OPERATOR_KINDS)


def test_only_means_nothing_but_these_and_above_means_more_than() -> None:
    eyelid_only = {"location": {"only": ["eyelid"]}}
    assert condition_matches(eyelid_only, {"location": ("eyelid",)})
    assert not condition_matches(eyelid_only, {"location": ("eyelid", "calf")})
    assert not condition_matches(eyelid_only, {"location": ()})
    assert condition_matches({"duration_days": {"above": 90}}, {"duration_days": 91})
    assert not condition_matches({"duration_days": {"above": 90}}, {"duration_days": 90})


GUIDELINE_RULES = [rule for rule in RULES.red_flags if rule.source in ("nice_ng42", "nice_ng127")]


def test_the_guideline_signs_have_rules() -> None:
    assert {rule.id for rule in GUIDELINE_RULES} == {
        "falls_or_tripping",
        "dexterity_loss",
        "muscle_stiffness",
        "behaviour_or_thinking_change",
        "breathless_lying_flat_or_on_exertion",
        "morning_headaches",
        "daytime_sleepiness",
        "eyelid_squeezes_shut",
        "eyelid_twitching_over_three_months",
    }


@pytest.mark.parametrize("rule", GUIDELINE_RULES, ids=lambda rule: rule.id)
def test_a_guideline_rule_names_its_guideline_and_diagnoses_nothing(rule: Any) -> None:
    code = {"nice_ng42": "NG42", "nice_ng127": "NG127"}[rule.source]
    assert "NICE's guideline on" in rule.explanation and f"({code})" in rule.explanation
    diagnosis = r"\byou (do not |don't )?have (got )?(a |an |mnd|als|motor neurone|blepharospasm|dystonia)"
    assert not re.search(diagnosis, rule.explanation.lower())


@pytest.mark.parametrize(
    ("sign", "level"),
    [
        ("breathless_lying_flat_or_on_exertion", "urgent"),
        ("morning_headaches", "urgent"),
        ("daytime_sleepiness", "urgent"),
        ("falls_or_tripping", "see_doctor"),
        ("dexterity_loss", "see_doctor"),
        ("muscle_stiffness", "see_doctor"),
        ("behaviour_or_thinking_change", "see_doctor"),
        ("eyelid_forceful_closing", "see_doctor"),
    ],
)
def test_a_guideline_sign_on_its_own_gets_its_level_with_one_reason(sign: str, level: str) -> None:
    result = assess({**CLEAR, sign: True})
    assert result.level == level
    assert result.summary.startswith(RULES.levels[level].headline) and "Main reason: " in result.summary


def test_an_eyelid_twitch_of_more_than_three_months_cites_nice() -> None:
    result = assess({**CLEAR, "location": ["eyelid"], "duration_days": 100})
    flag = next(flag for flag in result.red_flags if flag.id == "eyelid_twitching_over_three_months")
    assert flag.source == "nice_ng127" and "three months" in flag.explanation
    assert "eyelid_twitching_over_three_months" not in ids(
        assess({**CLEAR, "location": ["eyelid", "face"], "duration_days": 100}).to_dict()["red_flags"]
    )


# --- the vignettes ----------------------------------------------------------------------------------------


def test_vignette_file_is_well_formed() -> None:
    assert len(VIGNETTES) >= 45
    assert len({v["id"] for v in VIGNETTES}) == len(VIGNETTES)
    for vignette in VIGNETTES:
        assert RANK[vignette["min"]] <= RANK[vignette["max"]], vignette["id"]
        named = {rule for key in ("red_flags", "contributors", "absent") for rule in vignette.get(key, [])}
        assert named <= ALL_RULE_IDS, (vignette["id"], named - ALL_RULE_IDS)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda vignette: vignette["id"])
def test_vignette(vignette: dict[str, Any]) -> None:
    result = assess(vignette["findings"]).to_dict()
    assert RANK[result["level"]] >= RANK[vignette["min"]], f"under-triage: {result['level']}"
    assert set(vignette.get("red_flags", [])) <= ids(result["red_flags"])
    assert set(vignette.get("contributors", [])) <= ids(result["contributors"])
    assert not set(vignette.get("absent", [])) & (ids(result["red_flags"]) | ids(result["contributors"]))


def test_every_rule_is_exercised_by_some_vignette() -> None:
    fired: set[str] = set()
    for vignette in VIGNETTES:
        result = assess(vignette["findings"]).to_dict()
        fired |= ids(result["red_flags"]) | ids(result["contributors"])
    assert ALL_RULE_IDS - fired == set()


def test_triage_error_counts(capsys: pytest.CaptureFixture[str]) -> None:
    levels = {v["id"]: assess(v["findings"]).level for v in VIGNETTES}
    under = [v["id"] for v in VIGNETTES if RANK[levels[v["id"]]] < RANK[v["min"]]]
    over = [v["id"] for v in VIGNETTES if RANK[levels[v["id"]]] > RANK[v["max"]]]
    with capsys.disabled():
        print(
            f"\ntriage vignettes: {len(VIGNETTES)}, under-triage: {len(under)}, "
            f"over-triage: {len(over)} {over}"
        )
    assert under == []
    assert len(over) <= len(VIGNETTES) // 10, f"over-triage is creeping up: {over}"


def test_level_is_never_below_the_highest_matched_rule() -> None:
    rule_level = {rule.id: rule.level for rule in RULES.red_flags} | {RULES.not_ruled_out.id: "see_doctor"}
    for vignette in VIGNETTES:
        result = assess(vignette["findings"]).to_dict()
        highest = max((RANK[rule_level[flag["id"]]] for flag in result["red_flags"]), default=0)
        assert RANK[result["level"]] == highest, vignette["id"]


# --- what a person sees -----------------------------------------------------------------------------------


def test_assessment_has_exactly_the_agreed_shape() -> None:
    result = assess({**CLEAR, "weakness": True, "caffeine_cups_per_day": 4}).to_dict()
    assert set(result) == {
        "level",
        "red_flags",
        "contributors",
        "summary",
        "rules_version",
        "unknown_red_flags",
        "level_title",
        "level_wording",
    }
    assert all(set(flag) == {"id", "explanation", "source"} for flag in result["red_flags"])
    assert all(set(c) == {"id", "explanation", "advice", "source"} for c in result["contributors"])
    assert set(result["level_wording"]) == {"headline", "what_to_do", "if_worse"}
    assert result["level_title"] == RULES.levels["see_doctor"].title
    assert result["rules_version"] == RULES.version
    json.dumps(result)


def test_self_care_when_every_warning_sign_is_answered_no() -> None:
    result = assess({**CLEAR, "location": ["eyelid"], "caffeine_cups_per_day": 5, "sleep_hours": 5})
    assert result.level == "self_care"
    assert result.unknown_red_flags == () and result.red_flags == ()
    assert result.summary == (
        "Nothing you told us is a warning sign, so this can be looked after at home. "
        "Likely everyday triggers: caffeine and short sleep."
    )


@pytest.mark.parametrize("sign", KEY_SIGNS)
def test_an_unanswered_warning_sign_is_not_ruled_out(sign: str) -> None:
    findings = {name: value for name, value in CLEAR.items() if name != sign}
    result = assess(findings)
    assert result.level == "see_doctor"
    assert result.unknown_red_flags == (sign,)
    (flag,) = result.red_flags
    assert flag.id == "not_ruled_out" and FINDINGS[sign].label in flag.explanation
    assert "not yet ruled out" in result.summary


def test_weakness_raises_the_level_and_is_explained() -> None:
    result = assess({**CLEAR, "weakness": True})
    assert result.level == "see_doctor"
    assert "weakness" in result.red_flags[0].explanation
    assert result.summary.endswith("Main reason: muscle weakness.")


@pytest.mark.parametrize("medication", MEDICATION_CLASSES)
def test_a_medicine_is_raised_with_the_doctor_and_never_stopped(medication: str) -> None:
    result = assess({**CLEAR, "medications": [medication]})
    assert result.level == "see_doctor"
    (contributor,) = result.contributors
    assert contributor.id == f"medication_{medication}"
    assert "never stop" in contributor.advice.lower()
    assert "never stop" in result.red_flags[0].explanation.lower()


def test_reflux_medicine_points_to_magnesium() -> None:
    (contributor,) = assess({**CLEAR, "medications": ["proton_pump_inhibitor"]}).contributors
    assert "magnesium" in contributor.explanation and "magnesium" in contributor.advice


def test_summary_is_at_most_two_plain_sentences() -> None:
    for vignette in VIGNETTES:
        summary = assess(vignette["findings"]).summary
        assert 1 <= len(re.findall(r"[.!?](?:\s|$)", summary)) <= 2, summary


def test_emergency_summary_starts_with_the_call_to_action() -> None:
    result = assess({"breathing_difficulty": True})
    assert result.summary.startswith("This could be an emergency: call your emergency number now.")
    assert "911" in result.level_wording.what_to_do


def test_assess_refuses_unknown_findings() -> None:
    with pytest.raises(FindingsError, match="wobbly_knees"):
        assess({"wobbly_knees": True})


# --- the command line -------------------------------------------------------------------------------------


def test_cli_weak_hand_for_forty_days() -> None:
    done = run_cli('{"weakness": true, "location": ["hand"], "duration_days": 40}')
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert RANK[result["level"]] >= RANK["see_doctor"]
    weakness = next(flag for flag in result["red_flags"] if flag["id"] == "weakness")
    assert "weakness" in weakness["explanation"] and weakness["source"] == "twitch_types_triggers"
    assert done.stdout.startswith('{\n  "level"')


def test_cli_emergency_prints_the_numbers() -> None:
    done = run_cli('{"seizure": true}')
    assert done.returncode == 0
    assert json.loads(done.stdout)["level"] == "emergency" and "999" in done.stdout


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{weakness: yes", "not valid JSON"),
        ("", "no findings on stdin"),
        ('["weakness"]', "must be a JSON object"),
        ('{"wobbly_knees": true}', "unknown finding 'wobbly_knees'"),
        ('{"weakness": "yes", "frequency": "often"}', "'weakness' must be true or false"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(stdin: str, message: str) -> None:
    done = run_cli(stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
