"""Reading a message as part of a conversation, as people write: a short follow-up to the answer just given,
a person's own story, and two questions in one message. The words are data
(data/conversation_reading.yml); this module has no Rasa in it.

- A follow-up ("is it dangerous?", "what foods have it?", "how common?") is short and refers back: it has a
  word such as "it" or "that", or nothing but the follow-up's own words. `follow_up_aspect` says which kind
  it is, and `answering_topic` which topic answers that kind after the topic just answered.
- A story tells of the writer's own twitching: they speak of themselves, not of someone else, it names
  twitching or a place, and it says something beyond a single question ("my calf has twitched for two
  weeks", not "why does my eyelid twitch?"). `tells_own_story` decides.
- `question_parts` splits a message into its questions, so that each can be answered in order.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple

import yaml

READING_FILE = Path(__file__).resolve().parent.parent / "data" / "conversation_reading.yml"
SAME = "same"
# Question words that start a question even a few words in ("over how long?", "so what causes it").
# Text-speak counts: "y tho", "wat sets it off".
WH_WORDS = frozenset(
    {"what", "whats", "what's", "wat", "wut", "how", "hows", "how's", "why", "y", "which", "when", "where"}
)
# A follow-up showing no kind of its own ("why though?"): answered by the topic just answered.
MORE = "more"
# Kinds of question a switch does not carry on: it names one of the kinds asked for, or asks for more.
NOT_CARRIED = frozenset({"kinds", MORE})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[?.!])\s+|\n+")
# Findings that only say where: a question about one place is still a question.
WHERE = frozenset({"location", "side"})


def words_of(text: str) -> List[str]:
    """The words of a message, lowercased, with text-speak read as the words meant ("how 2 stop em") and
    without a lead-in that only says a question is coming ("i guess what i'm asking is whether it goes
    away": "whether it goes away")."""
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    speak, digits = _text_speak()
    read = []
    for i, word in enumerate(words):
        digit = digits.get(word)
        if digit is not None:
            before, after = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
            if before in digit.get("after", ()) or after in digit.get("before", ()):
                word = digit["word"]
        read.append(speak.get(word, word))
    return _without_lead_ins(read)


def _without_lead_ins(words: List[str]) -> List[str]:
    leading, trailing, asking, asked = _lead_ins()
    for lead in leading:  # longest first
        if len(words) > len(lead) and tuple(words[: len(lead)]) == lead:
            words = words[len(lead) :]
            break
    for lead in asking:
        if len(words) > len(lead) and tuple(words[: len(lead)]) == lead and words[len(lead)] in asked:
            words = words[len(lead) :]
            break
    for tail in trailing:
        if len(words) > len(tail) and tuple(words[-len(tail) :]) == tail:
            words = words[: -len(tail)]
            break
    return words


@functools.lru_cache(maxsize=1)
def _text_speak() -> Tuple[Dict[str, str], Dict[str, Dict[str, Any]]]:
    raw = (yaml.safe_load(READING_FILE.read_text(encoding="utf-8"))["follow_ups"].get("text_speak")) or {}
    words = {str(k).lower(): str(v).lower() for k, v in (raw.get("words") or {}).items()}
    digits = {str(k): dict(v) for k, v in (raw.get("digits") or {}).items()}
    return words, digits


@functools.lru_cache(maxsize=1)
def _lead_ins() -> Tuple[Any, ...]:
    """The lead-ins and the tails of data/conversation_reading.yml as word tuples, longest first, and the
    words a polite lead-in is read past before: a question's first words ("where" too), or "if"."""
    data = yaml.safe_load(READING_FILE.read_text(encoding="utf-8"))
    raw = data["follow_ups"].get("lead_ins") or {}
    asked = frozenset(str(w).lower() for w in data["own_story"]["question_words"]) | WH_WORDS | {"if"}

    def tuples(phrases: List[str]) -> Tuple[Tuple[str, ...], ...]:
        found = {tuple(_WORD.findall(str(p).lower())) for p in phrases or ()}
        return tuple(sorted((t for t in found if t), key=len, reverse=True))

    return tuples(raw.get("leading")), tuples(raw.get("trailing")), tuples(raw.get("asking")), asked


# In a phrase, "~" stands for one or two words of any kind: "what would ~ do" matches "what would the
# doctor do" and "what would they do".
_GAP = "~"


def _phrase_pattern(phrases: List[str]) -> re.Pattern[str]:
    parts = []
    for phrase in phrases:
        words = str(phrase).lower().rstrip("*").split()
        stem = r"\s+".join(r"[a-z0-9']+(?:\s+[a-z0-9']+)?" if w == _GAP else re.escape(w) for w in words)
        parts.append(stem + (r"[a-z']*" if str(phrase).endswith("*") else ""))
    return re.compile(r"(?<![a-z'])(?:" + "|".join(parts) + r")(?![a-z'])")


@dataclass(frozen=True)
class ConversationReading:
    max_words: int
    refers_back: FrozenSet[str]
    filler: FrozenSet[str]
    aspects: Dict[str, re.Pattern[str]]  # in order of precedence
    switches: re.Pattern[str]
    subject_leads: re.Pattern[str]
    general_topics: Dict[str, str]
    aspect_words: FrozenSet[str]
    defaults: Dict[str, str]
    topics: Dict[str, Dict[str, str]]
    first_person: FrozenSet[str]
    someone_else: FrozenSet[str]
    question_words: FrozenSet[str]
    telling_findings: FrozenSet[str]
    asked_about: FrozenSet[str]
    twitch_words: re.Pattern[str]
    joins: re.Pattern[str]
    min_question_words: int
    addressed_to_us: FrozenSet[str] = frozenset()
    question_openers: FrozenSet[str] = frozenset()
    kind_refs: FrozenSet[str] = frozenset()
    hedges: FrozenSet[str] = frozenset()
    requests: Optional[re.Pattern[str]] = None
    conditional_openers: FrozenSet[str] = frozenset()
    definition_asking: Optional[re.Pattern[str]] = None
    definition_also: FrozenSet[str] = frozenset()
    definition_not_with: FrozenSet[str] = frozenset()
    defined_terms: Tuple[Tuple[re.Pattern[str], str], ...] = ()
    context_weight: float = 0.0
    last_topic_boost: float = 0.0
    related_boost: float = 0.0
    kind_words_weight: float = 0.0
    leads_to: Optional[re.Pattern[str]] = None
    mentioning: FrozenSet[str] = frozenset()
    others: Optional[re.Pattern[str]] = None
    excluding: Optional[re.Pattern[str]] = None
    not_excluding: Optional[re.Pattern[str]] = None
    carrying: Optional[re.Pattern[str]] = None
    subject_max_topics: int = 3
    subject_min_uses: int = 3
    # Filled from the knowledge base when loaded (`with_vocabulary`): every word its questions use, and
    # the words that name a subject (used by at most `subject_max_topics` topics: "magnesium", "gym").
    known_words: FrozenSet[str] = frozenset()
    subject_words: FrozenSet[str] = frozenset()

    def with_vocabulary(
        self, questions: Iterable[Tuple[str, str]], answers: Iterable[str] = ()
    ) -> ConversationReading:
        """This reading with the words of the knowledge base: its questions, given as (topic, question),
        name the subjects; its questions and answers are the words it knows."""
        topics_of: Dict[str, set] = {}
        uses: Dict[str, int] = {}
        for topic, question in questions:
            for word in set(words_of(question)):
                topics_of.setdefault(word, set()).add(topic)
                uses[word] = uses.get(word, 0) + 1
        ignored = self.filler | self.refers_back | self.aspect_words | self.first_person
        subjects = {
            word
            for word, topics in topics_of.items()
            if len(topics) <= self.subject_max_topics
            and uses[word] >= self.subject_min_uses
            and word not in ignored
            and not self.twitch_words.fullmatch(word)
        }
        known = set(topics_of) | {word for answer in answers for word in words_of(answer)}
        return replace(self, known_words=frozenset(known), subject_words=frozenset(subjects))

    # Follow-ups -------------------------------------------------------------------------------------
    def follow_up_aspect(self, text: str, places: Iterable[str] = ()) -> Optional[str]:
        """The kind of follow-up a short message referring back is ("foods", "danger"...), else None.

        A message names a subject of its own ("how is bfs diagnosed?", "could the gym be why?") when it
        has a word only a few topics' questions use, or names a place of the body (`places`, found by the
        extractor): the classifier reads those. Without one, a question is about the answer just given:
        of the kind its words show, or, showing none ("what's that called?"), more of the same (`more`)."""
        words = words_of(text)
        if not words or len(words) > self.max_words or any(places):
            return None  # "why does my thumb twitch?" names a place: a question of its own
        lowered = " ".join(words)
        readings = self._read_plainly(words)
        found = [aspect for aspect, pattern in self.aspects.items() if _shown(pattern, readings)]
        own_words = set(self.aspect_words)
        for aspect in found:
            own_words.update(m.group(0) for text in readings for m in self.aspects[aspect].finditer(text))
        ignored = self.filler | self.refers_back | own_words
        content = [word for word in words if word not in ignored]
        if not self.known_words:  # no vocabulary: every other word is a subject
            subject = content
        else:
            subject = [w for w in content if self.names_a_subject(w)]
            if self.switches.match(lowered) and content:
                # "what about meds?" asks about meds, "what about pizza?" about something no topic knows.
                return None
        if subject:
            return None
        leans_back = (
            self.asks(text)
            or bool(set(words[:3]) & (WH_WORDS | {"who", "whom"}))  # "over how long?", "ok who do i tell"
            or bool(set(words) & self.refers_back)
        )
        if found and (leans_back or found[0] == MORE):
            # A follow-up asks or points back ("is it dangerous?", "and that"); "check my symptoms" and
            # "help" are requests ("tell me more" is both).
            return found[0]
        if found:
            return None
        if any(word not in self.known_words for word in content) and self.known_words:
            return None  # "what's the weather tomorrow?": words no topic's questions use
        # "who are you?" is to the assistant; "how do u get it?" uses "you" for anyone.
        to_us = bool(set(words) & self.addressed_to_us) and not set(words) & self.refers_back
        return MORE if self.asks(text) and not to_us else None

    def content_words(self, text: str) -> List[str]:
        """A short message's words beyond a lead-in ("tell me more about"), filler and words referring back:
        "magnesium?" and "tell me more about magnesium" give ["magnesium"]; "and which foods have magnesium"
        gives ["foods", "magnesium"]."""
        if not self.is_short(text):
            return []
        joined = " ".join(words_of(text))
        lead = self.subject_leads.match(joined) or self.switches.match(joined)
        rest = words_of(joined[lead.end() :]) if lead else words_of(joined)
        return [word for word in rest if word not in self.filler and word not in self.refers_back]

    def names_nothing(self, text: str) -> bool:
        """Nothing but a follow-up's own words ("how do I get rid of it?"): no subject of its own, as "my
        knee hurts, how do I get rid of it?" has."""
        ignored = self.filler | self.refers_back | self.aspect_words
        return all(word in ignored for word in words_of(text))

    def refers_back_to_the_answer(self, text: str) -> bool:
        """A short message that leans on what was just said: "it", "that", "one"..., a kind the answer
        named ("the physiologic kind, tell me more"), or "what about"."""
        words = set(words_of(text))
        leaning = words & (self.refers_back | self.kind_refs)
        return self.is_short(text) and (bool(leaning) or self.switches_subject(text))

    def general_topic(self, text: str) -> Optional[str]:
        """The topic that answers, in general, the kind of question `text` asks ("why does my thumb
        twitch?": causes), for a question the retrieval could not place; None when it shows no kind."""
        readings = self._read_plainly(words_of(text))
        for aspect, pattern in self.aspects.items():
            if aspect in self.general_topics and _shown(pattern, readings):
                return self.general_topics[aspect]
        return None

    def general_topics_shown(self, text: str) -> Dict[str, str]:
        """The general topic of every kind of question `text` shows, with that kind ("how common is bfs
        then": {"how_common": "how_common"})."""
        readings = self._read_plainly(words_of(text))
        return {
            self.general_topics[aspect]: aspect
            for aspect, pattern in self.aspects.items()
            if aspect in self.general_topics and _shown(pattern, readings)
        }

    def is_short(self, text: str) -> bool:
        """Short enough to lean on the answer just given."""
        return 0 < len(words_of(text)) <= self.max_words

    def switched_to(self, text: str) -> List[str]:
        """The words of the subject a switch moves to ("what about vitamin d?" -> ["vitamin", "d"])."""
        words = words_of(text)
        joined = " ".join(words)
        match = self.switches.match(joined)
        if not match or len(words) > self.max_words:
            return []
        rest = words_of(joined[match.end() :])
        return [word for word in rest if word not in self.filler and word not in self.refers_back]

    def moves_away(self, text: str) -> bool:
        """A switch or lead-in to a subject ("what about meds?", "and the sleep ones?", "tell me more about
        fasciculations"): it names something beyond the follow-up's own words, so the answer just given
        counts only as much as the subject points to it. "and is it dangerous?" asks about the answer
        itself."""
        words = words_of(text)
        lead = self.subject_leads.match(" ".join(words))
        if lead:
            return self.subject_text(text) is not None
        return any(word not in self.aspect_words for word in self.switched_to(text))

    def asks_for_others(self, text: str) -> bool:
        """"what other meds can do this?", "anything besides magnesium?": another of the kind answered."""
        return self.others is not None and bool(self.others.search(" ".join(words_of(text))))

    def excluded_subject(self, text: str) -> Optional[str]:
        """The subject a question sets aside ("als" in "what other diseases besides ALS cause twitching?",
        "coffee" in "do stimulants other than coffee do it?"): the first word after "besides", "other
        than"... that names something; None when there is none ("anything else besides that?")."""
        if self.excluding is None:
            return None
        joined = " ".join(words_of(text))
        match = self.excluding.search(joined)
        if not match or (self.not_excluding and self.not_excluding.search(joined)):
            return None  # "how do you tell a spasm apart from a twitch" sets nothing aside
        for word in words_of(joined[match.end() :]):
            if word in self.refers_back:
                return None
            if word not in self.filler:
                return word
        return None

    def subjects_named(self, text: str) -> List[str]:
        """The words of a short message that name a subject ("gym" in "could the gym be why?")."""
        if not self.is_short(text):
            return []
        return [word for word in words_of(text) if self.names_a_subject(word)]

    def names_a_subject(self, word: str) -> bool:
        """A subject word, or the plural of one ("coffees", "bananas")."""
        if word in self.subject_words:
            return True
        return word not in self.filler and singular(word) in self.subject_words

    def led_to(self, text: str) -> List[str]:
        """"can it turn into als?", "so it wont become ms?" ask whether what was answered leads to another
        thing: the words naming it (["als"]); none for any other message."""
        if self.leads_to is None or not self.is_short(text):
            return []
        joined = " ".join(words_of(text))
        match = self.leads_to.search(joined)
        if not match:
            return []
        ignored = self.filler | self.refers_back
        return [word for word in words_of(joined[match.end() :]) if word not in ignored]

    def names_a_kind(self, text: str) -> bool:
        """The switch asks about one kind the answer named ("and the sleep ones?"), not a topic of its own."""
        return bool(set(words_of(text)) & self.kind_refs)

    def kind_words(self, text: str) -> List[str]:
        """For a short message naming one kind of thing an answer spoke of ("and the sleep one?", "the
        stiffness one?", "tell me more about the runner one"), the words naming it; else none."""
        words = words_of(text)
        if not self.is_short(text):
            return []
        ignored = self.filler | self.refers_back | self.kind_refs | self.aspect_words
        mentioned = self._named_as_mentioned(words, ignored)
        if mentioned:
            return mentioned
        # "the <one to three words> one", or "the one (you mentioned) about <words>": "which one hurts?"
        # asks which, and names no kind.
        for start, word in enumerate(words):
            if word != "the":
                continue
            if start + 1 < len(words) and words[start + 1] in self.kind_refs:
                return [w for w in words[start + 2 :] if w not in ignored and w not in self.mentioning]
            for end in range(start + 2, min(start + 5, len(words) + 1)):
                if end < len(words) and words[end] in self.kind_refs:
                    return [w for w in words[start + 1 : end] if w not in ignored]
        # "and the runner?", "what about the big jerks": a switch to something the answer may have named.
        joined = " ".join(words)
        switch = self.switches.match(joined)
        after = words_of(joined[switch.end() :]) if switch else []
        if switch and switch.group(0).endswith(" the"):
            named = after
        elif after[:1] == ["the"]:
            named = after[1:]
        else:
            return []
        rest = [w for w in named if w not in ignored]
        # "and the runner?"; "and the jerks when nodding off?" asks more than which one.
        return rest if len(rest) == 1 else []

    def _named_as_mentioned(self, words: List[str], ignored: FrozenSet[str]) -> List[str]:
        """"that syndrome you mentioned", "the vitamin you talked about", "you mentioned easing stress": the
        words naming what the answer said (one to three), else none."""
        for at, word in enumerate(words):
            if word not in self.mentioning or at == 0 or words[at - 1] not in ("you", "u"):
                continue
            before = words[max(0, at - 4) : at - 1]
            pointers = [i for i, w in enumerate(before) if w in ("the", "that", "this", "those")]
            pointer = pointers[-1] if pointers else None
            if pointer is not None:
                named = [w for w in before[pointer + 1 :] if w not in ignored and w not in self.mentioning]
            else:
                named = [w for w in words[at + 1 : at + 4] if w not in ignored and w not in self.mentioning]
            if named:
                return named
        return []

    def subject_text(self, text: str) -> Optional[str]:
        """For a short message that moves to a subject ("what about magnesium specifically?", "tell me more
        about potassium"), the words of the subject after the lead-in, to find the topic by; else None. A
        switch ("what about...", "and the...") needs a word naming a subject; "and is it bad?" has none."""
        words = words_of(text)
        if not words or len(words) > self.max_words:
            return None
        joined = " ".join(words)
        ignored = self.filler | self.refers_back | self.aspect_words
        lead = self.subject_leads.match(joined)
        match = lead or self.switches.match(joined)
        if not match:
            return None
        # The subject alone: "and what about bfs, how many people have that?" is about BFS.
        subject = [word for word in words_of(joined[match.end() :]) if word not in ignored]
        if not subject or (not lead and not any(word in self.subject_words for word in subject)):
            return None
        return " ".join(subject)

    def switches_subject(self, text: str) -> bool:
        """A short follow-up moving to a neighbouring subject: "what about potassium?", "and the X one?",
        "tell me more about potassium"."""
        words = words_of(text)
        joined = " ".join(words)
        return 0 < len(words) <= self.max_words and bool(
            self.switches.match(joined) or self.subject_leads.match(joined)
        )

    def kind_carried(self, last_topic: str, asked_before: str, switch: str) -> Optional[str]:
        """The kind of question the `switch` carries on ("and for myoclonus?"): the kind it shows itself, else
        the kind whose general answer
        `last_topic` is (tests after the answer about doctors' tests), else, for a switch that says it asks
        the same again (`carrying`: "and for myoclonus?", not "and myoclonus?", which asks about it), the
        first kind the question before showed ("how is bfs diagnosed?": tests); None when none does."""
        own = self._kind_shown(switch)
        if own is not None and own not in NOT_CARRIED:
            return own  # "what about worrying about bfs?" asks its own kind of question
        for aspect, topic in self.general_topics.items():
            if topic == last_topic:
                return aspect
        if self.carrying is not None and not self.carrying.search(" ".join(words_of(switch))):
            return None
        shown = self._kind_shown(asked_before)
        # After "what kinds are there?", "what about the big jerks?" picks one kind: it asks about that.
        return None if shown in NOT_CARRIED else shown

    def _kind_shown(self, text: str) -> Optional[str]:
        readings = self._read_plainly(words_of(text))
        return next((aspect for aspect, pattern in self.aspects.items() if _shown(pattern, readings)), None)

    def _read_plainly(self, words: List[str]) -> Tuple[str, ...]:
        """The words as written and without the hedges ("what would the neurologist actually do?" reads as
        "what would the neurologist do?"), for matching the phrases of a kind of follow-up."""
        plain = [word for word in words if word not in self.hedges]
        return (" ".join(words), " ".join(plain)) if len(plain) < len(words) else (" ".join(words),)

    def carried_topic(self, aspect: str, switched_to: str) -> Optional[str]:
        """The topic answering that kind about the topic switched to, when the table names one of its own
        ("tests" after myoclonus: its diagnosis and treatment); None when it is the same topic or a general
        answer, which the switch did not ask for."""
        chosen = self.answering_topic(aspect, switched_to)
        general = set(self.general_topics.values()) | set(self.defaults.values())
        return None if chosen == switched_to or chosen in general else chosen

    def answering_topic(self, aspect: str, last_topic: str) -> str:
        """The topic that answers a follow-up of this kind after `last_topic` was answered."""
        chosen = self.topics.get(last_topic, {}).get(aspect) or self.defaults.get(aspect) or SAME
        return last_topic if chosen == SAME else chosen

    # Stories ----------------------------------------------------------------------------------------
    def speaks_of_themselves(self, text: str) -> bool:
        """The writer speaks of their own body: "I ..." or "my <not a person>". A request to the assistant
        ("tell me more about fasciculations", "explain it to me") says nothing of the writer."""
        lowered = self.requests.sub(" ", " ".join(words_of(text))) if self.requests else text
        words = words_of(lowered)
        if any(word in self.first_person and word not in ("my", "mine") for word in words):
            return True
        for before, after in zip(words, words[1:], strict=False):
            if before == "my" and after.removesuffix("'s") not in self.someone_else:
                return True
        return False

    def tells_own_story(self, text: str, findings: Mapping[str, Any]) -> bool:
        """Whether the message tells of the writer's own twitching (see the module's docstring)."""
        words = words_of(text)
        if not self.speaks_of_themselves(text):
            # "calf twitching for a week, no weakness": a story needs no "I", but then it must tell, not ask,
            # and be about nobody else.
            if not words or self._opens_a_question(words) or any(w in self.someone_else for w in words):
                return False
            if not findings.get("location") or not any(name in self.telling_findings for name in findings):
                return False
        lowered = " ".join(words)
        mentions_twitching = bool(findings.get("location")) or bool(self.twitch_words.search(lowered))
        if not mentions_twitching:
            return False
        sentences = self._sentences(text)
        statements = [sentence for sentence in sentences if self._is_statement(sentence)]
        telling = [name for name in findings if name in self.telling_findings]
        if not any(self._tells(sentence) for sentence in sentences):
            # Only questions: a habit they ask about is the question's subject ("why do my muscles twitch
            # after working out?"), not a story; what they say of themselves still is ("...for 3 weeks?").
            telling = [name for name in telling if name not in self.asked_about]
        return bool(telling or statements)

    def _opens_a_question(self, words: List[str]) -> bool:
        """The sentence starts as a question, after any opening words: "why...", "so is it...", "at what
        point should i...", "ok but how long..."."""
        start = 0
        while start < len(words) - 1 and words[start] in self.question_openers:
            start += 1
        return words[start] in self.question_words

    def _sentences(self, text: str) -> List[str]:
        return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]

    def _tells(self, sentence: str) -> bool:
        """A sentence that tells rather than asks, of the writer ("I lift heavy five days a week."). "I was
        wondering why my calf twitches" asks, as "why does my calf twitch" does, and so does "if I quit,
        will the twitching stop?"."""
        words = words_of(sentence)
        if not words or sentence.rstrip().endswith("?") or self._opens_a_question(words):
            return False
        unrequested = words_of(self.requests.sub(" ", " ".join(words))) if self.requests else words
        if not unrequested or self._opens_a_question(unrequested) or self._asks_what_would_happen(words):
            return False
        return self.speaks_of_themselves(sentence)

    def _asks_what_would_happen(self, words: List[str]) -> bool:
        """"if i quit cold turkey will the twitching stop": a condition, then a question about it."""
        if not words or words[0] not in self.conditional_openers:
            return False
        leaning = self.refers_back | {"the", "my", "i", "there"}
        return any(
            word in self.question_words and following in leaning
            for word, following in zip(words[2:], words[3:], strict=False)
        )

    def _is_statement(self, sentence: str) -> bool:
        """A sentence that tells rather than asks, and speaks of the writer's twitching."""
        words = words_of(sentence)
        return self._tells(sentence) and (
            bool(self.twitch_words.search(" ".join(words))) or self._names_a_place(sentence)
        )

    @staticmethod
    def _names_a_place(sentence: str) -> bool:
        from bot.extract import extract  # late: the extractor loads spaCy

        return bool(extract(sentence).findings.get("location"))

    # Definitions ------------------------------------------------------------------------------------
    def defined_topic(self, text: str) -> Optional[str]:
        """For a message asking only what one term means ("could you explain myoclonus to me?", "I came
        across the word myoclonus in a leaflet. What does it mean?"), the topic that defines it; None for
        anything more ("what tests show myoclonus?", "is myoclonus dangerous?") or a message of a story.
        (Answering a kind of question about a term by the follow-up table, "is bfs rare?" as a follow-up to
        the answer on BFS, was tried: no better on the development sets' first questions.)"""
        if self.definition_asking is None or len(words_of(text)) > self.max_words + 4:
            return None
        joined = " ".join(words_of(text))
        if not self.definition_asking.search(joined):
            return None
        found = [(m, topic) for pattern, topic in self.defined_terms for m in pattern.finditer(joined)]
        # "palatal myoclonus" is one term, not also "myoclonus".
        found = [
            (match, topic)
            for match, topic in found
            if not any(
                other.start() <= match.start() and match.end() <= other.end() and other.span() != match.span()
                for other, _ in found
            )
        ]
        if len({topic for _, topic in found}) != 1:
            return None
        rest = joined
        for match, _ in sorted(found, key=lambda pair: -pair[0].start()):
            rest = rest[: match.start()] + " " + rest[match.end() :]
        rest = self.definition_asking.sub(" ", rest)
        # A word left that asks for more than a definition ("what symptoms with twitching mean i should see a
        # gp") is never ignored.
        ignored = (self.filler | self.refers_back | self.definition_also | self.question_words) - (
            self.definition_not_with
        )
        if any(word not in ignored for word in words_of(rest)):
            return None
        return found[0][1]

    # Two questions ----------------------------------------------------------------------------------
    def question_parts(self, text: str) -> List[str]:
        """The questions a message asks, in order: sentences ending in "?" and questions joined by "and
        what", "and how"...; a part of fewer than `min_question_words` words joins the one before, or, first,
        the one after ("months?? is that normal" is one question)."""
        pieces: List[str] = []
        for sentence in re.split(r"(?<=[?.!])\s+|\n+", text):
            sentence = sentence.strip()
            if not sentence:
                continue
            start = 0
            for match in self.joins.finditer(sentence.lower()):
                pieces.append(sentence[start : match.start()])
                start = match.start() + len(match.group(0).split()[0])  # keep "what", drop "and"
            pieces.append(sentence[start:])
        parts: List[Tuple[str, bool]] = []  # each part, and whether it asks
        for piece in (p.strip(" ,;") for p in pieces):
            if not piece:
                continue
            asked = piece.rstrip().endswith("?") or self.asks(piece)
            if parts and (
                len(words_of(piece)) < self.min_question_words
                # a short opening joins what follows it
                or (len(parts) == 1 and len(words_of(parts[0][0])) < self.min_question_words)
            ):
                parts[-1] = (f"{parts[-1][0]} {piece}", parts[-1][1] or asked)
            else:
                parts.append((piece, asked))
        return [part for part, asked in parts if asked]

    def asks(self, part: str) -> bool:
        """A question: it starts with a question word, ends with "?", or has one after a comma ("i was told
        i have cramp-fasciculation syndrome, what is it")."""
        if not words_of(part):
            return False
        if part.rstrip().endswith("?"):
            return True
        openings = [words_of(clause)[:1] for clause in part.split(",")]
        first, *after_commas = [opening[0] if opening else "" for opening in openings]
        return first in self.question_words or any(word in self.question_words for word in after_commas)


