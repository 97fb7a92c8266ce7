"""The emergency screen: what must be escalated at once, and what must not be mistaken for it."""

from __future__ import annotations

import re

import pytest

from bot.emergency import IF_URGENT, emergency_instruction, emergency_screen, screen_message
from bot.triage import red_flag_rules

ESCALATED = [
    ("I can't breathe", "breathing_difficulty"),
    ("help, i cant breathe and my chest twitches", "breathing_difficulty"),
    ("I'm having trouble breathing", "breathing_difficulty"),
    ("short of breath and twitching all over", "breathing_difficulty"),
    ("no fever but I can't catch my breath", "breathing_difficulty"),
    ("my face is drooping on one side", "sudden_weakness"),
    ("my left arm suddenly went weak", "sudden_weakness"),
    ("I think I'm having a stroke", "sudden_weakness"),
    ("my son is having a seizure", "seizure"),
    ("she's convulsing", "seizure"),
    ("I stepped on a rusty nail and now my jaw is stiff", "tetanus_signs"),
    ("stood on a nail last week, today my jaw muscles feel tight and are cramping", "tetanus_signs"),
    ("scraped my knee on barbed wire and now i have a stiff jaw", "tetanus_signs"),
    ("got bitten by a dog last week and my neck is rigid", "tetanus_signs"),
    ("I can't open my mouth", "tetanus_signs"),
    ("lockjaw", "tetanus_signs"),
    ("I\u2019m having a seizure", "seizure"),
    # Beyond twitching, misspelt, in passing, downplayed (issue 14).
    ("I cant breth", "breathing_difficulty"),
    ("my lips are turning blue", "breathing_difficulty"),
    ("chest pian since this morning", "chest_pain"),
    ("my partner says it's nothing but my chest feels really tight", "chest_pain"),
    ("crushing pain in my chest", "chest_pain"),
    ("sudden numbness on my left side and slurred speech", "sudden_weakness"),
    ("my speech is slurred", "sudden_weakness"),
    ("I'm not sure if my face is drooping", "sudden_weakness"),
    ("half his face has gone floppy", "sudden_weakness"),
    ("my tongue is swelling after eating peanuts", "anaphylaxis"),
    ("hives everywhere, face swelling and i feel faint after a wasp sting", "anaphylaxis"),
    ("my dad collapsed and wont wake up", "collapse"),
    ("found my flatmate on the floor and she isnt responding", "collapse"),
    ("bleeding heavily and it won't stop", "heavy_bleeding"),
    ("coughing up lots of bright red blood", "heavy_bleeding"),
    ("i took too many pills", "overdose_or_poisoning"),
    ("i swallowed bleach", "overdose_or_poisoning"),
    ("stiff neck and a high temperature", "meningitis_or_sepsis_signs"),
    ("rash that doesnt blanch", "meningitis_or_sepsis_signs"),
    ("worst headache of my life", "sudden_severe_headache"),
]
NOT_ESCALATED = [
    "can coffee make my muscles twitch?",
    "I don't have any trouble breathing",
    "no seizures, just an eyelid twitch",
    "can anti-seizure medicines cause twitching?",
    "my calf has twitched for 3 weeks, no weakness",
    "what is a hypnic jerk",
    "is this ALS?",
    "I'm not short of breath",
    "without any difficulty breathing, my thumb jumps",
    "no chest pain, just my eyelid twitching",
    "the seizure medicine my aunt takes",
    "my leg feels odd",
    "lots of blood tests came back fine",
    "can you overdose on magnesium",
    "can food poisoning cause twitching",
    "my eyes are puffy",
    "heavy coffee drinker, twitching on my left side",
    "he is breathing normally",
    "never had a fit or a stroke, just this annoying twitch in my lip",
    "my chest doesnt hurt at all, its the muscle under my ribs that flickers",
    "what was she checking",
]


@pytest.mark.parametrize(("message", "sign"), ESCALATED)
def test_emergencies_are_recognised(message: str, sign: str) -> None:
    assert sign in [found.id for found in screen_message(message)]


@pytest.mark.parametrize("message", NOT_ESCALATED)
def test_ordinary_questions_and_denials_are_not_escalated(message: str) -> None:
    assert screen_message(message) == []


def test_every_sign_has_a_reason_for_the_person() -> None:
    screen = emergency_screen()
    ids = [sign_id for sign_id, _, _ in screen.signs]
    assert len(screen.reasons(ids)) == len(ids) and all(screen.reasons(ids))


@pytest.mark.parametrize(
    "message", ["stop", "Stop!", "cancel please", "stop the check-in", "never mind", "I'm done"]
)
def test_stop_commands_always_stop(message: str) -> None:
    from bot.commands import command_in

    assert command_in(message) == "stop"


@pytest.mark.parametrize(
    "message", ["does stress stop twitching?", "how do i stop twitching", "none of these"]
)
def test_sentences_that_mention_stopping_are_not_commands(message: str) -> None:
    from bot.commands import command_in

    assert command_in(message) is None


def test_the_instruction_gives_the_reasons_then_the_emergency_levels_wording() -> None:
    wording = red_flag_rules().levels["emergency"]
    [reason] = emergency_screen().reasons(["breathing_difficulty"])
    instruction = emergency_instruction(["breathing_difficulty", "no_such_sign"])
    assert instruction == f"{reason} {wording.headline} {wording.what_to_do}"
    assert "call your emergency number now" in instruction.lower()
    assert emergency_instruction() == f"{wording.headline} {wording.what_to_do}"


def test_the_short_form_names_the_same_numbers_as_the_instruction() -> None:
    def numbers(text: str) -> set[str]:
        return set(re.findall(r"\b\d{3}\b", text))

    assert numbers(IF_URGENT) == numbers(emergency_instruction()) == {"911", "999", "112", "000"}
