"""The README's map of where each kind of change goes names only paths that exist, so it keeps matching
the tree as the code moves."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def map_paths() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Where a change goes", 1)[1].split("\n## ", 1)[0]
    return [path for path in re.findall(r"`([^`]+)`", section) if "/" in path or "." in path]


def test_the_map_names_enough_places() -> None:
    assert len(map_paths()) >= 20


def test_every_path_the_map_names_exists() -> None:
    missing = [path for path in map_paths() if not (ROOT / path).exists()]
    assert not missing, f"the README's map names paths that do not exist: {missing}"
