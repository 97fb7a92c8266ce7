"""The findings vocabulary: names, groups and the checks every caller relies on."""

from __future__ import annotations

import pytest

from bot.findings import BODY_PARTS, FINDINGS, GROUPS, MEDICATION_CLASSES, FindingsError, validate_findings

# Signs from NICE guidelines NG42 and NG127: warning signs, shown with the others in the doctor's summary.
GUIDELINE_SIGNS = (
    "falls_or_tripping",
    "dexterity_loss",
    "muscle_stiffness",
    "breathless_lying_flat_or_on_exertion",
    "morning_headaches",
    "daytime_sleepiness",
    "behaviour_or_thinking_change",
    "eyelid_forceful_closing",
)
YES_NO = {
    "weakness",
    "muscle_wasting",
    "speech_change",
    "swallowing_difficulty",
    "breathing_difficulty",
    "vision_change",
    "numbness",
    "balance_problems",
    "spreading",
    "cramps",
    "systemic_symptoms",
    "fever",
    "wound_or_bite",
    "jaw_or_neck_stiffness",
    "palpitations",
    "sudden_weakness",
    "seizure",
    "unspecified_emergency_sign",
    "family_history",
    "when_falling_asleep",
    "nicotine",
    "stimulants",
    "stress",
    "hard_exercise",
    "dehydrated",
    "b6_supplements",
    *GUIDELINE_SIGNS,
}
NUMBERS = {"duration_days", "caffeine_cups_per_day", "sleep_hours"}


def test_vocabulary_has_exactly_the_agreed_names_and_kinds() -> None:
    kinds = {name: finding.kind for name, finding in FINDINGS.items()}
    expected = {name: "bool" for name in YES_NO} | {name: "number" for name in NUMBERS}
    expected |= {"location": "list", "medications": "list", "frequency": "choice"}
    assert kinds == expected


def test_allowed_values_for_lists_and_choices() -> None:
    assert FINDINGS["location"].values == BODY_PARTS
    assert {"eyelid", "tongue", "calf", "whole_body"} <= set(BODY_PARTS) and len(BODY_PARTS) == 20
    assert FINDINGS["medications"].values == MEDICATION_CLASSES
    assert "proton_pump_inhibitor" in MEDICATION_CLASSES and "other" in MEDICATION_CLASSES
    assert FINDINGS["frequency"].values == ("occasional", "daily", "constant")


def test_every_finding_sits_in_exactly_one_group() -> None:
    grouped = [finding.name for group in GROUPS.values() for finding in group]
    assert sorted(grouped) == sorted(FINDINGS)
    assert list(GROUPS) == ["twitch", "emergency_screen", "red_flags", "habits"]


def test_emergency_screen_group_is_asked_as_one_block() -> None:
    names = [finding.name for finding in GROUPS["emergency_screen"]]
    assert names == [
        "unspecified_emergency_sign",
        "breathing_difficulty",
        "sudden_weakness",
        "seizure",
        "wound_or_bite",
        "jaw_or_neck_stiffness",
    ]


def test_guideline_signs_are_warning_signs() -> None:
    red_flags = [finding.name for finding in GROUPS["red_flags"]]
    assert set(GUIDELINE_SIGNS) <= set(red_flags)


@pytest.mark.parametrize("name", GUIDELINE_SIGNS)
def test_a_guideline_sign_reads_well_as_a_yes_and_as_a_no(name: str) -> None:
    label = FINDINGS[name].label
    # The summary writes "no <label>": a label starting with an article would read "no an ...".
    assert label == label.lower() and label.split()[0] not in {"a", "an", "the", "no"}


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_every_finding_has_a_label_for_the_summary(name: str) -> None:
    assert FINDINGS[name].label.strip()


def test_valid_findings_come_back_read_only_with_lists_as_tuples() -> None:
    findings = validate_findings(
        {
            "location": ["calf", "calf", "foot"],
            "duration_days": 3,
            "frequency": "daily",
            "weakness": False,
            "sleep_hours": 6.5,
            "medications": [],
            "fever": None,
        }
    )
    assert dict(findings) == {
        "location": ("calf", "foot"),
        "duration_days": 3,
        "frequency": "daily",
        "weakness": False,
        "sleep_hours": 6.5,
        "medications": (),
    }
    with pytest.raises(TypeError):
        findings["weakness"] = True  # type: ignore[index]


def test_false_is_kept_because_no_differs_from_unknown() -> None:
    findings = validate_findings({"weakness": False})
    assert findings["weakness"] is False and "seizure" not in findings


def test_none_means_not_known_yet() -> None:
    assert "fever" not in validate_findings({"fever": None})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"weaknes": True}, "unknown finding 'weaknes' (did you mean 'weakness'?)"),
        ({"weakness": "yes"}, "'weakness' must be true or false, got 'yes'"),
        ({"duration_days": True}, "'duration_days' must be a number, got True"),
        ({"duration_days": -1}, "'duration_days' must be at least 0"),
        ({"sleep_hours": 25}, "'sleep_hours' must be at most 24"),
        ({"caffeine_cups_per_day": float("nan")}, "'caffeine_cups_per_day' must be a number"),
        ({"frequency": "often"}, "'frequency' must be one of occasional, daily, constant, got 'often'"),
        ({"location": "hand"}, "'location' must be a list of"),
        ({"location": ["hand", "elbow"]}, "'location' has unknown values ['elbow']"),
        ({"medications": ["statin"]}, "'medications' has unknown values ['statin']"),
    ],
)
def test_wrong_names_and_values_are_explained(raw: dict, message: str) -> None:
    with pytest.raises(FindingsError) as error:
        validate_findings(raw)
    assert message in str(error.value)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(FindingsError) as error:
        validate_findings({"colour": "red", "weakness": 1, "frequency": "sometimes", "fever": True})
    assert len(error.value.problems) == 3
    assert "colour" in str(error.value) and "weakness" in str(error.value) and "frequency" in str(error.value)


def test_findings_must_be_a_mapping() -> None:
    with pytest.raises(FindingsError, match="must be an object"):
        validate_findings(["weakness"])  # type: ignore[arg-type]
