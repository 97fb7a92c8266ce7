"""Every word a person reads lives in data: an action never sends text written in Python.

Read from the source (AST) of actions/: a message's words come from a domain response
(`utter_message(response="utter_...", value=...)`) or from a function that reads them from data
(bot.wording, the knowledge base, the red-flag rules). A string literal, an f-string, a concatenation, a
`"...".join(...)` or `.format(...)` of one, or a module constant holding one, as the `text` of a message
fails here, naming the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import ROOT

ACTIONS = sorted((ROOT / "actions").glob("*.py"))


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level names bound once to a value, as `NAME = value`."""
    bound: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bound[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            bound[node.target.id] = node.value
    return bound


def written_in_python(node: ast.expr, constants: dict[str, ast.expr]) -> bool:
    """Whether an expression builds text out of words written in the code."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return written_in_python(node.left, constants) or written_in_python(node.right, constants)
    if isinstance(node, ast.IfExp):
        return written_in_python(node.body, constants) or written_in_python(node.orelse, constants)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # "...".join(parts), "...{}".format(value), TEXT.format(value)
        return written_in_python(node.func.value, constants) or any(
            written_in_python(arg, constants) for arg in node.args
        )
    if isinstance(node, ast.List | ast.Tuple):
        return any(written_in_python(element, constants) for element in node.elts)
    if isinstance(node, ast.Starred):
        return written_in_python(node.value, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return written_in_python(constants[node.id], constants)
    return False


def texts_written_in_python(source: str) -> Iterator[tuple[int, str]]:
    """(line, expression) of every `utter_message(text=...)` whose text is written in the code."""
    tree = ast.parse(source)
    constants = _constants(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "utter_message":
            continue
        for keyword in node.keywords:
            if keyword.arg == "text" and written_in_python(keyword.value, constants):
                yield node.lineno, ast.unparse(keyword.value)[:80]
        if node.args and written_in_python(node.args[0], constants):  # utter_message("...") sends text too
            yield node.lineno, ast.unparse(node.args[0])[:80]


@pytest.mark.parametrize("path", ACTIONS, ids=lambda path: path.name)
def test_no_action_sends_text_written_in_python(path: Path) -> None:
    found = [f"{path.name}:{line}: {text}" for line, text in texts_written_in_python(path.read_text())]
    assert not found, "text written in Python (use a domain response or bot.wording):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "call",
    [
        'dispatcher.utter_message(text="Hello")',
        'dispatcher.utter_message(text=f"Noted: {entry}.")',
        'dispatcher.utter_message(text="Noted: " + entry)',
        'dispatcher.utter_message(text="\\n\\n".join([first, second]))',
        'dispatcher.utter_message(text="{} left".format(side))',
        'dispatcher.utter_message(text=NOTE)',
        'dispatcher.utter_message(text=NOTE.format(days=3))',
        'dispatcher.utter_message(text=answer if known else "Sorry")',
        'dispatcher.utter_message("Hello")',
    ],
)
def test_text_written_in_python_is_found(call: str) -> None:
    source = f'NOTE = "That is {{days}} days."\n{call}\n'
    assert [line for line, _ in texts_written_in_python(source)] == [2]


@pytest.mark.parametrize(
    "call",
    [
        'dispatcher.utter_message(response="utter_consent", days=days)',
        'dispatcher.utter_message(text=wording("diary_duration_noted", entry=line))',
        "dispatcher.utter_message(text=diary_text(entries, now()))",
        'dispatcher.utter_message(text=kb.answer_text(topic), buttons=buttons)',
        "dispatcher.utter_message(json_message=DATA_DELETED)",
    ],
)
def test_text_read_from_data_passes(call: str) -> None:
    assert list(texts_written_in_python(f"{call}\n")) == []
