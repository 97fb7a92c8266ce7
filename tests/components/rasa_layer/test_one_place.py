"""Rasa is changed in one place: no module outside components/rasa_layer assigns to anything of Rasa's."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List, Set

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("bot", "actions", "components", "scripts", "rasa_sdk_plugins")
LAYER = ROOT / "components" / "rasa_layer"
RASAS = ("rasa", "rasa_sdk", "sanic", "aiohttp", "gc")


def imported_from_rasa(tree: ast.Module) -> Set[str]:
    """The names a module binds to Rasa's modules, classes and functions."""
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] in RASAS}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in RASAS:
            names |= {a.asname or a.name for a in node.names}
    return names


def changes_to_rasa(source: str) -> List[str]:
    """Each assignment to an attribute of something imported from Rasa, setattr on one, and gc.freeze."""
    tree = ast.parse(source)
    rasas = imported_from_rasa(tree)
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "setattr" and node.args:
            targets = [ast.Attribute(value=node.args[0], attr="?")]
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "gc.freeze":
            found.append(f"{node.lineno}: gc.freeze()")
        for target in targets:
            base = target
            while isinstance(base, ast.Attribute):
                base = base.value
            if target is not base and isinstance(base, ast.Name) and base.id in rasas:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_the_layer_changes_rasa() -> None:
    outside = [
        f"{path.relative_to(ROOT)}:{change}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if LAYER not in path.parents
        for change in changes_to_rasa(path.read_text(encoding="utf-8"))
    ]
    assert outside == []


@pytest.mark.parametrize(
    "change",
    [
        "from rasa.core.actions.action import RemoteAction\nRemoteAction.run = ours",
        "from rasa.core.actions.action import RemoteAction as R\nsetattr(R, 'run', ours)",
        "import rasa.core.processor\nrasa.core.processor.DaskGraphRunner = Ours",
        "import gc\ngc.freeze()",
    ],
)
def test_a_change_to_rasa_is_seen(change: str) -> None:
    assert changes_to_rasa(change)


def test_our_own_objects_are_not_rasas() -> None:
    assert not changes_to_rasa("from rasa.core.agent import Agent\nagent = Agent()\nagent.processor = None")
    assert not changes_to_rasa("setattr(tracker, 'stored_from', 3)")
