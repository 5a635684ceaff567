"""Help fits on one screen, by task, with the person's own commands; typos find their command."""

from __future__ import annotations

import re
from datetime import date

from bot_app.basics.views import (
    FIRST_SCREEN,
    HelpEntry,
    closest_commands,
    help_view,
    split_first_screen,
)
from cards.help import CommandHelp, HelpView, TaskHelp, help_card, readable, welcome_card
from cards.safety import CALL_999, urgent_card
from safeguarding.policy import Action
from safeguarding.roles import Person, Role
from tests.harness.cards import assert_valid_card

TODAY = date(2026, 11, 26)

NAMES = {
    "help": "help",
    "hi": "help",
    "hello": "help",
    "start": "help",
    "notify": "notify",
    "notification": "notify",
    "status": "status",
    "cases": "cases",
    "deadlines": "deadlines",
    "clock": "clock",
    "clocks": "clock",
    "report": "report",
    "disagree": "disagree",
    "disputes": "disputes",
}

ADMIN_COMMANDS = [
    HelpEntry("help", "help", "Show what you can do here.", Action.USE_ASSISTANT),
    HelpEntry("clock", "clock <date>", "Deadlines from a date.", Action.USE_ASSISTANT),
    HelpEntry("whois", "whois <name or email>", "Who someone is.", Action.VIEW_DIRECTORY),
    HelpEntry("grant", "grant <email> <role> <reason>", "Give a role.", Action.MANAGE_DIRECTORY),
    HelpEntry("revoke", "revoke <email> <role> <reason>", "Take a role.", Action.MANAGE_DIRECTORY),
    HelpEntry("verify", "verify <reference>", "Check the trail.", Action.VERIFY_TRAIL),
    HelpEntry("hold", "hold <reference> <reason>", "Legal hold.", Action.MANAGE_LEGAL_HOLD),
    HelpEntry("release", "release <reference> [reason]", "Release.", Action.MANAGE_LEGAL_HOLD),
    HelpEntry("retention", "retention [run]", "Retention.", Action.RUN_RETENTION),
    HelpEntry("export", "export <reference>", "Evidence bundle.", Action.EXPORT_EVIDENCE),
    HelpEntry("status", "status <reference>", "A case's stage.", Action.VIEW_CASE),
    HelpEntry("cases", "cases", "Open cases.", Action.VIEW_CASE),
    HelpEntry("deadlines", "deadlines", "What is due.", Action.VIEW_CASE),
    HelpEntry("notify", "notify", "Notify the Hub.", Action.NOTIFY),
    HelpEntry("register", "register <purpose>", "Register a channel.", Action.REGISTER_CHANNEL),
    HelpEntry("unregister", "unregister", "Stop posting here.", Action.REGISTER_CHANNEL),
    HelpEntry("channels", "channels", "Registered channels.", Action.REGISTER_CHANNEL),
    HelpEntry("reminders", "reminders <reference>", "Reminders.", Action.VIEW_CASE),
]


def test_a_typo_of_the_first_word_finds_the_command() -> None:
    assert closest_commands("stauts ABC", NAMES) == ["status"]
    assert closest_commands("notfy", NAMES) == ["notify"]
    assert closest_commands("deadline", NAMES) == ["deadlines"]
    assert closest_commands("helo", NAMES) == ["help"]


def test_a_typo_is_matched_to_a_command_before_an_alias() -> None:
    assert "help" not in closest_commands("stauts", NAMES), "'start' is only an alias of help"


def test_a_command_named_later_in_a_sentence_is_suggested() -> None:
    assert closest_commands("how do I notify", NAMES) == ["notify"]
    assert closest_commands("I want to disagree about a case", NAMES) == ["disagree"]


def test_nothing_is_suggested_for_words_unlike_any_command() -> None:
    assert closest_commands("what's for lunch", NAMES) == []
    assert closest_commands("", NAMES) == []
    assert closest_commands("12345", NAMES) == []


def test_only_the_commands_the_person_may_use_can_be_suggested() -> None:
    assert closest_commands("grnat sam", NAMES) == [], "grant is not among this person's words"


