"""The safety screen: what a message must be met with before anything else, besides an emergency.

- a person in crisis (thoughts of suicide or self-harm, wanting to disappear, direct or not);
- a question about stopping, skipping, halving or swapping a prescribed medicine, or about a dose;
- a medical question outside what the assistant covers (pregnancy, a child, another condition);
- pressure for a diagnosis ("just say yes or no", "you are a doctor now");
- fear that needs to be heard before the facts ("I'm terrified it's ALS and can't sleep").

The phrases are data (data/safety_screen.yml), read after misspellings are corrected (bot/spelling.py), as the
emergency screen (bot/emergency.py) reads its own. Plain functions: `screen(text)` says what a message raises,
in the order it must be answered; the replies are the domain's responses, the facts the knowledge base's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from bot.emergency import compile_phrases, screen_message
from bot.negation import Negation, negation
from bot.spelling import Speller, safety_speller

SCREEN_FILE = Path(__file__).resolve().parent.parent / "data" / "safety_screen.yml"
LEXICON_FILE = Path(__file__).resolve().parent.parent / "data" / "lexicon.yml"

CRISIS = "crisis"
MEDICINE_CHANGE = "medicine_change"
DOSE = "dose"
MEDICAL_OUT_OF_SCOPE = "medical_out_of_scope"
DIAGNOSIS_PRESSURE = "diagnosis_pressure"
HEALTH_ANXIETY = "health_anxiety"
# The order a message's concerns are answered in: the most pressing first.
CONCERNS = (CRISIS, MEDICINE_CHANGE, DOSE, MEDICAL_OUT_OF_SCOPE, DIAGNOSIS_PRESSURE, HEALTH_ANXIETY)
PREGNANCY, CHILD, CONDITION = "pregnancy", "child", "condition"
_SENTENCE = re.compile(r"[.!?;\n]+")
_WORDS = re.compile(r"[\w']+")


@dataclass(frozen=True)
class SafetyReading:
    """What one message raises. `concerns` in answering order; the details say which kind of each."""

    concerns: tuple[str, ...] = ()
    medicine_classes: tuple[str, ...] = ()
    substances: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = field(default=())
    # A change said of something named before ("should I stop them then?"): a medicine question only if
    # what was answered just before was about medicines.
    refers_back_to_a_medicine: bool = False

    def __contains__(self, concern: object) -> bool:
        return concern in self.concerns

    def to_dict(self) -> dict[str, Any]:
        """As plain data, for the message's parse result: the actions read it instead of screening again."""
        return {
            "concerns": list(self.concerns),
            "medicine_classes": list(self.medicine_classes),
            "substances": list(self.substances),
            "out_of_scope": list(self.out_of_scope),
            "refers_back_to_a_medicine": self.refers_back_to_a_medicine,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SafetyReading:
        def names(key: str) -> tuple[str, ...]:
            return tuple(str(name) for name in data.get(key) or ())

        return cls(
            concerns=tuple(name for name in names("concerns") if name in CONCERNS),
            medicine_classes=names("medicine_classes"),
            substances=names("substances"),
            out_of_scope=names("out_of_scope"),
            refers_back_to_a_medicine=bool(data.get("refers_back_to_a_medicine")),
        )


@dataclass(frozen=True)
class SafetyScreen:
    crisis: re.Pattern[str]
    changes: re.Pattern[str]
    medicines: re.Pattern[str]
    medicine_classes: tuple[tuple[str, re.Pattern[str]], ...]
    within_words: int
    medicine_follow_up: re.Pattern[str]
    dose_asking: re.Pattern[str]
    dose_asking_alone: re.Pattern[str]
    substances: tuple[tuple[str, re.Pattern[str]], ...]
    out_of_scope: tuple[tuple[str, re.Pattern[str]], ...]
    twitch_words: re.Pattern[str]
    medical_words: re.Pattern[str]
    diagnosis_pressure: re.Pattern[str]
    feelings: re.Pattern[str]
    fears: re.Pattern[str]
    fear_alone: re.Pattern[str]
    dying_questions: re.Pattern[str]
    negation: Negation
    speller: Speller
    medicine_topics: Mapping[str, str]
    substance_topics: Mapping[str, str]
    habit_topics: frozenset[str] = frozenset()
    amount_topics: frozenset[str] = frozenset()
    amount_not_with: re.Pattern[str] | None = None

    def screen(self, text: str, last_topic: str | None = None) -> SafetyReading:
        normalised = self.speller.normalise(text)
        concerns: list[str] = []
        if self._affirmed(self.crisis, normalised):
            concerns.append(CRISIS)
        classes = self._medicine_classes(normalised)
        is_medicine_word = bool(classes) or bool(self.medicines.search(normalised))
        refers_back = not is_medicine_word and bool(self.medicine_follow_up.search(normalised))
        if is_medicine_word and self._change_near_medicine(normalised):
            concerns.append(MEDICINE_CHANGE)
        substances = tuple(name for name, pattern in self.substances if pattern.search(normalised))
        asks_dose = (substances or is_medicine_word) and self.dose_asking.search(normalised)
        if asks_dose or self.dose_asking_alone.search(normalised):
            concerns.append(DOSE)
        out_of_scope = self._out_of_scope(normalised, classes)
        if out_of_scope:
            concerns.append(MEDICAL_OUT_OF_SCOPE)
        if self.diagnosis_pressure.search(normalised):
            concerns.append(DIAGNOSIS_PRESSURE)
        if CRISIS not in concerns and self._health_anxiety(normalised):
            concerns.append(HEALTH_ANXIETY)
        reading = SafetyReading(tuple(concerns), classes, substances, out_of_scope, refers_back)
        return self.in_light_of(reading, last_topic)

    def asks_an_amount_of(self, text: str, screened: SafetyReading, last_topic: str | None) -> bool:
        """Whether a message naming no medicine, substance or dose (`screened`, its reading by `screen`)
        asks an amount of what the answer just given was about, when that has no dose (`amount_topics` in
        data/safety_screen.yml): "how many hours should I aim for?" after the answer about sleep."""
        if last_topic not in self.amount_topics:
            return False
        normalised = self.speller.normalise(text)
        if DOSE in screened or screened.medicine_classes or screened.substances:
            return False
        if self.medicines.search(normalised):
            return False
        return not (self.amount_not_with and self.amount_not_with.search(normalised))

    def in_light_of(self, reading: SafetyReading, last_topic: str | None) -> SafetyReading:
        """The reading once the topic answered just before is known: "should I stop them?" after an answer
        about medicines is a question about changing a medicine."""
        if not reading.refers_back_to_a_medicine or last_topic not in self.medicine_topics.values():
            return reading
        # "it" is the kind of medicine just answered about (acid tablets after the PPI answer), unless the
        # message names one itself.
        classes = reading.medicine_classes or tuple(
            name for name, topic in self.medicine_topics.items() if topic == last_topic and name != "default"
        )
        concerns = sorted({*reading.concerns, MEDICINE_CHANGE}, key=CONCERNS.index)
        return replace(reading, concerns=tuple(concerns), medicine_classes=classes)

    def in_crisis(self, text: str) -> bool:
        """The person is in crisis: what `screen(text)` raises as CRISIS, for less than the whole screen."""
        return self._affirmed(self.crisis, self.speller.normalise(text))

    def about_twitching(self, text: str) -> bool:
        """The message talks of twitching or muscles (data/safety_screen.yml, `twitch_words`)."""
        return bool(self.twitch_words.search(self.speller.normalise(text)))

    def sounds_medical(self, text: str) -> bool:
        """The message is plainly about health (data/safety_screen.yml, `medical_words`)."""
        return bool(self.medical_words.search(self.speller.normalise(text)))

    def medicine_topic(self, reading: SafetyReading) -> str:
        """The knowledge-base topic that says how the medicine asked about can relate to twitching."""
        for medicine_class in reading.medicine_classes:
            if medicine_class in self.medicine_topics:
                return self.medicine_topics[medicine_class]
        return self.medicine_topics["default"]

    def substance_topic_after(self, candidates: list[str]) -> str | None:
        """The first of `candidates` that says what the sources say about a substance (a dose question
        about "it" right after the answer about magnesium is about magnesium)."""
        known = set(self.substance_topics.values())
        return next((topic for topic in candidates if topic in known), None)

    def dose_topics(self, reading: SafetyReading) -> list[str]:
        """The topics with what the sources say about the substances asked about (at most two)."""
        topics = [self.substance_topics[name] for name in reading.substances]
        if not topics and reading.medicine_classes:
            topics = [self.medicine_topic(reading)]
        return list(dict.fromkeys(topics))[:2] or [self.substance_topics["medicine"]]

    def _affirmed(self, pattern: re.Pattern[str], text: str) -> bool:
        return any(not self.negation.cancels_plainly(text[: m.start()]) for m in pattern.finditer(text))

    def _medicine_classes(self, text: str) -> tuple[str, ...]:
        return tuple(name for name, pattern in self.medicine_classes if pattern.search(text))

    def _change_near_medicine(self, text: str) -> bool:
        for sentence in _SENTENCE.split(text):
            changes = [m.span() for m in self.changes.finditer(sentence)]
            if not changes:
                continue
            medicines = [m.span() for m in self.medicines.finditer(sentence)]
            medicines += [m.span() for _, p in self.medicine_classes for m in p.finditer(sentence)]
            for change in changes:
                for medicine in medicines:
                    start, end = sorted([change, medicine])
                    between = sentence[start[1] : end[0]]
                    if len(_WORDS.findall(between)) <= self.within_words:
                        return True
        return False

    def _out_of_scope(self, text: str, medicine_classes: tuple[str, ...] = ()) -> tuple[str, ...]:
        kinds = [kind for kind, pattern in self.out_of_scope if kind != CONDITION and pattern.search(text)]
        condition = dict(self.out_of_scope)[CONDITION]
        # A condition named beside a kind of medicine a topic of its own explains ("can my heartburn pills
        # lower it?", data/safety_screen.yml's medicine topics) is a question about that medicine.
        explained = any(name in self.medicine_topics for name in medicine_classes)
        if not kinds and not explained and condition.search(text) and not self.twitch_words.search(text):
            kinds.append(CONDITION)
        return tuple(kinds)

    def conditions_named(self, text: str) -> list[str]:
        """The words of the conditions outside twitching a message names ("acid reflux", "flu")."""
        condition = dict(self.out_of_scope)[CONDITION]
        normalised = self.speller.normalise(text)
        return [match.group(0) for match in condition.finditer(normalised)]

    def _health_anxiety(self, text: str) -> bool:
        if self._affirmed(self.dying_questions, text) or self._affirmed(self.fear_alone, text):
            return True
        return self._affirmed(self.feelings, text) and bool(self.fears.search(text))


def _medicine_classes(lexicon: Mapping[str, Any]) -> Iterable[tuple[str, re.Pattern[str]]]:
    """The lexicon's kinds of medicine ("antidepressant": sertraline, ...), as phrases to find."""
    for name, phrases in lexicon["medications"].items():
        if name != "other":
            yield name, compile_phrases([re.escape(phrase) for phrase in phrases])


def load_screen(path: Path = SCREEN_FILE, lexicon_path: Path = LEXICON_FILE) -> SafetyScreen:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    lexicon = yaml.safe_load(lexicon_path.read_text(encoding="utf-8"))
    medicine, dose, scope = raw["medicine_change"], raw["dose"], raw["medical_out_of_scope"]
    anxiety = raw["health_anxiety"]
    substances = dose["substances"]
    return SafetyScreen(
        crisis=compile_phrases(raw["crisis"]["patterns"]),
        changes=compile_phrases(medicine["changes"]),
        medicines=compile_phrases(medicine["medicines"]),
        medicine_classes=tuple(_medicine_classes(lexicon)),
        within_words=int(medicine["within_words"]),
        medicine_follow_up=compile_phrases(medicine["follow_up"]),
        dose_asking=compile_phrases(dose["asking"]),
        dose_asking_alone=compile_phrases(dose["asking_alone"]),
        substances=tuple((name, compile_phrases([entry["words"]])) for name, entry in substances.items()),
        out_of_scope=(
            (PREGNANCY, compile_phrases(scope["pregnancy"])),
            (CHILD, compile_phrases(scope["child"])),
            (CONDITION, compile_phrases(scope["conditions"])),
        ),
        twitch_words=compile_phrases(scope["twitch_words"]),
        medical_words=compile_phrases(scope["medical_words"]),
        diagnosis_pressure=compile_phrases(raw["diagnosis_pressure"]["patterns"]),
        feelings=compile_phrases(anxiety["feelings"]),
        fears=compile_phrases(anxiety["fears"]),
        fear_alone=compile_phrases(anxiety["alone"]),
        dying_questions=compile_phrases(anxiety["questions"]),
        negation=negation(),
        speller=safety_speller(),
        medicine_topics=dict(medicine["topics"]),
        substance_topics={name: entry["topic"] for name, entry in substances.items()},
        habit_topics=frozenset(medicine.get("habit_topics") or ()),
        amount_topics=frozenset(dose.get("amount_topics") or ()),
        amount_not_with=compile_phrases([dose["amount_not_with"]]) if dose.get("amount_not_with") else None,
    )


@functools.lru_cache(maxsize=1)
def safety_screen() -> SafetyScreen:
    return load_screen()


def screen(text: str, last_topic: str | None = None) -> SafetyReading:
    """What a message raises besides an emergency, in the order it must be answered. `last_topic`, the
    knowledge-base topic answered just before, lets a bare "should I stop them?" count as a medicine question
    after an answer about medicines."""
    return safety_screen().screen(text, last_topic)


def must_be_met_at_once(text: str) -> bool:
    """An emergency (bot/emergency.py) or a person in crisis: what no limit may hold back or turn away."""
    return bool(screen_message(text)) or safety_screen().in_crisis(text)
