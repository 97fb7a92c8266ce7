"""Reading a message in the light of the conversation (bot/conversation_reading.py), without a server."""

from __future__ import annotations

import pytest

from bot.conversation_reading import conversation_reading, passage_naming, topic_ids_named, words_of
from bot.extract import extract
from bot.knowledge import knowledge_base

READING = conversation_reading()


def test_every_topic_the_follow_up_table_names_exists() -> None:
    topics = knowledge_base().topics
    assert [(where, topic) for where, topic in topic_ids_named(READING) if topic not in topics] == []


@pytest.mark.parametrize(
    "text, aspect",
    [
        ("is it dangerous?", "danger"),
        ("which foods have it", "foods"),
        ("how common is that", "how_common"),
        ("what causes it", "causes"),
        ("can they treat it", "treatment"),
        ("how do doctors test for it?", "tests"),
        ("does it go away", "duration"),
        ("does it weaken the muscles", "muscles"),
        ("how rare?", "how_common"),
        ("who should i see about it", "who_to_see"),
        ("which ones", "kinds"),
        # No kind of its own, and no subject: more about the answer just given.
        ("how so?", "more"),
        ("what's that called?", "more"),
        ("where in the body?", "where"),
        # "~" in a phrase stands for a word or two: "what would ~ do".
        ("what would the doctor do", "tests"),
        ("and how would a doctor check", "tests"),
        # Whether it ends is how long it lasts, not how to stop it.
        ("will it stop once things calm down", "duration"),
        ("how long does it take to settle down", "duration"),
        ("how do i make them stop", "treatment"),
        # "taking" names no subject.
        ("how long do i keep taking it", "duration"),
        # Text-speak.
        ("y tho", "causes"),
        ("wat sets it off", "causes"),
        # Who to see, however it is put; the tests a neurologist does are still tests.
        ("who could i ask about it", "who_to_see"),
        ("what tests would a neurologist do for it", "tests"),
        ("and the other one causes what", "causes"),
        # How it is checked is tests; whether or when to have it checked is whom to see, and when.
        ("how do i get it checked", "tests"),
        ("how is it checked", "tests"),
        ("when should you get it checked", "who_to_see"),
        ("when does that need checking", "who_to_see"),
        ("who do you ask about it", "who_to_see"),
        # Its name, however it is asked for.
        ("whats the medical name for those", "name"),
        ("what's the proper term for it", "name"),
        ("what to do about it", "treatment"),
        # A hedge is read past ("~" stands for a word or two).
        ("what would the neurologist actually do?", "tests"),
        ("how do they actually test for it", "tests"),
        ("why does it even happen", "causes"),
        # How easy or lasting, and where inside, name no subject of their own.
        ("is it easy 2 fix", "treatment"),
        ("Could you tell me whether it does any lasting harm to the muscles?", "muscles"),
        ("and wat's behind it for most ppl", "causes"),
        ("Would you mind going through what it actually does inside the muscle?", "muscles"),
    ],
)
def test_a_short_follow_up_is_read_as_its_kind(text: str, aspect: str) -> None:
    assert READING.follow_up_aspect(text) == aspect


@pytest.mark.parametrize(
    "text",
    ["how is bfs diagnosed?", "thanks", "what about potassium?", "is caffeine dangerous for people with "
     "heart problems who also drink a lot of energy drinks every day",
     # A subject of its own, named by a word few topics' questions use, or one no question uses.
     "could the gym be why?", "is magnesium dangerous", "what about pizza?",
     # A switch asks about what it names, even when that is also a kind of follow-up.
     "what about meds, which ones?",
     # To the assistant, not about the answer.
     "who are you?", "what can you do?",
     # Requests, not follow-ups.
     "check my symptoms", "help", "stop"],
)
def test_a_message_with_a_subject_of_its_own_is_not_a_follow_up(text: str) -> None:
    assert READING.follow_up_aspect(text) is None


def test_a_question_naming_a_place_is_a_question_of_its_own() -> None:
    assert READING.follow_up_aspect("why does my thumb twitch?", extract("why does my thumb twitch?")
                                    .findings.get("location") or ()) is None
    assert READING.follow_up_aspect("why does it twitch?") == "causes"


def test_subject_words_come_from_the_knowledge_bases_questions() -> None:
    assert {"magnesium", "caffeine", "eyelid", "bfs"} <= READING.subject_words
    # Words most topics' questions use, and the follow-ups' own words, name no subject.
    assert not {"twitching", "muscle", "it", "dangerous", "foods", "why"} & READING.subject_words


