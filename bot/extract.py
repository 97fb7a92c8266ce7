"""Free text to findings: "my left calf has twitched for 3 weeks, no weakness, 5 coffees a day".

spaCy's blank English tokenizer, then rule components whose words are data (data/lexicon.yml for the
findings, data/extraction_words.yml for how a sentence hangs together): spelling normalisation (typos
such as "weeknes"), a PhraseMatcher on the normalised words, NegEx-style negation (data/negation.yml) that
carries along a list ("no weakness, numbness or cramps"), and readers for what needs context: where, how
long and how often the twitching is, cups of caffeine, hours of sleep. Only what the text states is
returned; a said-no is False.

    python -m bot.extract "calf twitching for a week, no weakness, 4 cups of coffee a day"
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

import spacy
import yaml
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from bot.amounts import (
    AMOUNT,
    NUMBER_WORDS,
    amount_days,
    as_number,
    dated_phrases,
    number_value,
    since_phrases,
)
from bot.findings import BODY_PARTS, FINDINGS, HABITS, MEDICATION_CLASSES
from bot.negation import negation
from bot.spelling import closest

DATA = Path(__file__).resolve().parent.parent / "data"
LEXICON_FILE = DATA / "lexicon.yml"
WORDS_FILE = DATA / "extraction_words.yml"
SPELLING_MIN_LENGTH = 5
# A message is read up to here. Reading costs more than in proportion to length (0.5 s at 10,000 characters,
# 6 s at 40,000 on the project's machine), and the check-in's actions read the stored text, which can be
# far longer: the channels store a message whole but have only this much of it read
# (components/channels/reading.py).
MAX_TEXT_CHARS = 5_000


def load_words(path: Path) -> dict[str, list[str]]:
    """data/extraction_words.yml, checked: each entry a list of words, each finding it names a finding."""
    words = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, entry in words.items():
        if not isinstance(entry, list) or not all(isinstance(word, str) and word for word in entry):
            raise ValueError(f"{path.name}: {name} must be a list of words (quote yes, no, on and off)")
    for name in ("findings_saying_it_twitches", "findings_about_the_twitching"):
        unknown = sorted(set(words[name]) - set(FINDINGS))
        if unknown:
            raise ValueError(f"{path.name}: {name} names findings bot/findings.py does not define: {unknown}")
    return words


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in words)


def _or_whole_words(words: Iterable[str]) -> str:
    return "".join(rf"|\b{re.escape(word)}\b" for word in words)


# Read once, on import, into the module's constants: the reading below looks them up as fast as before.
_WORDS = load_words(WORDS_FILE)
# Phrases that bind the findings near them into one statement; a clause ends at these.
_CLAUSE_END = re.compile(r"[.;!?\n]|," + _or_whole_words(_WORDS["clause_breaks"]))
_SENTENCE_END = re.compile(r"[.;!?\n]+" + _or_whole_words(_WORDS["sentence_breaks"]))
_LIST_GLUE = frozenset(_WORDS["list_glue"])
_DURATION_LEAD = frozenset(_WORDS["duration_lead"])
_INTENSIFIED = re.compile(rf"\b({_alternatives(_WORDS['duration_intensifiers'])})\b")
_RATE = re.compile(rf"({_alternatives(_WORDS['rate_words'])})\s+({_alternatives(_WORDS['rate_units'])})\b")
_SINCE_THEN = re.compile(rf"\b({_alternatives(_WORDS['since_then'])})\b")
_HOURS = re.compile(
    r"\b(?P<low>\d+(?:\.\d+)?|[a-z]+)(?:\s*(?:-|to|or)\s*(?P<high>\d+(?:\.\d+)?|[a-z]+))?\s*"
    rf"(?:{_alternatives(_WORDS['hour_units'])})\b"
)


@dataclass(frozen=True)
class Extraction:
    """What a message states: findings in the vocabulary, and the side of a body part where said."""

    findings: Mapping[str, Any]
    sides: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"findings": dict(self.findings), "sides": dict(self.sides)}


@dataclass(frozen=True)
class _Mention:
    kind: str  # finding, answer, normal, body, side, medication,
    # no_medication, frequency, caffeine, sleep, twitch
    value: str
    span: Span
    negated: bool = False


class Extractor:
    def __init__(self, lexicon: Mapping[str, Any]) -> None:
        self.nlp = spacy.blank("en")
        self._abbreviations = dict(lexicon.get("abbreviations") or {})
        # Number words are never typos of a lexicon word ("three" is not "there").
        self._keep = frozenset(lexicon.get("keep") or ()) | set(NUMBER_WORDS)
        self._fine = re.compile(r"^\s*(?:" + "|".join(re.escape(w) for w in lexicon["fine_words"]) + r")\b")
        self._matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._kinds: dict[str, tuple[str, str]] = {}
        for kind, value, phrases in self._lexicon_phrases(lexicon):
            key = f"{kind}:{value}"
            self._kinds[key] = (kind, value)
            self._matcher.add(key, [self.nlp.make_doc(phrase) for phrase in phrases])
        self._vocabulary = {
            token.lower_
            for _, _, phrases in self._lexicon_phrases(lexicon)
            for phrase in phrases
            for token in self.nlp.make_doc(phrase)
        }
        self._by_first_letter: dict[str, list[str]] = {}
        # Sorted, so that a tie between two candidates goes the same way in every run.
        for word in sorted(self._vocabulary):
            if len(word) >= SPELLING_MIN_LENGTH - 1 and word.isalpha():
                self._by_first_letter.setdefault(word[0], []).append(word)

    @staticmethod
    def _lexicon_phrases(lexicon: Mapping[str, Any]) -> Iterable[tuple[str, str, list[str]]]:
        for part, phrases in lexicon["body_parts"].items():
            yield "body", part, phrases
        for side, phrases in lexicon["sides"].items():
            yield "side", side, phrases
        yield "twitch", "twitch", lexicon["twitch_words"]
        for name, entry in lexicon["findings"].items():
            yield "finding", name, entry.get("phrases") or []
            yield "answer", name, entry.get("in_answer") or []
            yield "normal", name, entry.get("normal_words") or []
            yield "opposite", name, entry.get("opposites") or []
        for medication, phrases in lexicon["medications"].items():
            yield "medication", medication, phrases
        yield "no_medication", "none", lexicon["no_medications"]
        for choice, phrases in lexicon["frequency"].items():
            yield "frequency", choice, phrases
        yield "caffeine", "caffeine", lexicon["caffeine_drinks"]
        yield "sleep", "sleep", lexicon["sleep_words"]
        yield "ignore", "ignore", lexicon.get("ignore") or []

    def _correct(self, word: str) -> str | None:
        """The lexicon word a typo most likely meant ("weeknes" -> "weakness"), or None.

        As the safety screens' speller: one edit below 9 letters, two from 9. A word under 7 letters one
        letter different from a lexicon word is more often another word than a typo ("check" is not "cheek",
        "dairy" not "daily"), so a single changed letter is not corrected there; ordinary words that are
        still a typo away stay as they are (`keep` in data/lexicon.yml)."""
        if (
            len(word) < SPELLING_MIN_LENGTH
            or not word.isalpha()
            or word in self._vocabulary
            or word in self._keep
        ):
            return None
        candidates = self._by_first_letter.get(word[0], ())
        if len(word) < 7:
            candidates = [c for c in candidates if not _one_letter_changed(word, c)]
        return closest(word, candidates, 1 if len(word) < 9 else 2)

    def parse(self, text: str) -> Doc:
        """The message with typos and short forms replaced by the words they stand for, as a spaCy doc."""
        doc = self.nlp.make_doc(text.replace("\u2019", "'"))
        words = []
        for token in doc:
            lower = token.lower_
            corrected = self._abbreviations.get(lower) or self._correct(lower)
            words.append((corrected or token.text) + token.whitespace_)
        return self.nlp.make_doc("".join(words))

    def _mentions(self, doc: Doc, answering: frozenset[str]) -> list[_Mention]:
        spans = []
        for match_id, start, end in self._matcher(doc):
            kind, value = self._kinds[self.nlp.vocab.strings[match_id]]
            if kind == "answer" and value not in answering:
                continue
            spans.append(Span(doc, start, end, label=match_id))
        lower = doc.text.lower()
        skipped = _general_questions(lower)
        mentions: list[_Mention] = []
        previous: _Mention | None = None
        for span in sorted(filter_spans(spans), key=lambda s: s.start):
            if any(start <= span.start_char < end for start, end in skipped):
                continue
            kind, value = self._kinds[self.nlp.vocab.strings[span.label]]
            if kind == "ignore":
                continue
            # "no idea why my arm twitches" still says where: doubt does not deny a place.
            cancels = negation().cancels_plainly if kind == "body" else negation().cancels
            negated = cancels(lower[: span.start_char])
            if previous and previous.negated and kind in _LISTED:
                between = {t.lower_ for t in doc[previous.span.end : span.start]}
                negated = negated or between <= _LIST_GLUE
            if kind == "normal":
                # "my speech is fine", "no problems with my eyesight": a no; otherwise the word says nothing.
                if not (negated or self._fine.match(lower[span.end_char :])):
                    continue
                kind, negated = "finding", True
            if kind == "opposite":
                # "I drink plenty of water" is a no to dehydration, "I don't drink enough" a yes.
                kind, negated = "finding", not negated
            kind = "finding" if kind == "answer" else kind
            mention = _Mention(kind, value, span, negated)
            mentions.append(mention)
            if kind in _LISTED:
                previous = mention
        return mentions

    def extract(self, text: str, answering: Iterable[str] = (), today: date | None = None) -> Extraction:
        """The findings `text` states. `answering`: the findings a check-in question asked about, which
        allows short answers ("a cut", "my calf", "3 weeks") that would be ambiguous anywhere else. `today`:
        the day the message was written, for "since last tuesday" (the current date when not given)."""
        answering = frozenset(answering)
        today = today or date.today()
        doc = self.parse(text[:MAX_TEXT_CHARS])
        message = _Message.read(doc, self._mentions(doc, answering))
        findings = _said_yes_or_no(message.mentions)
        medications = _medications(message.mentions)
        if medications is not None:
            findings["medications"] = medications
        parts = _where(
            doc,
            message.mentions,
            message.sentences,
            message.clauses,
            message.twitch_sentences,
            "location" in answering,
        )
        if parts:
            findings["location"] = [part for part in BODY_PARTS if part in parts]
        findings.update(_about_the_twitching(message, parts, answering, today))
        cups = _caffeine_cups(doc, message.mentions)
        if cups is not None:
            findings["caffeine_cups_per_day"] = cups
        hours = _sleep_hours(message.text, message.clauses, message.mentions)
        if hours is not None:
            findings["sleep_hours"] = hours
        sides = _sides(message.mentions)
        return Extraction(findings, {part: side for part, side in sides.items() if part in parts})


@dataclass(frozen=True)
class _Message:
    """A parsed message, cut into sentences and clauses (character ranges of its lower-cased text), with
    what it mentions and which of those mentions are of the twitching."""

    text: str
    mentions: list[_Mention]
    sentences: list[tuple[int, int]]
    clauses: list[tuple[int, int]]
    twitch: list[_Mention]
    twitch_sentences: set[int]

    @classmethod
    def read(cls, doc: Doc, mentions: list[_Mention]) -> _Message:
        text = doc.text.lower()
        sentences = _spans_between(text, _SENTENCE_END)
        twitch = [
            m
            for m in mentions
            if m.kind == "twitch" or (m.kind == "finding" and m.value in _SAYS_IT_TWITCHES)
        ]
        twitch_sentences = {_index(m.span.start_char, sentences) for m in twitch}
        return cls(text, mentions, sentences, _spans_between(text, _CLAUSE_END), twitch, twitch_sentences)


def _said_yes_or_no(mentions: list[_Mention]) -> dict[str, Any]:
    """The yes-or-no findings: a "yes" anywhere wins over a "no" elsewhere (medical caution)."""
    findings: dict[str, Any] = {}
    for mention in mentions:
        if mention.kind == "finding":
            findings[mention.value] = findings.get(mention.value, False) or not mention.negated
    return findings


def _medications(mentions: list[_Mention]) -> list[str] | None:
    """The kinds of medicine taken, [] for "no medication", None when the message says nothing of them."""
    taken = [m.value for m in mentions if m.kind == "medication" and not m.negated]
    if taken:
        return [kind for kind in MEDICATION_CLASSES if kind in taken]
    if any(m.kind == "no_medication" for m in mentions):
        return []
    return None


def _about_the_twitching(
    message: _Message, parts: set[str], answering: frozenset[str], today: date
) -> dict[str, Any]:
    """How often and for how long the twitching has gone on, when the message (or the question it answers)
    is about the twitching."""
    found: dict[str, Any] = {}
    mentions, clauses = message.mentions, message.clauses
    about_twitching = bool(message.twitch) or bool(answering & {"frequency", "duration_days", "location"})
    not_twitch_clauses = {
        _index(m.span.start_char, clauses)
        for m in mentions
        if m.kind in ("medication", "caffeine", "sleep")
        or (m.kind == "finding" and m.value not in _ABOUT_THE_TWITCHING)
    }
    # Clauses that name the twitching or its place ("twitch in my glute and hamstring for a week").
    twitch_clauses = {
        _index(m.span.start_char, clauses) for m in message.twitch if m.span.text.lower() not in _PRONOUNS
    } | {_index(m.span.start_char, clauses) for m in mentions if m.kind == "body" and m.value in parts}
    if about_twitching or "frequency" in answering:
        frequency = _frequency(mentions, clauses, twitch_clauses, not_twitch_clauses)
        if frequency:
            found["frequency"] = frequency
    if about_twitching:
        duration = _duration_days(
            message.text,
            clauses,
            message.sentences,
            not_twitch_clauses,
            message.twitch_sentences,
            twitch_clauses,
            today,
        )
        if duration is not None:
            found["duration_days"] = duration
    return found


def _frequency(
    mentions: list[_Mention],
    clauses: list[tuple[int, int]],
    twitch_clauses: set[int],
    not_twitch_clauses: set[int],
) -> str | None:
    """How often the twitching happens, said beside it first ("I walk every day and my calf twitches
    constantly"), else anywhere not about something else."""
    said = [m for m in mentions if m.kind == "frequency"]
    beside = [
        m
        for m in said
        if _index(m.span.start_char, clauses) in twitch_clauses and _after_twitching(m, mentions)
    ]
    elsewhere = [m for m in said if _index(m.span.start_char, clauses) not in not_twitch_clauses]
    return next((m.value for m in beside or elsewhere), None)


_LISTED = ("finding", "medication", "caffeine", "normal")
# The word lists below are data/extraction_words.yml's, which says what each is for.
_PRONOUNS = frozenset(_WORDS["twitch_pronouns"])
_SAYS_IT_TWITCHES = frozenset(_WORDS["findings_saying_it_twitches"])
_ABOUT_THE_TWITCHING = _SAYS_IT_TWITCHES | frozenset(_WORDS["findings_about_the_twitching"])
_QUESTION_START = re.compile(rf"^\s*({_alternatives(_WORDS['question_words'])})(?![\w'])")
# "can't" is not "can": a question word is followed by neither a letter nor an apostrophe.
_ASKED_WITHOUT_MARK = re.compile(
    rf"^\s*(?:{_alternatives(_WORDS['question_words_without_mark'])})(?![\w'])"
    rf"(?!\s+(?:{_alternatives(_WORDS['request_words'])})\b)"
)
_FIRST_PERSON = re.compile(rf"\b({_alternatives(_WORDS['first_person'])})\b")
_HABITS = frozenset(finding.name for finding in HABITS)
_PLACE_ONLY = frozenset(_WORDS["place_only"])
_LOCATING = frozenset(_WORDS["locating"])
_LOCATING_LINKS = frozenset(_WORDS["locating_links"])


def _after_twitching(said: _Mention, mentions: list[_Mention]) -> bool:
    """Whether the nearest thing said before a frequency is the twitching or its place, not a trigger:
    "twitched every day since a walk" is the twitching's, "since I started drinking monster every day" not."""
    before = [m for m in mentions if m.span.end <= said.span.start and m.kind != "frequency"]
    return not before or before[-1].kind in ("twitch", "body", "side")


def _where(
    doc: Doc,
    mentions: list[_Mention],
    sentences: list[tuple[int, int]],
    clauses: list[tuple[int, int]],
    twitch_sentences: set[int],
    answering_where: bool,
) -> set[str]:
    """The body parts where the twitching is. A part counts when its sentence is about twitching, or only
    names a place in a message about twitching ("Left calf. Twitching a lot."), and its clause is not about
    a symptom or a medicine of its own ("numbness in my toes", "steroids for my back"); a habit beside it
    ("since leg day, my quads twitch") does not take the place away."""
    named_twitching = {
        _index(m.span.start_char, clauses)
        for m in mentions
        if m.kind == "twitch" and m.span.text.lower() not in _PRONOUNS
    }
    own_place = {
        _index(char, clauses)
        for m in mentions
        if (m.kind == "finding" and m.value not in _ABOUT_THE_TWITCHING and m.value not in _HABITS)
        for char in (m.span.start_char, m.span.end_char - 1)
    }
    # "steroids for my back" is the medicine's place; "twitching in my arm since I started it", the twitch's.
    own_place |= {
        _index(m.span.start_char, clauses) for m in mentions if m.kind == "medication"
    } - named_twitching
    bodies = [m for m in mentions if m.kind == "body" and not m.negated]
    covered = {t.i for m in mentions if m.kind in ("body", "side") for t in m.span}
    place_only: set[int] = set()
    if twitch_sentences:
        naming, saying_more = set(), set()
        starts = [start for start, _ in sentences]
        for token in doc:
            sentence = bisect.bisect_right(starts, token.idx) - 1  # each sentence's gap is its boundary
            if token.i in covered:
                naming.add(sentence)
            elif token.is_alpha and token.lower_ not in _PLACE_ONLY:
                saying_more.add(sentence)
        place_only = naming - saying_more
    ends = {m.span.end: m for m in bodies}
    parts = set()
    for mention in bodies:
        locating = _locates_a_part_before(doc, mention.span.start, ends)
        if locating is not None and locating.value != mention.value:
            continue  # "the big toe on my right foot": the toe
        sentence = _index(mention.span.start_char, sentences)
        clause = _index(mention.span.start_char, clauses)
        if answering_where or (
            (sentence in twitch_sentences or sentence in place_only) and clause not in own_place
        ):
            parts.add(mention.value)
    return parts


def _locates_a_part_before(doc: Doc, start: int, ends: Mapping[int, _Mention]) -> _Mention | None:
    """The body part a part follows as "<part> on/of my <part>", or None."""
    i = start - 1
    while i >= 0 and doc[i].lower_ in _LOCATING:
        i -= 1
    if i >= 1 and doc[i].lower_ in _LOCATING_LINKS and i < start - 1:
        return ends.get(i)
    return None


def _one_letter_changed(word: str, other: str) -> bool:
    return len(word) == len(other) and sum(a != b for a, b in zip(word, other, strict=True)) == 1


def _general_questions(text: str) -> list[tuple[int, int]]:
    """Questions that are not about the person ("can stress cause twitching?", "why do muscles twitch after
    sport", the question mark left out): they state no finding."""
    ranges, start = [], 0
    for match in re.finditer(r"[.!?\n]+|$", text):
        sentence = text[start : match.end()]
        asked = "?" in match.group(0) or _ASKED_WITHOUT_MARK.match(sentence)
        if asked and _QUESTION_START.match(sentence) and not _FIRST_PERSON.search(sentence):
            ranges.append((start, match.end()))
        start = match.end()
        if not match.group(0):
            break
    return ranges


def _spans_between(text: str, boundary: re.Pattern[str]) -> list[tuple[int, int]]:
    """Character ranges of the pieces of `text` between boundaries (sentences, clauses)."""
    ranges, start = [], 0
    for match in boundary.finditer(text):
        ranges.append((start, match.start()))
        start = match.end()
    ranges.append((start, len(text)))
    return ranges


def _index(char: int, ranges: list[tuple[int, int]]) -> int:
    return next((i for i, (start, end) in enumerate(ranges) if start <= char < max(end, start + 1)), -1)


def _sides(mentions: list[_Mention]) -> dict[str, str]:
    sides: dict[str, str] = {}
    side_at = {m.span.end: m.value for m in mentions if m.kind == "side"}
    for mention in mentions:
        if mention.kind != "body":
            continue
        for gap in (0, 1, 2):  # "left calf", "left inner calf"
            side = side_at.get(mention.span.start - gap)
            if side:
                sides[mention.value] = side
                break
    return sides


def _duration_days(
    text: str,
    clauses: list[tuple[int, int]],
    sentences: list[tuple[int, int]],
    not_twitch_clauses: set[int],
    twitch_sentences: set[int],
    twitch_clauses: set[int],
    today: date,
) -> int | None:
    """How long the twitching has gone on, from phrases that are not about something else (a bite's date).

    A time said beside the twitching counts even with a trigger in the same words ("twitching for 2 days
    after way too many pull ups"); a point in time ("3 weeks ago", "on saturday") away from it counts only
    with a "since then". When a sentence about the twitching says how long, times in other sentences ("Ex
    smoker, quit 2 years ago") are not its duration."""
    # (position, days, kind): a length ("for 3 weeks", "since tuesday"), a time ago, or a point in time
    candidates: list[tuple[int, int, str]] = [(start, days, "length") for start, days in since_phrases(text)]
    candidates.extend(
        (start, days, "length" if start_of_it else "point")
        for start, days, start_of_it in dated_phrases(text, today)
    )
    for match in AMOUNT.finditer(text):
        low, unit = match.group("low"), match.group("unit")
        if not unit or low == "no":
            continue
        before = text[: match.start()].split()
        after = text[match.end() :].lstrip()
        ago = after.startswith("ago")
        if _RATE.match(after):
            continue  # "6 days a week" is a rate
        intensified = _INTENSIFIED.search(match.group(0))
        if low in ("a", "an") and not (ago or intensified) and not (before and before[-1] in _DURATION_LEAD):
            continue  # "4 cups a day" is a rate, not how long
        candidates.append((match.start(), amount_days(match), "ago" if ago else "length"))
    in_twitch_sentences: list[tuple[bool, int]] = []
    elsewhere: list[tuple[bool, int]] = []
    for start, days, kind in candidates:
        sentence, clause = _index(start, sentences), _index(start, clauses)
        since_then = sentence in twitch_sentences and _SINCE_THEN.search(
            text[sentences[sentence][0] : sentences[sentence][1]]
        )
        beside = clause in twitch_clauses or (kind != "point" and clause not in not_twitch_clauses)
        if beside or (kind != "length" and since_then):
            group = in_twitch_sentences if sentence in twitch_sentences else elsewhere
            group.append((kind == "length", days))
    # A length said ("since friday") wins over a point in time with a "since then" ("gym on thursday").
    kept = in_twitch_sentences or elsewhere
    kept = [(True, days) for is_length, days in kept if is_length] or kept
    return max(days for _, days in kept) if kept else None


_FILLER = frozenset(_WORDS["drink_fillers"])
_PER_DAY = tuple(phrase.split() for phrase in _WORDS["per_day"])


def _amount_before(doc: Doc, span: Span) -> float | None:
    """The amount just before a drink: "5 cups", "two coffees", "a couple of energy drinks", "half a cup"."""
    words = [t.lower_ for t in doc[max(span.start - 5, 0) : span.start]]
    while words and words[-1] in _FILLER:
        words.pop()
    if not words:
        return None
    if words[-2:] == ["half", "a"]:
        return 0.5
    if re.fullmatch(r"\d+-\d+", words[-1]):  # "3-4 coffees": the larger, as caffeine more is worse
        return float(max(words[-1].split("-"), key=float))
    return number_value(words[-1])


def _amount_after(doc: Doc, span: Span, drinks_at: set[int]) -> float | None:
    """ "living on red bull, like 4 a day", "diet coke, about 4 cans a day": an amount soon after the drink,
    followed by a rate. An amount just before another drink ("tea, maybe 8 cups a day") is that drink's."""
    for token in doc[span.end : span.end + 8]:
        value = number_value(token.lower_)
        if value is None:
            continue
        rest = doc[token.i + 1 : token.i + 6]
        skip = 0
        while skip < len(rest) and rest[skip].lower_ in _FILLER and rest[skip].i not in drinks_at:
            skip += 1
        words = [t.lower_ for t in rest[skip:]]
        if skip < len(rest) and rest[skip].i in drinks_at:
            return None
        if any(words[: len(phrase)] == phrase for phrase in _PER_DAY):
            return value
    return None


def _caffeine_cups(doc: Doc, mentions: list[_Mention]) -> int | float | None:
    total, stated = 0.0, False
    drinks_at = {m.span.start for m in mentions if m.kind == "caffeine"}
    for mention in mentions:
        if mention.kind != "caffeine":
            continue
        if mention.negated:
            stated = True
            continue
        amount = _amount_before(doc, mention.span)
        if amount is None:
            amount = _amount_after(doc, mention.span, drinks_at)
        if amount is not None and amount != 0:
            total += amount
            stated = True
    return as_number(total) if stated else None


def _sleep_hours(text: str, clauses: list[tuple[int, int]], mentions: list[_Mention]) -> int | float | None:
    sleep_clauses = {_index(m.span.start_char, clauses) for m in mentions if m.kind == "sleep"}
    # "I barely sleep, 3 hours tops": a short clause right after the sleep is its amount.
    sleep_clauses |= {
        i + 1
        for i in sleep_clauses
        if i + 1 < len(clauses) and len(text[clauses[i + 1][0] : clauses[i + 1][1]].split()) <= 3
    }
    for match in _HOURS.finditer(text):
        if _index(match.start(), clauses) not in sleep_clauses:
            continue
        values = [
            v
            for v in (number_value(match.group("low")), number_value(match.group("high") or ""))
            if v is not None
        ]
        if values and all(0 <= v <= 24 for v in values):
            return as_number(min(values))
    return None


@functools.lru_cache(maxsize=1)
def extractor() -> Extractor:
    """The project's extractor, built once per process from data/lexicon.yml."""
    lexicon = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    unknown = sorted(name for name in lexicon["findings"] if name not in FINDINGS)
    if unknown:
        raise ValueError(f"data/lexicon.yml names findings that bot/findings.py does not define: {unknown}")
    return Extractor(lexicon)


def extract(text: str, answering: Iterable[str] = (), today: date | None = None) -> Extraction:
    """The findings a message states (see Extractor.extract)."""
    return extractor().extract(text, answering, today)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the findings a message states, as JSON.")
    parser.add_argument("text", nargs="+", help="the message")
    parser.add_argument(
        "--sides", action="store_true", help="also print the side of each body part where said"
    )
    args = parser.parse_args(argv)
    extraction = extract(" ".join(args.text))
    print(json.dumps(extraction.to_dict() if args.sides else dict(extraction.findings), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
