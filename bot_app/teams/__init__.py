"""The Teams edge: the only package in ``bot_app`` that knows botbuilder.

It authenticates and translates activities into :class:`bot_app.core.turn.Turn`, dispatches
them through the router, carries out the answers handlers return (texts, cards, dialogs,
Universal Actions responses) and sends proactive messages for the outbox. Moving to the
Microsoft 365 Agents SDK replaces this package and ``dialogs/`` (docs/architecture.md).
"""
