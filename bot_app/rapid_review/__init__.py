"""The rapid review and the decision on it (Working Together 2023, ch. 5; the Panel's guidance).

Within 15 working days of the partners becoming aware of a serious incident, the agencies
involved report what they knew and did, the CSPR Group's core members vote a recommendation
against the criteria, the safeguarding partners confirm or challenge it, and the rapid review
goes to the Child Safeguarding Practice Review Panel, whose answer decides what review is
held. Each step is recorded on the case, so the clocks, the tracker, the evidence trail and
the Panel's document all read the same facts; report text and rationales stay encrypted or
in personal views, never in a channel.
"""
