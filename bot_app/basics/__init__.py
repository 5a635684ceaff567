"""Help and the statutory clock: what anyone may use, with no case data involved.

A practitioner who has just learnt of a serious incident needs two things at once - what the
assistant can do for them, and when the statutory deadlines fall - before any case exists.
"""
