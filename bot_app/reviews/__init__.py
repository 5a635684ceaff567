"""The review after the decision: a local CSPR, a local learning review or a national review.

The Hub and the CSPR Group run the review's timetable on the review card (personal chat
only: it names owners, contacts and the family's involvement): milestones with owners and
targets, the family's involvement, parallel processes, publication with the 7-working-day
copy rule, and a national review's publication and the partners' response. Channels get only
the reference, the stage and the deadline: the ``review`` notice and the partners' monthly
monitoring prompt. Every step is an event in the case's trail (``safeguarding/reviews.py``).
"""
