"""FAQ actions on real Tracker and CollectingDispatcher objects, with no server and no network."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionListTopics, ActionSuggestTopics
from bot.knowledge import knowledge_base
from tests.actions.replies import rendered

KB = knowledge_base()


def tracker_after(
    text: str,
    intent: str = "faq",
    topic_ranking: list[tuple[str, float]] = (),
    entities: list[dict[str, Any]] = (),
) -> Tracker:
    """A tracker whose latest message was classified as Rasa would: intent and FAQ retrieval."""
    ranking = [
        {"intent_response_key": f"faq/{topic}", "confidence": confidence}
        for topic, confidence in topic_ranking
    ]
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": intent, "confidence": 0.9}],
        "entities": list(entities),
        "response_selector": {
            "faq": {"response": ranking[0] if ranking else {}, "ranking": ranking},
        },
    }
    return Tracker("someone", {}, latest, [], False, None, {}, "action_listen")


def run(action: Action, tracker: Tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    # The only event an answer sets is the topic it answered, for follow-ups.
    assert all(event["event"] == "slot" and event["name"] == "last_topic" for event in events)
    dispatcher.messages = [rendered(message) for message in dispatcher.messages]  # as Rasa sends them
    return dispatcher


def test_answer_cites_its_source_and_offers_related_topics() -> None:
    dispatcher = run(
        ActionAnswerFaq(), tracker_after("can coffee make me twitch", topic_ranking=[("caffeine", 0.93)])
    )
    [message] = dispatcher.messages
    caffeine = KB.topics["caffeine"]
    assert message["text"].startswith(caffeine.answer)
    assert "Source: “" in message["text"]
    for source in caffeine.sources:
        assert source.title in message["text"]
    assert [b["title"] for b in message["buttons"]] == [t.title for t in KB.related_topics(caffeine)]
    assert message["buttons"][0]["payload"] == f'/faq{{"topic": "{caffeine.related[0]}"}}'


def test_a_related_topic_button_answers_that_topic() -> None:
    tracker = tracker_after('/faq{"topic": "sleep"}', entities=[{"entity": "topic", "value": "sleep"}])
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["sleep"].answer)


def test_an_unsure_retrieval_offers_the_closest_topics_instead_of_guessing() -> None:
    tracker = tracker_after(
        "twitchy thing", topic_ranking=[("caffeine", 0.12), ("sleep", 0.1), ("bfs", 0.08)]
    )
    [message] = run(ActionAnswerFaq(), tracker).messages
    # About twitching: the closest topics, and no "I'm not sure I understood".
    assert message["response"] == "utter_closest_topics"
    assert [b["title"] for b in message["buttons"]] == [
        KB.topics[t].title for t in ("caffeine", "sleep", "bfs")
    ]


def test_a_health_question_it_cannot_place_says_who_can_help_not_that_it_did_not_understand() -> None:
    tracker = tracker_after("my knee hurts when i run", topic_ranking=[("exercise_recovery", 0.1)])
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["response"] == "utter_medical_out_of_scope_condition"


def test_an_unknown_topic_in_a_payload_gets_the_menu_not_a_crash() -> None:
    tracker = tracker_after('/faq{"topic": "nonsense"}', entities=[{"entity": "topic", "value": "nonsense"}])
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert [b["title"] for b in message["buttons"]] == [t.title for t in KB.menu_topics()]


def test_fallback_offers_topics_rather_than_a_dead_end() -> None:
    tracker = tracker_after(
        "blorp", intent="nlu_fallback", topic_ranking=[("eyelid_twitching", 0.3), ("sleep", 0.2)]
    )
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert message["buttons"] and "rephrase" in message["text"]


def test_fallback_without_any_guess_offers_the_menu() -> None:
    [message] = run(ActionSuggestTopics(), tracker_after("blorp", intent="nlu_fallback")).messages
    assert [b["title"] for b in message["buttons"]] == [t.title for t in KB.menu_topics()]


def test_topic_list_shows_the_menu() -> None:
    [message] = run(ActionListTopics(), tracker_after("ask a question", intent="ask_question")).messages
    assert len(message["buttons"]) == len(KB.menu)


def test_the_core_fallback_answers_once_and_forgets_the_turn_so_it_cannot_loop() -> None:
    from rasa_sdk.events import UserUtteranceReverted

    from actions.faq import ActionCoreFallback

    dispatcher = CollectingDispatcher()
    tracker = tracker_after("hmm", intent="inform", topic_ranking=[("sleep", 0.3)])
    events = asyncio.run(ActionCoreFallback().run(dispatcher, tracker, {}))
    assert events == [UserUtteranceReverted()]
    assert len(dispatcher.messages) == 1 and dispatcher.messages[0]["buttons"]


# As the classifier ranks a message with no word it knows (emoji, another script, keyboard mashing): every
# topic equally likely, the first ten in alphabetical order.
NO_KNOWN_WORD = [(topic_id, 1 / len(KB.topics)) for topic_id in sorted(KB.topics)[:10]]


def menu_titles() -> list[str]:
    return [t.title for t in KB.menu_topics()]


def test_a_message_with_no_known_word_is_offered_the_menu_not_three_arbitrary_topics() -> None:
    tracker = tracker_after("😣💪⚡", intent="nlu_fallback", topic_ranking=NO_KNOWN_WORD)
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert "not sure" in message["text"] and [b["title"] for b in message["buttons"]] == menu_titles()


def test_equal_confidences_offer_the_menu_whatever_their_level() -> None:
    ranking = [("sleep", 0.2), ("bfs", 0.2), ("calcium", 0.2), ("potassium", 0.2), ("caffeine", 0.2)]
    tracker = tracker_after("hmm", intent="nlu_fallback", topic_ranking=ranking)
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert [b["title"] for b in message["buttons"]] == menu_titles()


def test_known_words_about_no_topic_are_told_what_the_assistant_covers() -> None:
    # As "pizza" is ranked: a little ahead, but nowhere near a topic anyone would mean.
    ranking = [("ppi_magnesium", 0.05), ("hypnic_jerks", 0.039), ("medications", 0.038)]
    tracker = tracker_after("pizza", intent="nlu_fallback", topic_ranking=ranking)
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert message["response"] == "utter_out_of_scope"


def test_a_best_guess_far_below_the_floor_about_the_body_offers_the_menu() -> None:
    ranking = [("ppi_magnesium", 0.05), ("hypnic_jerks", 0.039), ("medications", 0.038)]
    tracker = tracker_after("my leg keeps doing a thing", intent="nlu_fallback", topic_ranking=ranking)
    tracker.latest_message["findings"] = {"location": ["leg"]}
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert [b["title"] for b in message["buttons"]] == menu_titles()


def test_an_unsure_answer_with_no_known_word_offers_the_menu_too() -> None:
    [message] = run(ActionAnswerFaq(), tracker_after("ㅋㅋㅋ", topic_ranking=NO_KNOWN_WORD)).messages
    assert "Did you mean" in message["text"] and [b["title"] for b in message["buttons"]] == menu_titles()


def test_an_unsure_retrieval_just_below_the_floor_still_offers_its_closest_topics() -> None:
    ranking = [("caffeine", 0.1), ("sleep", 0.08), ("bfs", 0.05)]
    [message] = run(ActionSuggestTopics(), tracker_after("twitchy coffee", topic_ranking=ranking)).messages
    closest = [KB.topics[t].title for t in ("caffeine", "sleep", "bfs")]
    assert [b["title"] for b in message["buttons"]] == closest


def tracker_right_after_an_answer(
    answered: str, text: str, topic_ranking: list[tuple[str, float]], intent: str = "faq"
) -> Tracker:
    """As `tracker_after`, with the assistant's previous turn having answered `answered`."""
    tracker = tracker_after(text, intent=intent, topic_ranking=topic_ranking)
    events = [
        {"event": "user", "text": "an earlier question"},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "slot", "name": "last_topic", "value": answered},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    return Tracker("someone", {"last_topic": answered}, tracker.latest_message, events, False, None, {},
                   "action_listen")


