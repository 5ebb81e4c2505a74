"""Every state change of the app, one verb-named function each (STYLE.md).

Services own their transaction and row locks, always in the order room, attendee,
session, and send signals with ``transaction.on_commit``. Views, admin actions,
management commands and signaling all call these functions.
"""