def test_the_table_says_which_topic_answers_a_follow_up() -> None:
    assert READING.answering_topic("foods", "magnesium") == "magnesium_foods_forms"
    assert READING.answering_topic("danger", "bfs") == "bfs"  # `same`
    assert READING.answering_topic("tests", "als_worry") == "doctor_tests"  # the default


def test_switching_subject_is_recognised() -> None:
    assert READING.switches_subject("what about potassium?")
    assert READING.switches_subject("and the eyelid one?")
    assert not READING.switches_subject("my calf keeps twitching")
    assert READING.switches_subject("tell me more about potassium")


def test_a_switch_is_found_by_its_subject_alone() -> None:
    assert READING.subject_text("what about magnesium specifically?") == "magnesium"
    assert READING.subject_text("tell me more about potassium") == "potassium"
    assert READING.subject_text("and what causes it?") is None  # no subject: the whole message is read


@pytest.mark.parametrize(
    "text, story",
    [
        ("my right thumb has been flickering since monday, i sleep about 5 hours", True),
        ("thigh jumping on and off for two weeks, no weakness", True),
        ("I've had a twitchy eyelid for ten days, is that normal?", True),
        ("why does my eyelid keep jumping?", False),
        ("can energy drinks cause twitching?", False),
        ("my dad's arm keeps twitching, should he see someone?", False),
        ("do swimmers get twitchy calves?", False),
        # A habit asked about is the question's subject; what they say of themselves is a story.
        ("why do my muscles twitch after working out?", False),
        ("can stress make my legs twitch?", False),
        ("why do i twitch when i'm falling asleep?", False),
        ("why has my calf been twitching for 3 weeks?", True),
        ("why do my muscles twitch when i drink 5 coffees a day?", True),
        ("I lift heavy 5 days a week. why do my calves twitch after?", True),
        # Questions however they open: "am i...", "at what point...".
        ("am i weird for twitching or does basically everyone get this", False),
        ("at what point should i get my twitching checked out", False),
        ("ok but how long does twitching usually last", False),
        # Asking to know, and asking what would happen, tell nothing of the writer.
        ("Hello, I would like to know what hypocalcaemia is and if it makes you twitch", False),
        ("I was wondering why my calf twitches", False),
        ("if i quit cold turkey will the twitching stop faster", False),
        ("if i drink coffee my eyelid twitches for hours", True),
        ("I would like to know if my calf twitching for 3 weeks is serious. I drink 5 coffees a day", True),
    ],
)
def test_a_persons_own_story_is_told_apart_from_a_question(text: str, story: bool) -> None:
    assert READING.tells_own_story(text, extract(text).findings) is story


@pytest.mark.parametrize(
    "text, parts",
    [
        ("does stress cause twitching? what helps with sleep?", ["does stress cause twitching?",
                                                               "what helps with sleep?"]),
        ("can coffee do it and how much is too much", ["can coffee do it", "how much is too much"]),
        ("my calf twitches. is it serious?", ["is it serious?"]),
        # A question after a comma, with no "?" and no question word first: still a question, kept whole.
        ("i was told i have cramp-fasciculation syndrome, what is it",
         ["i was told i have cramp-fasciculation syndrome, what is it"]),
        ("my calf, left side, twitching for a week", []),
        ("hello there", []),
    ],
)
def test_a_message_is_split_into_its_questions(text: str, parts: list[str]) -> None:
    assert READING.question_parts(text) == parts


def test_a_switch_moves_away_when_it_names_something_beyond_a_follow_up() -> None:
    assert READING.moves_away("what about meds?")
    assert READING.moves_away("and the sleep ones?")
    assert not READING.moves_away("and is it dangerous?")
    assert not READING.moves_away("is it dangerous?")


def test_a_switch_to_one_kind_the_answer_named_is_told_apart() -> None:
    assert READING.names_a_kind("and the sleep ones?")
    assert not READING.names_a_kind("what about potassium?")


def test_a_follow_up_naming_nothing_of_its_own_is_told_from_a_new_complaint() -> None:
    assert READING.names_nothing("how do i get rid of it")
    assert not READING.names_nothing("my knee hurts, how do i get rid of it")


def test_a_request_to_the_assistant_is_no_story_of_the_writer() -> None:
    """"tell me more about fasciculations" has "me" in it, but as the one asking."""
    for text in ("tell me more about fasciculations", "explain myoclonus to me", "teach me about twitching"):
        assert not READING.tells_own_story(text, extract(text).findings), text
    story = "tell me more, my calf has twitched every day for 3 weeks"
    assert READING.tells_own_story(story, extract(story).findings)