def test_a_follow_up_is_read_together_with_the_message_before_it() -> None:
    """"and for sudden jerks?" alone is about myoclonus; after "what do the tests show?" the scores of both
    messages together point to how myoclonus is diagnosed."""
    ranking = [("myoclonus", 0.6), ("myoclonus_diagnosis_treatment", 0.3)]
    tracker = tracker_right_after_an_answer("doctor_tests", "and for sudden jerks?", ranking)
    scores_now = {"myoclonus": 1.0, "myoclonus_diagnosis_treatment": 0.8, "doctor_tests": -0.5}
    scores_before = {"myoclonus": -0.6, "myoclonus_diagnosis_treatment": 0.1, "doctor_tests": 1.0}
    tracker.latest_message["topic_scores"] = {f"faq/{t}": score for t, score in scores_now.items()}
    tracker.events[0]["parse_data"] = {"topic_scores": {f"faq/{t}": s for t, s in scores_before.items()}}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["myoclonus_diagnosis_treatment"].answer)
    # Without the earlier message's scores (a button was pressed), the message's own ranking, leaning on the
    # topic just answered, decides: myoclonus. As a switch right after the general answer about tests, it
    # carries that kind of question on: myoclonus's tests.
    tracker.events[0]["parse_data"] = {}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["myoclonus_diagnosis_treatment"].answer)
    tracker.latest_message["text"] = "sudden jerks?"  # no switch: nothing carried
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["myoclonus"].answer)


