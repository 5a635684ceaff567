"""Differences of opinion: any partner may disagree about a case, on the record, without
pausing a statutory clock.

The three-stage ladder of the partnership's CSPR procedure (liaison, the safeguarding
partners, mediation by the Independent Scrutiny Officer) runs in chat: the parties get the
narrative in personal chat only, the stage's channels get a notice with dates and
references, and the stage timers make sure a stalled dispute reaches the Hub. The dispute
itself lives in the case's evidence trail (``safeguarding/disputes.py``).

What goes where ("Information governance"):

* the stage's channels (1: Hub and CSPR Group; 2 and 3: Hub and safeguarding partners) get
  the notice card: the case reference, dispute number, topic, stage and target date;
* each party gets ONE dispute card in personal chat, with the narrative and the buttons,
  redrawn in place as the dispute moves on (the raiser too: the raise card itself ends as a
  summary without buttons); people joining at a new stage get theirs then;
* the Hub's case card shows "1 open difference of opinion (stage 2, target …)".

The ladder is climbed a rung at a time: a stage is escalated only once someone other than
the raiser has responded at it, or with a recorded reason for skipping it; each stage's
target counts from the day that stage began. Every press answers with a receipt (what was
done, by whom, when); a repeated press says what was already done, and when.
"""
