"""The event kinds that start and stop the statutory clocks.

Every journey records these kinds (with these data keys, ISO dates) and the clocks are
derived from them, so a clock can never disagree with the evidence trail.
"""

from __future__ import annotations

from typing import Final

# The Hub recorded the Panel notification. data: {"notified_on": date, "notified_by": str}
PANEL_NOTIFIED: Final = "panel.notified"
# The Hub asked an agency for its rapid review report. data: {"agency": str, "requested_on": date}
AGENCY_REQUESTED: Final = "rapid_review.agency_requested"
# An agency's report (or nil return) arrived. data: {"agency": str, "submitted_on": date}
AGENCY_SUBMITTED: Final = "rapid_review.agency_submitted"
# The rapid review went to the Panel. data: {"sent_on": date}
RAPID_REVIEW_SENT: Final = "panel.rapid_review_sent"
# The Panel answered. data: {"decided_on": date, "decision": str}
PANEL_DECIDED: Final = "panel.decided"
# A review was commissioned. data: {"decided_on": date, "kind": "local", "national" or
# "learning" (a local learning review)}
REVIEW_STARTED: Final = "review.started"
# The review's final report was completed. data: {"completed_on": date}
REVIEW_COMPLETED: Final = "review.completed"
# Publication was planned. data: {"publish_on": date, "copy_by": date (the latest day to send
# the copies), "breaks_rule": bool, "deferred": bool}
PUBLICATION_PLANNED: Final = "review.publication_planned"
# The report was copied to the Panel, Secretary of State and Ofsted. data: {"sent_on": date}
# and, one recipient at a time, "recipient": one of COPY_RECIPIENTS (absent: all three).
REPORT_COPIED: Final = "review.report_copied"
COPY_RECIPIENTS: Final = ("panel", "secretary_of_state", "ofsted")
# The report was published. data: {"published_on": date}
PUBLISHED: Final = "review.published"