def test_the_first_screen_has_notify_first_and_at_most_six_commands() -> None:
    shown, rest = split_first_screen(ADMIN_COMMANDS)

    assert len(shown) == FIRST_SCREEN
    assert shown[0].name == "notify"
    names = [e.name for e in shown]
    assert "help" not in names, "help is not listed on the card it opens"
    # Every task gets its lead command before any task gets a second one.
    assert names == ["notify", "cases", "grant", "register", "verify", "clock"]
    hidden = [e.name for _, entries in rest for e in entries]
    assert sorted(names + hidden) == sorted(e.name for e in ADMIN_COMMANDS if e.name != "help")
    assert [title for title, _ in rest] == [
        "Follow cases",
        "People and roles",
        "Channels",
        "Records",
    ]


def test_a_person_with_few_commands_sees_them_all_and_no_more_button() -> None:
    practitioner = [
        e
        for e in ADMIN_COMMANDS
        if e.action in {Action.NOTIFY, Action.VIEW_CASE, Action.USE_ASSISTANT}
    ]
    shown, rest = split_first_screen(practitioner)

    assert [e.name for e in shown] == [
        "notify",
        "cases",
        "status",
        "deadlines",
        "reminders",
        "clock",
    ]
    assert rest == []
    view = help_view(
        person=Person("p", "Tom Reed", roles=frozenset({Role.PRACTITIONER})),
        partnership="P",
        commands=practitioner,
        today=TODAY,
    )
    card = help_card(view)
    assert_valid_card(card)
    assert not any(a["title"] == "More commands" for a in card["actions"])


def test_placeholders_are_shown_in_a_form_teams_keeps() -> None:
    assert readable("status <reference>") == "status «reference»"
    assert readable("add 'for <member email>'") == "add 'for «member email»'"
    assert readable("retention [run]") == "retention [run]"


def test_help_and_welcome_cards_hide_the_rest_behind_more_commands() -> None:
    view = HelpView(
        user_name="Chris Lane",
        partnership="Test Partnership",
        roles=("Administrator",),
        commands=(CommandHelp("notify", "Notify the Hub."),),
        today=TODAY,
        more=(TaskHelp("People and roles", (CommandHelp("grant <email>", "Give a role."),)),),
    )
    for card in (help_card(view), welcome_card(view)):
        assert_valid_card(card)
        more = next(a for a in card["actions"] if a["title"] == "More commands")
        assert more["type"] == "Action.ToggleVisibility"
        hidden = next(b for b in card["body"] if b.get("isVisible") is False)
        assert more["targetElements"] == [{"elementId": hidden["id"]}]
        assert "grant «email»" in str(hidden)
        assert not re.search(r"<[a-z]+>", str(card))


def test_the_urgent_card_says_999_first_and_offers_to_notify() -> None:
    card = urgent_card(may_notify=True)
    assert_valid_card(card)
    assert card["body"][0]["items"][0]["text"] == CALL_999
    assert card["actions"][0]["data"] == {"command": "notify"}
    assert card["fallbackText"] == CALL_999

    without = urgent_card(may_notify=False)
    assert_valid_card(without)
    assert "actions" not in without
    assert without["body"][0]["items"][0]["text"] == CALL_999


def test_the_review_and_action_plan_commands_are_a_task_of_their_own() -> None:
    hub = [
        HelpEntry("notify", "notify", "Notify the Hub.", Action.NOTIFY),
        HelpEntry("cases", "cases", "Open cases.", Action.VIEW_CASE),
        HelpEntry("plan", "plan «reference»", "The action plan.", Action.VIEW_ACTIONS),
        HelpEntry("actions", "actions", "Open actions.", Action.VIEW_ACTIONS),
        HelpEntry("board", "board report", "The Board report.", Action.VIEW_BOARD_REPORT),
        HelpEntry("clock", "clock «date»", "Deadlines from a date.", Action.USE_ASSISTANT),
    ]

    shown, rest = split_first_screen(hub, limit=4)

    # "actions" leads its task on the first screen; the rest wait under its own heading.
    assert [e.name for e in shown] == ["notify", "cases", "actions", "clock"]
    assert [(title, sorted(e.name for e in entries)) for title, entries in rest] == [
        ("Reviews and action plans", ["board", "plan"])
    ]
