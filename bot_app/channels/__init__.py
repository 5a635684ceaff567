"""Channels are registered, not hard-coded: an administrator says, in a team channel, what it
is for (the Hub's, the CSPR Group's, the partners' or an agency's), so reminders and case
cards reach the people who answer for them, and a partnership can move them without a
release. The observer remembers where people and channels are, because Teams lets a bot post
only into conversations it has seen.
"""