def test_the_general_topics_a_question_shows_are_those_of_its_kinds() -> None:
    assert READING.general_topics_shown("how long does it last after a workout") == {
        READING.general_topics["duration"]: "duration"
    }
    assert READING.general_topics_shown("is magnesium in bananas") == {}


def test_a_kind_the_answer_named_refers_back_to_it() -> None:
    assert READING.refers_back_to_the_answer("the physiologic kind, tell me more")
    assert not READING.refers_back_to_the_answer("what's the weather like tomorrow")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("and the sleep one?", ["sleep"]),
        ("tell me more about the runner one", ["runner"]),
        ("the acid tablet ones", ["acid", "tablet"]),
        # "which one" asks which: it names no kind.
        ("which one hurts", []),
        ("so which one is worse?", []),
        ("is it dangerous?", []),
    ],
)
def test_the_kind_a_message_names_is_the_words_before_one(text: str, kind: list[str]) -> None:
    assert READING.kind_words(text) == kind


def test_a_kind_is_found_in_the_passage_of_the_answer_that_names_it() -> None:
    kb = knowledge_base()
    sleep = passage_naming(kb.topics["myoclonus_types"].answer, ["sleep"])
    assert sleep is not None and sleep.startswith("Sleep myoclonus")
    # A long sentence is looked at clause by clause; a plural names its singular.
    runner = passage_naming(kb.topics["causes_overview"].answer, ["runner"])
    assert runner is not None and "runner" in runner and "desk worker" not in runner
    babies = passage_naming(kb.topics["myoclonus"].answer, ["baby"])
    assert babies is not None and "babies" in babies
    assert passage_naming(kb.topics["caffeine"].answer, ["eyelid"]) is None


def test_a_switch_carries_on_the_kind_of_question_before_it() -> None:
    # After the general answer about doctors' tests, "and for myoclonus?" asks about myoclonus's tests.
    assert READING.kind_carried("doctor_tests", "what do nerve studies show", "and for myoclonus?") == "tests"
    assert READING.carried_topic("tests", "myoclonus") == "myoclonus_diagnosis_treatment"
    # The kind the question before showed: "how is bfs diagnosed?" then "and for myoclonus?".
    assert READING.kind_carried("bfs", "how is bfs diagnosed?", "and for myoclonus?") == "tests"
    # A kind the table answers with the topic itself, or with a general answer, is not carried: "and
    # fasciculations?" after "what causes eyelid twitching?" asks about fasciculations.
    assert READING.carried_topic("causes", "fasciculations") is None
    assert READING.carried_topic("danger", "potassium") is None
    # After "what kinds are there?", "what about the big jerks?" picks one of them.
    kinds = "what are the main kinds of twitch"
    assert READING.kind_carried("what_is_twitch", kinds, "and for the big jerks?") is None
    # Only a switch asking the same again carries it: "and magnesium?" after "what foods have potassium?"
    # asks about magnesium, "and for magnesium?" about its foods.
    assert READING.kind_carried("potassium", "what foods have potassium", "and magnesium?") is None
    assert READING.kind_carried("potassium", "what foods have potassium", "and for magnesium?") == "foods"
    # A switch asking its own kind of question carries that.
    assert READING.kind_carried("bfs", "how is bfs diagnosed?", "and what helps myoclonus?") == "treatment"


def test_drinking_enough_is_about_fluids_not_food() -> None:
    assert READING.follow_up_aspect("should i drink more") == "fluids"
    assert READING.answering_topic("fluids", "exercise_recovery") == "dehydration"
    assert READING.follow_up_aspect("what foods have it") == "foods"


def test_a_you_for_anyone_is_no_question_to_the_assistant() -> None:
    assert READING.follow_up_aspect("how do u get it") == "more"
    assert READING.follow_up_aspect("who are you?") is None


@pytest.mark.parametrize(
    "text, words",
    [("magnesium?", ["magnesium"]), ("tell me more about magnesium", ["magnesium"]),
     ("and which foods have magnesium", ["foods", "magnesium"])],
)
def test_the_content_of_a_short_message_is_what_it_names(text: str, words: list[str]) -> None:
    assert READING.content_words(text) == words


def test_text_speak_is_read_as_the_words_meant() -> None:
    assert words_of("how 2 stop em") == ["how", "to", "stop", "them"]
    assert words_of("tests 4 it") == ["tests", "for", "it"]
    # A digit that counts stays a digit.
    assert words_of("i drink 4 coffees") == ["i", "drink", "4", "coffees"]
    assert words_of("2 weeks b4 i go") == ["2", "weeks", "before", "i", "go"]
    assert READING.follow_up_aspect("how 2 stop em") == "treatment"
    assert words_of("when 2 worry tho") == ["when", "to", "worry", "though"]
    assert words_of("n the stiffness w ms") == ["and", "the", "stiffness", "with", "ms"]
    assert READING.follow_up_aspect("when 2 worry tho") == "who_to_see"



