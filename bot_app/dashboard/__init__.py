"""The case dashboard: a Teams tab (personal and channel) with every clock at a glance.

Chat is right for doing; a page is right for seeing forty cases and their clocks at once.
The routes are wired in ``handlers.py`` (aiohttp: only the handler modules see HTTP), the
queries are in ``services.py``, the view models in ``views.py``, the HTML in ``pages.py`` and
the pages beside it, and the SVG in ``charts.py``. Teams single sign-on is checked in
``tokens.py``; the session cookie is ``sessions.py``. The figures themselves come from the
domain (``safeguarding/board.py``).
"""