# A sentence of an answer longer than this many words is looked at clause by clause.
LONG_SENTENCE_WORDS = 20


def _shown(pattern: re.Pattern[str], readings: Iterable[str]) -> bool:
    return any(pattern.search(text) for text in readings)


def passage_naming(answer: str, kind: List[str]) -> Optional[str]:
    """The sentence of an answer, or the clause of a long one, that names the kind ("sleep" in the answer
    about the kinds of myoclonus: "Sleep myoclonus happens as you drift off..."); None when none does. A
    plural names its singular too ("eyelid", "eyelids")."""
    # "the d one" after the answer on vitamins B12 and D: a letter or a short name counts as well.
    wanted = {singular(word) for word in kind if len(word) > 2} | {word for word in kind if len(word) <= 2}
    if not wanted:
        return None
    best, most = None, 0
    for sentence in _SENTENCE_END.split(answer):
        long = len(words_of(sentence)) > LONG_SENTENCE_WORDS
        parts = re.split(r"[,;:]\s+", sentence) if long else [sentence]
        for part in parts:
            # The part naming most of the kind's words, the first of those ("sleep starts" in the answer on
            # sleep: the sentence on sleep starts, not its first about sleep).
            named = len(wanted & {singular(word) for word in words_of(part)})
            if named > most:
                best, most = part.strip(), named
    return best


