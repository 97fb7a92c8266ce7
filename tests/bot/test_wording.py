"""The sentences of data/wording.yml: filled in by name, the right form for a count, and a clear error
instead of a sentence with a hole in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.wording import WordingError, load_wording, templates, wording


def test_a_sentence_is_filled_in_with_its_values() -> None:
    assert wording("diary_entry", when="Tue 1 Dec 2026, 09:00 UTC", place="left calf") == (
        "Tue 1 Dec 2026, 09:00 UTC: left calf"
    )


@pytest.mark.parametrize(("count", "said"), [(1, "1 day ago"), (2, "2 days ago"), (0, "0 days ago")])
def test_the_count_chooses_one_or_other(count: int, said: str) -> None:
    assert wording("days_ago", count=count) == said


def test_an_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(WordingError, match="no wording named 'no_such_sentence'"):
        wording("no_such_sentence")


def test_a_missing_value_is_a_clear_error_naming_it() -> None:
    with pytest.raises(WordingError, match=r"'diary_entry' needs a value for \{place\}"):
        wording("diary_entry", when="today")


def test_one_and_other_forms_need_a_count() -> None:
    with pytest.raises(WordingError, match=r"needs a value for \{count\}"):
        wording("days_ago")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("greeting: ''\n", "non-empty"),
        ("greeting: {one: a}\n", "one` and `other"),
        ("greeting: 'hello {0}'\n", "plain name"),
        ("greeting: 'hello {name'\n", "greeting"),
        ("- a list\n", "mapping"),
    ],
)
def test_a_malformed_wording_file_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "wording.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WordingError, match=problem):
        load_wording(path)


def test_the_projects_wording_file_loads_and_every_sentence_reads_as_words() -> None:
    for name, entry in templates().items():
        forms = entry.values() if isinstance(entry, dict) else [entry]
        assert all(form == form.strip() for form in forms), name


def test_a_kind_of_medicine_without_words_of_its_own_reads_as_its_name() -> None:
    from bot.check_in import understood

    assert understood({"medications": ["proton_pump_inhibitor", "blood_pressure"]}) == (
        "taking reflux tablets (PPI) and blood pressure"
    )