def test_a_switch_moves_away_from_the_answer_just_given() -> None:
    """"what about meds?" after the overview of causes: the overview keeps only what this message says for
    it, so the message before cannot pull the answer back to it."""
    tracker = tracker_right_after_an_answer(
        "causes_overview", "what about meds, which ones?", [("medications", 0.4), ("causes_overview", 0.3)]
    )
    tracker.latest_message["topic_scores"] = {"faq/medications": 0.8, "faq/causes_overview": 0.5}
    tracker.events[0]["parse_data"] = {"topic_scores": {"faq/causes_overview": 1.5, "faq/medications": -0.2}}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["medications"].answer)


def test_a_question_moving_away_leans_towards_the_topics_the_answer_points_to() -> None:
    """"could the gym be why?" after the answer about twitching at rest names what that answer never does;
    of the topics, the ones shown under the answer (its related topics) are where people go next: exercise,
    though the confidently placed message before still speaks for twitching at rest."""
    last = "twitching_at_rest"
    assert "exercise_recovery" in KB.topics[last].related
    tracker = tracker_right_after_an_answer(
        last, "could the gym be why", [("exercise_recovery", 0.30), ("twitching_at_rest", 0.03)]
    )
    # As measured: every other topic scores about -0.9 for either message.
    scores_now = {**dict.fromkeys(KB.topics, -0.9), "exercise_recovery": -0.48, last: -0.84}
    scores_before = {**dict.fromkeys(KB.topics, -0.9), last: 0.69, "exercise_recovery": -0.92}
    tracker.latest_message["topic_scores"] = {f"faq/{t}": score for t, score in scores_now.items()}
    tracker.events[0]["parse_data"] = {"topic_scores": {f"faq/{t}": s for t, s in scores_before.items()}}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["exercise_recovery"].answer)


def test_a_follow_up_of_nothing_but_common_words_stays_on_the_answer_just_given() -> None:
    """"how much is too much" after the answer about caffeine: the retrieval, with only those words to go
    on, prefers the topic about too much vitamin B6; the person means caffeine."""
    ranking = [("vitamin_b6_excess", 0.57), ("caffeine", 0.08)]
    tracker = tracker_right_after_an_answer("caffeine", "how much is too much", ranking)
    tracker.latest_message["follow_up"] = "more"
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["caffeine"].answer)


def test_a_follow_up_naming_its_subject_is_not_given_the_general_answer_to_its_kind() -> None:
    """"how long does it last after a workout?" after the answer about twitching after exercise (the message
    before it was "is that normal", which speaks for nothing): the retrieval prefers how long twitching
    lasts in general, but the question names its subject, and after that answer the follow-up table keeps a
    question of how long on it."""
    last = "exercise_recovery"
    ranking = [("how_long_twitching_lasts", 0.88), (last, 0.12)]
    tracker = tracker_right_after_an_answer(last, "how long does it last after a workout", ranking)
    scores_now = {**dict.fromkeys(KB.topics, -0.9), "how_long_twitching_lasts": 0.41, last: 0.07}
    scores_before = {**dict.fromkeys(KB.topics, -0.9), "how_long_twitching_lasts": -0.56, last: -1.09}
    tracker.latest_message["topic_scores"] = {f"faq/{t}": score for t, score in scores_now.items()}
    tracker.events[0]["parse_data"] = {"topic_scores": {f"faq/{t}": s for t, s in scores_before.items()}}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics[last].answer)


