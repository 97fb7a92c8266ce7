"""Every word a person reads lives in data: an action never sends text written in Python.

Read from the source (AST) of actions/: a message's words come from a domain response
(`utter_message(response="utter_...", value=...)`) or from a function that reads them from data
(bot.wording, the knowledge base, the red-flag rules). A string literal, an f-string, a concatenation, a
`"...".join(...)` or `.format(...)` of one, or a module constant holding one, as the `text` of a message
fails here, naming the file and line; so does any sentence an action holds (three words or more, other
than docstrings and log messages), and a response or wording the code names that the data lacks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bot.check_in import check_in
from bot.findings import FINDINGS, LABEL_PREFIX
from bot.wording import templates
from components.importers.check_in import check_in_responses
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


def _docstrings(tree: ast.Module) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
    }


def _logged(tree: ast.Module) -> set[int]:
    """The strings of log messages, which people never read."""
    return {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "logger"
        for arg in node.args
    }


def sentences(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string of three words or more that is not a docstring or a log message: in an
    action, anything a person could read."""
    tree = ast.parse(source)
    skipped = _docstrings(tree) | _logged(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            if len(re.findall(r"[A-Za-z']+(?:\s|$)", node.value)) >= 3:
                yield node.lineno, node.value[:80]


def test_a_sentence_held_for_later_is_found_but_names_docstrings_and_log_messages_are_not() -> None:
    source = (
        '"""A module about the diary, in words."""\n'
        'HINT = "If you know how long it lasted, tell me."\n'
        'SLOT = "pending_records_slot"\n'
        'logger.error("the records database failed: %s", name)\n'
    )
    assert [line for line, _ in sentences(source)] == [2]


@pytest.mark.parametrize("path", ACTIONS, ids=lambda path: path.name)
def test_no_action_holds_a_sentence_of_its_own(path: Path) -> None:
    """Also text an action builds in a helper and sends later: none is written in Python."""
    found = [f"{path.name}:{line}: {text!r}" for line, text in sentences(path.read_text())]
    assert not found, "words written in Python (use a domain response or bot.wording):\n" + "\n".join(found)


def _named(pattern: str) -> dict[str, list[str]]:
    """Every name the Python of actions/, bot/ and components/ gives as a string literal matching `pattern`,
    with where."""
    found: dict[str, list[str]] = {}
    for folder in ("actions", "bot", "components"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if re.fullmatch(pattern, node.value):
                        found.setdefault(node.value, []).append(f"{folder}/{path.name}:{node.lineno}")
    return found


# Rasa's own names that look like a response's: the key a bot event keeps its response's name under.
RASA_KEYS = {"utter_action"}


def test_every_response_an_action_sends_is_in_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    known = {**domain, **check_in_responses(check_in())}
    named = _named(r"utter_[a-z0-9_]*[a-z0-9]")
    unknown = {name: where for name, where in named.items() if name not in known and name not in RASA_KEYS}
    assert not unknown, f"responses that domain.yml lacks: {unknown}"


# Where a wording name is given: wording(name, ...) and ask_consent(dispatcher, name, ...).
WORDING_ARGUMENT = {"wording": 0, "ask_consent": 1}


def wording_names_called() -> dict[str, list[str]]:
    called: dict[str, list[str]] = {}
    for folder in ("actions", "bot", "components"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                at = WORDING_ARGUMENT.get(node.func.id)
                if at is not None and len(node.args) > at and isinstance(node.args[at], ast.Constant):
                    called.setdefault(node.args[at].value, []).append(f"{folder}/{path.name}:{node.lineno}")
    return called


def test_every_wording_the_code_asks_for_exists() -> None:
    called = wording_names_called()
    missing = {name: where for name, where in called.items() if name not in templates()}
    assert called and not missing, f"names data/wording.yml lacks: {missing}"


def test_every_entry_of_the_wording_file_is_used() -> None:
    # Names built from a value ("understood_frequency_" + "daily", "recheck_answer_" + "yes") count as used by
    # their prefix.
    built = ("understood_frequency_", "understood_medicine_", "recheck_answer_", LABEL_PREFIX)
    named = _named(r"[a-z][a-z0-9_]+")
    unused = [name for name in templates() if name not in named and not name.startswith(built)]
    assert not unused, f"entries of data/wording.yml that nothing says: {unused}"


def test_every_finding_is_named_in_the_wording_file_and_every_name_is_a_finding() -> None:
    labels = {name.removeprefix(LABEL_PREFIX) for name in templates() if name.startswith(LABEL_PREFIX)}
    known = set(FINDINGS)
    assert labels == known, f"unnamed: {known - labels}; not findings: {labels - known}"