def test_what_the_answer_just_given_leads_to_is_asked_of_it() -> None:
    assert READING.led_to("can it turn into als?") == ["als"]
    assert READING.led_to("so it wont become ms") == ["ms"]
    assert READING.led_to("is it dangerous?") == []


def test_the_one_you_mentioned_names_its_kind_after_it() -> None:
    assert READING.kind_words("the one you mentioned about minerals") == ["minerals"]
    assert READING.kind_words("the runner example, what was going on there") == ["runner"]
    # What the answer was said to have named is the kind ("that syndrome you mentioned").
    assert READING.kind_words("that syndrome you mentioned, what is it") == ["syndrome"]
    assert READING.kind_words("the vitamin you talked about") == ["vitamin"]
    assert READING.kind_words("you mentioned easing stress, any methods?") == ["easing", "stress"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("I guess what I'm asking is whether it goes away", ["whether", "it", "goes", "away"]),
        ("so that's not twitching, if I follow you", ["so", "that's", "not", "twitching"]),
        ("my question is how common it is", ["how", "common", "it", "is"]),
        # A lead-in alone is what was said.
        ("i guess", ["i", "guess"]),
        # Asked politely: read past before what is asked, kept before a subject.
        ("could you tell me whether it harms the muscles", ["whether", "it", "harms", "the", "muscles"]),
        ("can you tell me about magnesium", ["can", "you", "tell", "me", "about", "magnesium"]),
    ],
)
def test_a_lead_in_that_only_says_a_question_is_coming_is_read_past(text: str, words: list[str]) -> None:
    assert words_of(text) == words


def test_a_lead_in_leaves_the_kind_of_follow_up_its_question_shows() -> None:
    assert READING.follow_up_aspect("I guess what I'm asking is whether it goes away") == "duration"
    assert READING.follow_up_aspect("basically is it dangerous") == "danger"


def test_same_question_for_a_subject_is_a_switch_carrying_the_question_before() -> None:
    assert READING.switched_to("same question for magnesium") == ["magnesium"]
    carried = READING.kind_carried("potassium", "wat foods r high in it", "same question for magnesium")
    assert carried == "foods"


def test_a_short_name_of_a_kind_finds_its_passage() -> None:
    """"the D one" after the answer on vitamins B12 and D."""
    answer = "Low vitamin B12 can hurt the nerves. Low vitamin D leaves calcium short, so muscles twitch."
    assert passage_naming(answer, ["d"]) == "Low vitamin D leaves calcium short, so muscles twitch."


def test_the_passage_naming_most_of_the_kind_is_the_one() -> None:
    """"those sleep starts" in the answer on sleep: the sentence on sleep starts, not its first on sleep."""
    answer = "Poor sleep is a common trigger. Jerks as you drift off are sleep starts, a different thing."
    named = passage_naming(answer, ["sleep", "starts"])
    assert named == "Jerks as you drift off are sleep starts, a different thing."


def test_drinks_after_the_answer_on_caffeine_are_in_that_answer() -> None:
    """Its answer lists coffee, tea, energy drinks and cola; other foods go to the answer on nutrition."""
    assert READING.answering_topic("foods", "caffeine") == "caffeine"
    assert READING.answering_topic("foods", "sleep") == "nutrition"


def test_the_plural_of_a_subject_names_it() -> None:
    """"five coffees a day" names coffee: not a follow-up about foods because "drink" is in it."""
    assert READING.subjects_named("i drink five coffees a day, could that be it") == ["coffees"]
    assert READING.follow_up_aspect("i drink five coffees a day, could that be it") is None


@pytest.mark.parametrize(
    "text, aspect",
    [("and are most of them harmless, then?", "danger"), ("how do i prevent it", "treatment"),
     ("any tips?", "treatment"), ("what makes it worse", "causes"), ("what percentage get it", "how_common")],
)
def test_more_ways_of_asking_each_kind(text: str, aspect: str) -> None:
    assert READING.follow_up_aspect(text) == aspect


def test_whether_it_needs_treating_is_not_how_to_treat_it() -> None:
    assert READING.follow_up_aspect("does it need any treatment") == "needs_treatment"
    assert READING.answering_topic("needs_treatment", "twitching_at_rest") == "twitching_at_rest"
    assert READING.follow_up_aspect("how do i calm it down then") == "treatment"


