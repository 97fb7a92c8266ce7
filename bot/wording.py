"""The sentences the assistant builds around values ("Noted: Tue 3 Dec 2026, 09:15 UTC: left calf."), read
from data/wording.yml so that a clinician can review every word without reading Python.

Each entry is a template with named `{values}`; an entry with `one` and `other` forms is chosen by its
`count` value ("1 twitch", "3 twitches"). An unknown name or a missing value raises WordingError, naming
the entry and what is missing, instead of sending a sentence with a hole in it.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any, Mapping

import yaml

WORDING_FILE = Path(__file__).resolve().parent.parent / "data" / "wording.yml"
PLURAL_FORMS = ("one", "other")
# The value that chooses between an entry's `one` and `other` forms.
COUNT = "count"


class WordingError(ValueError):
    """A wording entry that does not exist, a value it needs and was not given, or a malformed file."""


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def _check_entry(name: str, entry: Any) -> list[str]:
    if isinstance(entry, str):
        templates = [entry]
    elif isinstance(entry, dict) and set(entry) == set(PLURAL_FORMS):
        templates = list(entry.values())
    else:
        return [f"{name}: must be text, or `one` and `other` forms"]
    problems = []
    for template in templates:
        if not isinstance(template, str) or not template.strip():
            problems.append(f"{name}: every form must be non-empty text")
            continue
        try:
            fields = _fields(template)
        except ValueError as error:
            problems.append(f"{name}: {error}")
            continue
        unnamed = [field for field in fields if not field.isidentifier()]
        problems += [f"{name}: {{{field}}} must be a plain name" for field in unnamed]
    return problems


def load_wording(path: Path = WORDING_FILE) -> Mapping[str, Any]:
    """The templates of a wording file, checked; raises WordingError listing every problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise WordingError(f"{path}: cannot read the wording file: {error}") from error
    if not isinstance(raw, dict):
        raise WordingError(f"{path}: must be a mapping of names to templates")
    problems = [problem for name, entry in raw.items() for problem in _check_entry(str(name), entry)]
    if problems:
        raise WordingError(f"{path}: " + "; ".join(problems))
    return raw


@functools.lru_cache(maxsize=1)
def templates() -> Mapping[str, Any]:
    """The project's wording file, loaded and checked once per process."""
    return load_wording()


def template(name: str, values: Mapping[str, Any], entries: Mapping[str, Any] | None = None) -> str:
    """The template for `name`, in the form its `count` calls for."""
    entries = templates() if entries is None else entries
    if name not in entries:
        raise WordingError(f"no wording named {name!r} in {WORDING_FILE.name}")
    entry = entries[name]
    if isinstance(entry, str):
        return entry
    if COUNT not in values:
        raise WordingError(f"wording {name!r} has one and other forms and needs a value for {{{COUNT}}}")
    return entry["one"] if values[COUNT] == 1 else entry["other"]


def wording(name: str, **values: Any) -> str:
    """The sentence `name` of data/wording.yml with its values filled in."""
    text = template(name, values)
    missing = sorted(_fields(text) - set(values))
    if missing:
        raise WordingError(f"wording {name!r} needs a value for " + ", ".join(f"{{{m}}}" for m in missing))
    return text.format(**values)
