"""Reading misspelt words as the words meant: "brethe" is "breathe", "sucidal" is "suicidal".

The safety screens (bot/emergency.py, bot/safety.py) match phrases; a person in distress types fast.
Before matching, each word one or two typos away from a word the screens care about is read as that
word; a short list of known misspellings and text-speak covers what edit distance cannot ("cant",
"kms"). Both lists are data (data/spelling.yml), and ordinary words a typo away from a screen word
stay as they are.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import yaml

SPELLING_FILE = Path(__file__).resolve().parent.parent / "data" / "spelling.yml"
LEXICON_FILE = Path(__file__).resolve().parent.parent / "data" / "lexicon.yml"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
# Digits and symbols written for letters inside a word, to get past filters: "su1cide", "k1ll".
_LEET_LETTERS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET = re.compile(r"(?<=[a-z])[013457@$](?=[a-z])")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with adjacent swaps counted as one edit ("breif" -> "brief"), giving up
    (limit + 1) as soon as it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, before_previous[j - 2] + 1)
            current.append(best)
        if min(current) > limit:
            return limit + 1
        before_previous, previous = previous, current
    return previous[-1]


def closest(word: str, candidates: Iterable[str], limit: int) -> str | None:
    """The candidate fewest edits from `word`, within `limit` (the first of equals), or None."""
    best, best_edits = None, limit + 1
    for candidate in candidates:
        edits = edit_distance(word, candidate, limit)
        if edits < best_edits:
            best, best_edits = candidate, edits
    return best


@dataclass(frozen=True)
class Speller:
    """Corrects words towards a vocabulary: one edit for words of 5-8 letters, two from 9."""

    vocabulary: frozenset[str]
    misspellings: Mapping[str, str]
    keep: frozenset[str]
    min_length: int = 5

    @functools.cached_property
    def _by_first_letter(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            index.setdefault(word[0], []).append(word)
        return index

    def correct(self, word: str) -> str:
        """The word meant, or the word itself when it is known, too short or nothing is close."""
        known = self.misspellings.get(word)
        if known is not None:
            return known
        if len(word) < self.min_length or word in self.keep or not word.isalpha() or self._known(word):
            return word
        limit = 1 if len(word) < 9 else 2
        return closest(word, self._by_first_letter.get(word[0], ()), limit) or word

    def _known(self, word: str) -> bool:
        """A vocabulary word, or its plural ("toddlers" is not a typo of "toddler")."""
        return word in self.vocabulary or (word.endswith("s") and word[:-1] in self.vocabulary) or (
            word.endswith("es") and word[:-2] in self.vocabulary
        )

    def normalise(self, text: str) -> str:
        """Lower case, curly apostrophes made straight, runs of spaces folded, and every word corrected."""
        lowered = " ".join(text.lower().replace("\u2019", "'").replace("\u2018", "'").split())
        lettered = _LEET.sub(lambda match: _LEET_LETTERS[match.group(0)], lowered)
        return _WORD.sub(lambda match: self.correct(match.group(0)), lettered)


def load_speller(path: Path = SPELLING_FILE, extra_vocabulary: Iterable[str] = ()) -> Speller:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Speller(
        vocabulary=frozenset([*raw["vocabulary"], *extra_vocabulary]),
        misspellings={str(wrong): str(right) for wrong, right in (raw.get("misspellings") or {}).items()},
        keep=frozenset(raw.get("keep") or ()),
    )


@functools.lru_cache(maxsize=1)
def safety_speller() -> Speller:
    """The speller of the safety screens: data/spelling.yml, plus the names of medicines in data/lexicon.yml,
    so that "setraline" is read as "sertraline"."""
    lexicon = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    names = {name for phrases in lexicon["medications"].values() for name in phrases if name.isalpha()}
    return load_speller(extra_vocabulary=names)
