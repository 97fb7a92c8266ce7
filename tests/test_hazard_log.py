"""The hazard log (docs/hazard_log.yml) stays true: every hazard has a control and a test, and every file and
test it names exists, so the log cannot drift from the code."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

LOG = ROOT / "docs" / "hazard_log.yml"
FIELDS = {
    "id",
    "hazard",
    "cause",
    "harm",
    "severity",
    "initial_likelihood",
    "controls",
    "control_files",
    "tests",
    "residual_risk",
}
SEVERITIES = {"minor", "significant", "considerable", "major", "catastrophic"}
LIKELIHOODS = {"very low", "low", "medium", "high", "very high"}
HAZARDS = yaml.safe_load(LOG.read_text(encoding="utf-8"))["hazards"]


@cache
def functions_in(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(node.name for node in tree.body if isinstance(node, ast.FunctionDef))


def test_hazard_ids_are_unique() -> None:
    ids = [hazard["id"] for hazard in HAZARDS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("hazard", HAZARDS, ids=[hazard["id"] for hazard in HAZARDS])
def test_each_hazard_has_a_control_and_a_test_that_exist(hazard: dict[str, Any]) -> None:
    assert set(hazard) == FIELDS
    assert hazard["severity"] in SEVERITIES and hazard["initial_likelihood"] in LIKELIHOODS
    assert hazard["controls"] and hazard["tests"]
    for path in hazard["control_files"]:
        assert (ROOT / path).exists(), f"{hazard['id']}: no {path}"
    for test in hazard["tests"]:
        file, name = test.split("::")
        assert name in functions_in(ROOT / file), f"{hazard['id']}: no test {test}"


def test_the_worst_hazards_are_all_there() -> None:
    named = " ".join(hazard["hazard"].lower() for hazard in HAZARDS)
    worst = ("emergency is missed", "crisis is missed", "stop, skip", "down during an emergency", "wrong")
    for words in worst:
        assert words in named
