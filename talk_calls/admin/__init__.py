"""Operator pages in the Django admin: rooms, live calls, attendees, sessions and history.

Read-mostly: nothing here edits a row. Every list and page is read-only, and the few
things an operator may do (end a call for everyone, expire stale sessions, remove an
attendee, promote or demote a moderator, remove a session) call the same services as the
API, so locks, call events and signals are the API's. Those actions need the model's
"change" permission. Every changelist annotates what it shows and selects related rows,
so the number of queries does not grow with rooms or sessions.
"""

from . import lists, rooms  # noqa: F401 (registers the model admins)
