"""Action plans: the actions agreed from a review, followed up to the end, then closure.

"Safeguarding partners should ... ensure improvement is sustained through regular follow up
of actions" (the partnership's CSPR procedure). The CSPR Group or SPLIG oversees the plan,
the safeguarding partners sign it off at the Children's MARS Board, each action's owner is
followed up before, on and after its due day, and once the review is published (or, for a
local learning review, once the plan closes) the closed plan closes the case. The plan lives
in the case's evidence trail (``safeguarding/action_plans.py``); ``uow.action_plans`` keeps
its current state for reading across cases.

What goes where (domain.md, "Information governance"):

* the plan card, the ``actions`` lists and follow-ups carry descriptions and evidence: they
  go to personal chat only;
* an agency's channel, when one is registered, gets one line per follow-up: the case
  reference, the action's number and its due date;
* the Board report (``board report``) carries references, stages, clock states and counts
  only, behind signed links that expire.
"""