def test_a_switch_the_retrieval_cannot_place_stays_on_an_answer_that_speaks_of_it() -> None:
    """"and a tremor?" after the answer telling twitches, cramps, spasms and tremors apart: that answer."""
    last = "twitch_vs_cramp_spasm_tremor"
    assert "tremor" in KB.topics[last].answer
    tracker = tracker_right_after_an_answer(last, "and a tremor?", [("spasticity", 0.05)])
    tracker.latest_message["topic_scores"] = {f"faq/{topic}": 0.0 for topic in KB.topics}
    tracker.events[0]["parse_data"] = {"topic_scores": {f"faq/{topic}": 0.0 for topic in KB.topics}}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics[last].answer)


def test_an_unplaced_short_question_after_an_answer_is_about_it_when_the_retrieval_agrees() -> None:
    ranking = [("exercise_recovery", 0.38), ("bfs_coping", 0.14)]
    tracker = tracker_right_after_an_answer(
        "exercise_recovery", "how do i recover faster", ranking, intent="nlu_fallback"
    )
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert message["text"].startswith(KB.topics["exercise_recovery"].answer)
    # The retrieval's first choice is another topic, or not sure enough: the closest topics, no guess.
    for other in ([("bfs_coping", 0.38), ("exercise_recovery", 0.14)], [("exercise_recovery", 0.1)]):
        tracker = tracker_right_after_an_answer(
            "exercise_recovery", "what's the weather tomorrow?", other, intent="nlu_fallback"
        )
        [message] = run(ActionSuggestTopics(), tracker).messages
        assert not message.get("text", "").startswith(KB.topics["exercise_recovery"].answer)


def test_a_short_question_right_after_an_answer_leans_on_its_topic() -> None:
    # The classifier leans elsewhere, a little: the topic just answered wins.
    ranking = [("lower_motor_neuron_conditions", 0.30), ("spasticity", 0.20), ("ms_worry", 0.10)]
    tracker = tracker_right_after_an_answer("spasticity", "which conditions cause it", ranking)
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["spasticity"].answer)


def test_a_short_question_clearly_about_another_topic_gets_that_topic() -> None:
    ranking = [("magnesium", 0.70), ("potassium", 0.10)]
    tracker = tracker_right_after_an_answer("potassium", "and is magnesium any good", ranking)
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["magnesium"].answer)


def test_the_topic_just_answered_counts_for_nothing_in_a_new_conversation() -> None:
    ranking = [("lower_motor_neuron_conditions", 0.30), ("spasticity", 0.20)]
    tracker = tracker_after("which conditions cause it", topic_ranking=ranking)
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["lower_motor_neuron_conditions"].answer)


def test_a_follow_up_the_classifier_put_outside_twitching_is_answered_in_context() -> None:
    from actions.faq import ActionOutOfScope

    ranking = [("upper_lower_motor_neurons", 0.12), ("twitch_vs_cramp_spasm_tremor", 0.10)]
    tracker = tracker_right_after_an_answer(
        "twitch_vs_cramp_spasm_tremor", "so which one hurts", ranking, intent="out_of_scope"
    )
    [message] = run(ActionOutOfScope(), tracker).messages
    assert message["text"].startswith(KB.topics["twitch_vs_cramp_spasm_tremor"].answer)


def test_something_else_after_an_answer_is_still_outside_twitching() -> None:
    from actions.faq import ActionOutOfScope

    ranking = [("sleep", 0.05), ("caffeine", 0.04), ("stress_anxiety", 0.04)]
    for text in ("what's the weather like?", "is it going to rain today"):
        tracker = tracker_right_after_an_answer("magnesium", text, ranking, intent="out_of_scope")
        [message] = run(ActionOutOfScope(), tracker).messages
        assert message["response"] == "utter_out_of_scope"
    # In a new conversation there is nothing to follow up.
    tracker = tracker_after("so which one hurts", intent="out_of_scope", topic_ranking=ranking)
    [message] = run(ActionOutOfScope(), tracker).messages
    assert message["response"] == "utter_out_of_scope"


