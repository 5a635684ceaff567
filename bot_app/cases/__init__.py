"""The case queries and the Hub's first decisions on a new case.

Everyone involved needs to see where a case stands against its statutory clocks (status,
cases, deadlines), and the Hub must record the Panel notification or close a case that does
not meet the criteria. The Hub card (views, messages) is public: every feature whose
changes show on the card refreshes it through :class:`bot_app.cases.messages.HubCards`.
"""
