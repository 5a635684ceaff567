"""Reminders exist because statutory deadlines (Working Together 2023: the Rapid Review in 15
working days, the notification in 5) are missed when nobody is told in time. Each open case's
clocks become reminders to the group that answers for them - a channel, the named owner, an
agency's safeguarding leads - escalated to the Hub when nobody acknowledges them, and a weekly
summary tells the Hub what is coming. "On it" / "Done" on a reminder records who took it on.
"""
