"""Words that read like a child in danger now are caught; ordinary commands never are."""

from __future__ import annotations

import pytest

from safeguarding.urgency import Urgency, looks_urgent, normalise, urgency


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ("i found the baby not breathing what do i do", Urgency.BREATHING),
        ("The baby isn't breathing!!", Urgency.BREATHING),
        ("he stopped breathing", Urgency.BREATHING),
        ("child is choking", Urgency.BREATHING),
        ("she's unresponsive", Urgency.UNRESPONSIVE),
        ("toddler found unconscious in the bath", Urgency.UNRESPONSIVE),
        ("the baby won't wake up", Urgency.UNRESPONSIVE),
        ("the baby isn’t moving", Urgency.UNRESPONSIVE),
        ("a pupil is injured in the playground", Urgency.INJURY),
        ("child bleeding from the head", Urgency.INJURY),
        ("broken arm and bruises on a 6 month old", Urgency.INJURY),
        ("teenager has taken an overdose", Urgency.INJURY),
        ("her dad has a knife", Urgency.INJURY),
        ("a child is in danger at home", Urgency.DANGER),
        ("EMERGENCY", Urgency.DANGER),
        ("should I call 999", Urgency.DANGER),
        ("he is being hurt by his stepdad", Urgency.HARM_NOW),
        ("mum's partner is hitting the child", Urgency.HARM_NOW),
        ("I think abuse is happening right now", Urgency.HARM_NOW),
        ("the child was sexually abused", Urgency.HARM_NOW),
        ("missing child", Urgency.MISSING),
        ("my son has gone missing", Urgency.MISSING),
        ("a 14 year old girl is missing from care", Urgency.MISSING),
        ("she ran away last night", Urgency.MISSING),
        ("we can't find him", Urgency.MISSING),
        ("a child has died", Urgency.DEATH),
        ("the baby is dead", Urgency.DEATH),
        ("young person is suicidal", Urgency.SELF_HARM),
        ("she said she wants to kill herself", Urgency.SELF_HARM),
        ("pupil self-harming in the toilets", Urgency.SELF_HARM),
    ],
)
def test_words_about_a_child_in_danger_now_are_urgent(message: str, why: Urgency) -> None:
    assert urgency(message) is why
    assert looks_urgent(message)


@pytest.mark.parametrize(
    "message",
    [
        "help",
        "hi",
        "hello",
        "notify",
        "status NL-2026-0001",
        "stauts ABC",
        "clock 23/12/2026",
        "clock 2026-12-23",
        "cases",
        "deadlines",
        "reminders NL-2026-0001",
        "report NL-2026-0001",
        "rapid-review NL-2026-0001",
        "disagree NL-2026-0001",
        "disputes",
        "register hub",
        "register agency Humberside Police",
        "unregister csprg",
        "channels",
        "export NL-2026-0001",
        "whois priya",
        "grant sam.hughes@example.org hub_officer new starter in the Hub",
        "revoke sam.hughes@example.org hub_officer moved to another team",
        "verify all",
        "hold NL-2026-0001 the coroner's inquest has not concluded",
        "release NL-2026-0001 inquest concluded",
        "retention run",
        "what's for lunch",
        "thanks",
        "when is the agency report due",
        "show me the deadlines for the rapid review",
        "who records the panel decision",
        "the vote card is missing",
        "is he missing the deadline",
        "the bot is not responding",
        "the case isn't moving",
        "",
        "   ",
    ],
)
def test_ordinary_commands_and_questions_are_not_urgent(message: str) -> None:
    assert urgency(message) is None
    assert not looks_urgent(message)


def test_deadline_is_not_read_as_dead() -> None:
    assert urgency("deadline for the Panel") is None
    assert urgency("Deadlines") is None


def test_normalising_drops_apostrophes_and_punctuation() -> None:
    assert normalise("The baby ISN’T breathing!!") == "the baby isnt breathing"
    assert normalise("self-harm") == "self harm"