def test_an_unclear_follow_up_is_answered_in_context_and_anything_else_gets_suggestions() -> None:
    ranking = [("ppi_magnesium", 0.11), ("magnesium", 0.09), ("medications", 0.08)]
    tracker = tracker_right_after_an_answer(
        "magnesium", "so what usually lowers it", ranking, intent="nlu_fallback"
    )
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert message["text"].startswith(KB.topics["magnesium"].answer) or message["text"].startswith(
        KB.topics["ppi_magnesium"].answer
    )
    tracker = tracker_right_after_an_answer("magnesium", "asdfgh qwerty", [], intent="nlu_fallback")
    [message] = run(ActionSuggestTopics(), tracker).messages
    assert "buttons" in message and not message.get("text", "").startswith(KB.topics["magnesium"].answer)


def test_a_follow_up_with_nothing_to_follow_does_what_the_classifier_said() -> None:
    # "what is this app for?" looks like "what's that for?"; with no answer just before, it is help.
    tracker = tracker_after("what is this app for?", topic_ranking=[("doctor_tests", 0.1)])
    tracker.latest_message.update({"follow_up": "more", "classified_as": "help"})
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["response"] == "utter_help"
    # Right after an answer, it is about that answer.
    tracker = tracker_right_after_an_answer("calcium", "what's that for?", [("doctor_tests", 0.1)])
    tracker.latest_message.update({"follow_up": "more", "classified_as": "help"})
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["calcium"].answer)


def test_a_twitch_question_the_retrieval_cannot_place_gets_the_general_answer_to_its_kind() -> None:
    unsure = [("stress_anxiety", 0.09), ("eyelid_twitching", 0.08), ("caffeine", 0.07)]
    tracker = tracker_after("why does my thumb twitch?", topic_ranking=unsure)
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["causes_overview"].answer)
    tracker = tracker_after("how long do calf twitches last?", topic_ranking=unsure)
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["how_long_twitching_lasts"].answer)
    # Not about twitching, or no kind of question: the closest topics, as before.
    for text in ("why is the sky blue?", "my arm does a thing?"):
        [message] = run(ActionAnswerFaq(), tracker_after(text, topic_ranking=unsure)).messages
        assert not message.get("text", "").startswith(KB.topics["causes_overview"].answer)


def tracker_right_after_a_reply(reply: str, text: str, follow_up: str | None) -> Tracker:
    """As `tracker_after`, with the assistant's previous turn having sent the response `reply`."""
    tracker = tracker_after(text, topic_ranking=[("when_to_see_doctor", 0.8)])
    if follow_up:
        tracker.latest_message["follow_up"] = follow_up
    events = [
        {"event": "user", "text": "my baby keeps jerking in her sleep, is that normal?"},
        {"event": "bot", "text": "...", "metadata": {"utter_action": reply}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    return Tracker("someone", {}, tracker.latest_message, events, False, None, {}, "action_listen")


def test_a_follow_up_to_the_reply_about_a_child_is_still_about_the_child() -> None:
    """"when should i worry?" right after "a child's symptoms are outside what I cover" is about the
    child: the same advice again, not the general answer written for adults."""
    tracker = tracker_right_after_a_reply("utter_medical_out_of_scope_child", "when should i worry", "danger")
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["response"] == "utter_medical_out_of_scope_child"
    # A question of its own after it gets its answer.
    tracker = tracker_right_after_a_reply(
        "utter_medical_out_of_scope_child", "when should i see a doctor about my own twitching", None
    )
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["when_to_see_doctor"].answer)


def tracker_after_two_answers(first: str, second: str, text: str) -> Tracker:
    """Two answers given (`first`, then `second`), and `text` just said."""
    tracker = tracker_after(text, intent="faq", topic_ranking=[("upper_lower_motor_neurons", 1.0)])
    events = [
        {"event": "user", "text": "an earlier question"},
        {"event": "slot", "name": "last_topic", "value": first},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "a follow-up"},
        {"event": "slot", "name": "last_topic", "value": second},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    return Tracker("someone", {"last_topic": second}, tracker.latest_message, events, False, None, {},
                   "action_listen")


def test_a_kind_named_in_the_answer_before_the_last_is_found_there() -> None:
    """"and the runner?" after the overview of causes and then the answer about acid tablets: the runner was
    in the overview, and the topic about that passage (dehydration) answers."""
    tracker = tracker_after_two_answers("causes_overview", "ppi_magnesium", "and the runner?")
    dehydration = {"topic": "faq/dehydration", "confidence": 0.52}
    tracker.latest_message["kinds_named"] = {"causes_overview": dehydration}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["dehydration"].answer)
    # A kind no other topic is about: the answer that named it, again.
    tracker.latest_message["kinds_named"] = {"causes_overview": {"topic": "faq/sleep", "confidence": 0.01}}
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["causes_overview"].answer)


