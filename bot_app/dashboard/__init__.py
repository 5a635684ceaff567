"""The case dashboard: a Teams tab (personal and channel) with every clock at a glance.

Chat is right for doing; a page is right for seeing forty cases and their clocks at once.
The routes are in ``handlers.py`` (aiohttp: the only file that sees HTTP), the queries in
``services.py``, the view models in ``views.py``, the HTML in ``pages.py`` and the SVG in
``charts.py``. Teams single sign-on is checked in ``tokens.py``; the session cookie is
``sessions.py``. The figures themselves come from the domain (``safeguarding/board.py``).
"""
