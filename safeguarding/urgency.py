"""Does a message that is not a command read like a child in danger right now?

A practitioner who types "I found the baby not breathing, what do I do" into the assistant
must be told, first and plainly, to call 999 and follow their agency's safeguarding
procedure - not offered a calendar tip. The assistant is not an emergency service (the
partnership's CSPR procedure: notifying the Hub never replaces keeping a child safe), so the
test here is deliberately broad: a false alarm costs one extra sentence, a miss may cost a
life. It is applied only to words the bot does not recognise as a command, so an ordinary
command ("status NL-2026-0001", "hold NL-2026-0001 coroner's inquest") is never caught.

Negations ("she is not injured") are not treated specially: when in doubt, say 999.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final


class Urgency(StrEnum):
    """Why a message reads as urgent: what is logged (never the words themselves)."""

    BREATHING = "breathing"
    UNRESPONSIVE = "unresponsive"
    INJURY = "injury"
    DANGER = "danger"
    HARM_NOW = "harm_now"
    MISSING = "missing"
    DEATH = "death"
    SELF_HARM = "self_harm"


_CHILD: Final = (
    r"(?:child|children|baby|babies|infant|toddler|boy|girl|son|daughter|kid|kids|pupil|"
    r"student|teen|teenager|young person)"
)
# A child or a pronoun: the subject of "... is missing", "... isn't moving".
_PERSON: Final = rf"(?:{_CHILD}|he|she|they|him|her|them|hes|shes|theyre)"
_BE: Final = r"(?:is |was |has |has gone |went |gone |has been |been |are |were )"
_GONE: Final = r"(?:is |was |has gone |went |has been |have gone )"
_ACCOMPLICE: Final = r"(?:him|her|them|me|us|the child|the baby|a child|a baby|my \w+|his \w+)"

# Each pattern runs on the normalised text (lower case, apostrophes dropped: "isn't" -> "isnt",
# runs of anything else that is not a letter or digit -> one space).
_PATTERNS: Final[tuple[tuple[Urgency, str], ...]] = (
    (
        Urgency.BREATHING,
        r"\b(?:not|isnt|wasnt|stopped|stop|no longer|cant|cannot|can not|struggling to|"
        r"trouble|difficulty|hardly|barely) (?:be )?breath(?:e|es|ed|ing)?\b",
    ),
    (Urgency.BREATHING, r"\bno (?:breath|breathing|pulse|heartbeat)\b"),
    (Urgency.BREATHING, r"\b(?:chok(?:e|es|ed|ing)|drown(?:s|ed|ing)?|turn(?:ed|ing)? blue)\b"),
    (Urgency.UNRESPONSIVE, r"\b(?:unresponsive|unconscious|collapsed|seizure|seizures)\b"),
    (Urgency.UNRESPONSIVE, r"\b(?:not|isnt|wont|cant|cannot|doesnt|didnt) (?:waking|wake)\b"),
    (
        Urgency.UNRESPONSIVE,
        rf"\b{_PERSON} {_BE}?(?:not|isnt|wasnt|wont|cant|cannot|doesnt|didnt|stopped) "
        r"(?:moving|move|responding|respond)\b",
    ),
    (Urgency.INJURY, r"\b(?:injur(?:ed|y|ies)|bleed(?:s|ing)?|bled|fractured?|fractures)\b"),
    (Urgency.INJURY, r"\bbroken (?:arm|arms|leg|legs|bone|bones|rib|ribs|skull|wrist|neck)\b"),
    (Urgency.INJURY, r"\b(?:burn(?:s|ed|t)|bruis(?:e|es|ed|ing)|stabbed|scald(?:s|ed))\b"),
    (Urgency.INJURY, r"\b(?:overdos(?:e|ed|es|ing)|poison(?:ed|ing)?)\b"),
    (Urgency.INJURY, r"\b(?:been|was|got|is) shot\b|\bfell (?:down|from|off|out)\b"),
    (Urgency.INJURY, r"\b(?:knife|knives|gun|weapon)\b"),
    (Urgency.DANGER, r"\b(?:in|immediate|serious|real) danger\b|\bat immediate risk\b"),
    (Urgency.DANGER, r"\b(?:unsafe|emergency|ambulance|999|threat(?:en|ens|ened|ening))\b"),
    (
        Urgency.HARM_NOW,
        r"\bbeing (?:hurt|hit|beaten|abused|attacked|assaulted|raped|harmed|threatened|kicked|"
        r"punched|strangled|choked|shaken|smacked|slapped|touched|groomed|exploited|"
        r"trafficked|neglected|starved|locked)\b",
    ),
    (
        Urgency.HARM_NOW,
        r"\b(?:hurting|hitting|beating|attacking|abusing|kicking|punching|strangling|shaking|"
        rf"slapping|smacking) {_ACCOMPLICE}\b",
    ),
    (Urgency.HARM_NOW, r"\b(?:is|was|been|got|getting|badly|seriously|very) hurt\b"),
    (
        Urgency.HARM_NOW,
        r"\b(?:abused|assaulted|raped|rape|sexually|beaten|strangled|shaken baby|trafficked)\b",
    ),
    (Urgency.HARM_NOW, r"\babuse\b.*\b(?:now|happening|ongoing|tonight|today)\b"),
    (Urgency.HARM_NOW, r"\bhappening (?:right )?now\b"),
    (Urgency.MISSING, rf"\b{_CHILD} {_BE}?missing\b|\b{_PERSON} {_GONE}missing\b"),
    (Urgency.MISSING, rf"\b(?:gone missing|missing {_CHILD}|missing from (?:home|care|school))\b"),
    (Urgency.MISSING, r"\b(?:ran|run|running|runs) away\b|\b(?:abduct|kidnap)\w*\b"),
    (Urgency.MISSING, rf"\b(?:cant|cannot|can not) find {_PERSON}\b"),
    (Urgency.DEATH, r"\b(?:died|dies|dead|death|dying|deceased|passed away|not alive)\b"),
    (
        Urgency.SELF_HARM,
        r"\b(?:suicid(?:e|al)|self harm\w*|selfharm\w*|(?:wants|want|going|threatening|tried) "
        r"to die)\b",
    ),
    (
        Urgency.SELF_HARM,
        r"\b(?:kill|killed|hang|hanged|hanging|cut|cutting) (?:himself|herself|themselves|"
        r"themself|myself)\b",
    ),
)
_COMPILED: Final = tuple((why, re.compile(pattern)) for why, pattern in _PATTERNS)
_APOSTROPHES: Final = re.compile(r"['\u2019\u2018`]")
_NOT_WORD: Final = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, apostrophes dropped, everything else that is not a letter or digit a space."""
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text.casefold())).strip()


def urgency(text: str) -> Urgency | None:
    """The first sign that ``text`` is about a child in danger now, or None."""
    words = normalise(text)
    if not words:
        return None
    for why, pattern in _COMPILED:
        if pattern.search(words):
            return why
    return None


def looks_urgent(text: str) -> bool:
    return urgency(text) is not None