def test_what_the_answer_says_a_condition_leads_to_is_asked_of_that_answer() -> None:
    tracker = tracker_right_after_an_answer("bfs", "can it turn into als", [("als_worry", 0.8)])
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["bfs"].answer)


def test_a_bare_topic_name_is_that_topic_and_a_question_about_it_is_not() -> None:
    bare = tracker_right_after_an_answer("mineral_deficiency", "magnesium?", [("magnesium_foods_forms", 0.8)])
    [message] = run(ActionAnswerFaq(), bare).messages
    assert message["text"].startswith(KB.topics["magnesium"].answer)
    question = tracker_right_after_an_answer(
        "mineral_deficiency", "what has magnesium in it?", [("magnesium_foods_forms", 0.8)]
    )
    [message] = run(ActionAnswerFaq(), question).messages
    assert message["text"].startswith(KB.topics["magnesium_foods_forms"].answer)


def test_what_else_helps_after_an_answer_that_said_what_helps_is_the_general_answer_on_calming() -> None:
    """"what else can i do to calm them?" after the answer on sleep, which says what helps with sleep: what
    helps besides, the general answer; "how do i calm them?" there is answered by sleep itself."""
    ranking = [("sleep", 0.6), ("calming_twitches", 0.3)]
    tracker = tracker_right_after_an_answer("sleep", "what else can i do to calm them", ranking)
    tracker.latest_message["follow_up"] = "treatment"
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["calming_twitches"].answer)
    tracker = tracker_right_after_an_answer("sleep", "how do i calm them", ranking)
    tracker.latest_message["follow_up"] = "treatment"
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["sleep"].answer)


def tracker_after_an_answer_and_a_reply(answered: str, reply: str, text: str, follow_up: str) -> Tracker:
    """An answer about `answered`, then a turn the assistant met with the response `reply`, then `text`."""
    tracker = tracker_after(text, topic_ranking=[("twitching_at_rest", 0.4)])
    tracker.latest_message["follow_up"] = follow_up
    events = [
        {"event": "user", "text": "an earlier question"},
        {"event": "slot", "name": "last_topic", "value": answered},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "7 in 10?? srsly"},
        {"event": "action", "name": "action_suggest_topics"},
        {"event": "bot", "text": "...", "metadata": {"utter_action": reply}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    return Tracker("someone", {"last_topic": answered}, tracker.latest_message, events, False, None, {},
                   "action_listen")


def test_a_turn_the_assistant_did_not_follow_leaves_the_conversation_where_it_was() -> None:
    """"when 2 worry tho" after "I'm not sure I understood", itself after the answer on how common twitching
    is, follows up that answer: when to see a doctor."""
    tracker = tracker_after_an_answer_and_a_reply("how_common", "utter_did_you_mean", "when 2 worry tho",
                                                  "who_to_see")
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert message["text"].startswith(KB.topics["when_to_see_doctor"].answer)
    # A reply of another kind in between (what the assistant covers) ends the follow-up: the message is
    # read alone.
    tracker = tracker_after_an_answer_and_a_reply("how_common", "utter_out_of_scope", "when 2 worry tho",
                                                  "who_to_see")
    [message] = run(ActionAnswerFaq(), tracker).messages
    assert not message.get("text", "").startswith(KB.topics["when_to_see_doctor"].answer)