def test_a_short_opening_joins_the_question_after_it() -> None:
    assert READING.question_parts("months?? is that normal") == ["months?? is that normal"]


def test_a_switch_to_one_thing_the_answer_named_is_a_kind() -> None:
    assert READING.kind_words("and the runner?") == ["runner"]
    assert READING.kind_words("and the jerks when nodding off?") == []
    assert READING.kind_words("and potassium?") == []


def test_asking_for_others_of_the_kind_is_told() -> None:
    assert READING.asks_for_others("any other meds that do this")
    assert READING.asks_for_others("anything besides magnesium?")
    assert not READING.asks_for_others("what meds can do this")


@pytest.mark.parametrize(
    "text, topic",
    [
        ("could you explain myoclonus to me", "myoclonus"),
        ("I came across the word myoclonus in a leaflet. What does it mean?", "myoclonus"),
        ("what do doctors mean by myoclonic jerks", "myoclonus"),
        ("what is palatal myoclonus", "ear_palatal_myoclonus"),  # the longer term, not also "myoclonus"
        ("tell me about benign fasciculation syndrome", "bfs"),
        ("whats a sleep start", "hypnic_jerks"),
        # Anything more than what the term means is the retrieval's to place.
        ("what tests show myoclonus", None),
        ("is myoclonus dangerous", None),
        ("what are the types of myoclonus", None),
        ("what is bfs vs als", None),
        ("my leg has myoclonus what is it", None),
        ("what symptoms with twitching mean i should see a gp", None),  # "mean" here asks when to go
    ],
)
def test_a_question_asking_only_what_a_term_means_gets_the_topic_defining_it(text: str, topic: str) -> None:
    assert READING.defined_topic(text) == topic


@pytest.mark.parametrize(
    "text, aspect",
    [
        ("what other signs would go with it", "signs"),
        ("what else would usually go along with it", "signs"),
        ("at what point should i get it looked at", "who_to_see"),
        ("when should i actually start worrying then", "who_to_see"),
        ("how do doctors work out which kind someone has", "tests"),
        ("will they settle without treatment?", "needs_treatment"),
    ],
)
def test_what_comes_with_it_when_to_worry_and_settling_untreated_are_told(text: str, aspect: str) -> None:
    assert READING.follow_up_aspect(text) == aspect


def test_the_subject_a_question_sets_aside_is_told() -> None:
    assert READING.excluded_subject("what other diseases besides ALS can cause twitching") == "als"
    assert READING.excluded_subject("do stimulants other than coffee make muscles twitch") == "coffee"
    assert READING.excluded_subject("anything else besides that?") is None
    assert READING.excluded_subject("how do you tell a spasm apart from a twitch") is None


@pytest.mark.parametrize(
    "text, last, topic",
    [
        # Twitching that goes on with nothing found is what BFS is...
        ("and if every test comes back normal?", "doctor_tests", "bfs"),
        ("what if nothing shows up", "when_to_see_doctor", "bfs"),
        # ...but not for jerks, which the myoclonus answers speak of.
        ("and if the tests are normal?", "myoclonus_diagnosis_treatment", "myoclonus_diagnosis_treatment"),
        ("does that have a name", "how_long_twitching_lasts", "bfs"),
        ("is there a name for when they never stop", "fasciculations", "bfs"),
        # Living with it: the answer on coping, after BFS and the fears.
        ("how do people live with it", "bfs", "bfs_coping"),
        ("how do i cope with it", "als_worry", "bfs_coping"),
        ("how do people deal with it", "spasticity", "spasticity"),
        # Which nerves, after a kind of twitch or stiffness.
        ("which nerves cause that", "twitch_vs_cramp_spasm_tremor", "upper_lower_motor_neurons"),
        ("is it the same nerves as the little twitches", "spasticity", "upper_lower_motor_neurons"),
        ("which nerves does it affect", "magnesium", "magnesium"),
        # Answers that say themselves when to see someone keep a question about it.
        ("when should i see someone", "cramp_fasciculation", "cramp_fasciculation"),
        ("when should i see someone", "caffeine", "when_to_see_doctor"),
        # The side of it names nothing; catching it asks what causes it; "who do i tell" needs no "?".
        ("and the hydration side of it?", "exercise_recovery", "dehydration"),
        ("how do you catch it", "lyme_other_infections", "lyme_other_infections"),
        ("ok who do i tell", "ppi_magnesium", "ppi_magnesium"),
    ],
)
def test_each_kind_of_follow_up_goes_to_the_topic_the_table_names(text: str, last: str, topic: str) -> None:
    assert READING.answering_topic(READING.follow_up_aspect(text), last) == topic
