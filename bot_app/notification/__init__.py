"""Notifying the Hub of a child's death or serious harm, guided step by step.

The partners must tell the national Panel within five working days of becoming aware of a
serious incident (Working Together to Safeguard Children), so the notification opens the
case and starts its clocks the moment it is sent. Details about a child are collected in a
personal chat only, never in a channel or group chat.
"""