def singular(word: str) -> str:
    """"babies" -> "baby", "eyelids" -> "eyelid"; "stiffness" stays."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _load(path: Path) -> ConversationReading:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    follow, stories, two = raw["follow_ups"], raw["own_story"], raw["two_questions"]
    definitions = raw.get("definitions")
    aspects = {name: _phrase_pattern(phrases) for name, phrases in follow["aspects"].items()}
    unknown = set(follow["defaults"]) ^ (set(aspects) | {MORE})
    if unknown:
        raise ValueError(f"{path}: every kind of follow-up needs a default topic, and only those: {unknown}")
    aspect_words = frozenset(
        word
        for phrases in follow["aspects"].values()
        for phrase in phrases
        for word in words_of(str(phrase).rstrip("*"))
    )
    return ConversationReading(
        max_words=int(follow["max_words"]),
        refers_back=frozenset(str(w).lower() for w in follow["refers_back"]),
        filler=frozenset(str(w).lower() for w in follow["filler"]),
        aspects=aspects,
        switches=_phrase_pattern(follow["switches"]),
        subject_leads=_phrase_pattern(follow["subject_leads"]),
        general_topics={str(k): str(v) for k, v in follow["general_topics"].items()},
        aspect_words=aspect_words,
        defaults={str(k): str(v) for k, v in follow["defaults"].items()},
        topics={str(t): {str(k): str(v) for k, v in m.items()} for t, m in (follow["topics"] or {}).items()},
        first_person=frozenset(str(w).lower() for w in stories["first_person"]),
        someone_else=frozenset(str(w).lower() for w in stories["someone_else"]),
        question_words=frozenset(str(w).lower() for w in stories["question_words"]),
        question_openers=frozenset(str(w).lower() for w in stories.get("question_openers") or ()),
        telling_findings=frozenset(stories["telling_findings"]),
        asked_about=frozenset(stories["asked_about"]),
        twitch_words=_phrase_pattern(stories["twitch_words"]),
        requests=_phrase_pattern(stories["requests"]),
        conditional_openers=frozenset(str(w).lower() for w in stories.get("conditional_openers") or ()),
        definition_asking=_phrase_pattern(definitions["asking"]) if definitions else None,
        definition_also=frozenset(str(w).lower() for w in (definitions or {}).get("also") or ()),
        definition_not_with=frozenset(str(w).lower() for w in (definitions or {}).get("not_with") or ()),
        defined_terms=tuple(
            (_phrase_pattern(sorted(terms, key=len, reverse=True)), str(topic))
            for topic, terms in ((definitions or {}).get("terms") or {}).items()
        ),
        joins=_phrase_pattern(two["joins"]),
        min_question_words=int(two["min_words"]),
        addressed_to_us=frozenset(str(w).lower() for w in follow["addressed_to_us"]),
        kind_refs=frozenset(str(w).lower() for w in follow["kind_refs"]),
        hedges=frozenset(str(w).lower() for w in follow.get("hedges") or ()),
        subject_max_topics=int(follow["subject_max_topics"]),
        subject_min_uses=int(follow["subject_min_uses"]),
        context_weight=float(follow["context_weight"]),
        last_topic_boost=float(follow["last_topic_boost"]),
        related_boost=float(follow.get("related_boost", 0.0)),
        kind_words_weight=float(follow.get("kind_words_weight", 0.0)),
        leads_to=_phrase_pattern(follow["leads_to"]),
        mentioning=frozenset(str(w).lower() for w in follow.get("mentioning") or ()),
        others=_phrase_pattern(follow["others"]),
        excluding=_phrase_pattern(follow["excluding"]) if follow.get("excluding") else None,
        not_excluding=_phrase_pattern(follow["not_excluding"]) if follow.get("not_excluding") else None,
        carrying=_phrase_pattern(follow["carrying"]) if follow.get("carrying") else None,
    )


@functools.lru_cache(maxsize=1)
def conversation_reading() -> ConversationReading:
    from bot.knowledge import knowledge_base  # the knowledge base's questions give the vocabulary

    topics = knowledge_base().topics.values()
    questions = [(t.id, q) for t in topics for q in (t.title, *t.examples)]
    return _load(READING_FILE).with_vocabulary(questions, [t.answer for t in topics])


def topic_ids_named(reading: ConversationReading) -> List[Tuple[str, str]]:
    """Every (where, topic id) the follow-up table names, for checking against the knowledge base."""
    named = [("defaults", t) for t in reading.defaults.values() if t != SAME]
    named += [("general_topics", t) for t in reading.general_topics.values()]
    for topic, table in reading.topics.items():
        named.append(("topics", topic))
        named.extend((topic, t) for t in table.values() if t != SAME)
    return named
