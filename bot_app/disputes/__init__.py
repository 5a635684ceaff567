"""Differences of opinion: any partner may disagree about a case, on the record, without
pausing a statutory clock.

The seed procedure's three-stage ladder (liaison, the safeguarding partners, mediation by
the Independent Scrutiny Officer) runs in chat: the parties get the narrative in personal
chat only, the stage's channels get a notice with dates and references, and the stage
timers make sure a stalled dispute reaches the Hub. The dispute itself lives in the case's
evidence trail (``safeguarding/disputes.py``).

What goes where (domain.md, "Information governance"):

* the stage's channels (1: Hub and CSPR Group; 2 and 3: Hub and safeguarding partners) get
  the notice card: the case reference, dispute number, topic, stage and target date;
* the parties get the dispute card in personal chat, with the narrative and the buttons,
  and their copies are updated in place as the dispute moves on;
* the Hub's case card shows "1 open difference of opinion (stage 2, target …)".
"""
