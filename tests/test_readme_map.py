"""The README keeps matching the tree as the code moves: its map of where each kind of change goes names only
paths that exist, and every picture it shows is in docs/screenshots/."""

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


def test_every_picture_the_readme_shows_is_in_the_tree_and_is_a_png() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r'<img src="([^"]+)"', readme) + re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    needed = {"widget-desktop.png", "widget-phone.png", "widget-dark.png", "summary-page.png"}
    assert needed <= {picture.rsplit("/", 1)[-1] for picture in pictures}, "the README lacks a screenshot"
    for picture in pictures:
        path = ROOT / picture
        assert path.is_file(), f"the README shows {picture}, which is not in the tree"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{picture} is not a PNG"
