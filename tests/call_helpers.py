"""Shared steps of the call tests: attendees with a Talk session, joined over HTTP.

Clients log in with Django's session (``user_client``) rather than HTTP Basic: the same
code path after authentication, without a password hash per client. Basic auth is
covered by the client-library tests.
"""

from talk_calls.models import Session

from .factories import AttendeeFactory
from .ocs import OCSClient, call_url


def user_client(user):
    """Return an OCS client logged in as ``user`` through the session cookie."""
    return OCSClient(user, basic=False)


def in_room(room, **attendee_kwargs):
    """Return ``(client, attendee)``: a user attendee of ``room`` whose client joined the room."""
    attendee = AttendeeFactory(room=room, **attendee_kwargs)
    client = user_client(attendee.user)
    response = client.join_room(room.token)
    assert response.status_code == 200, response.content
    return client, attendee


def guest_in_room(room):
    """Return ``(client, attendee)`` for an anonymous guest who joined public ``room``."""
    client = OCSClient()
    response = client.join_room(room.token)
    assert response.status_code == 200, response.content
    session = Session.objects.select_related("attendee").get(session_id=response.json()["ocs"]["data"]["sessionId"])
    return client, session.attendee


def in_call(room, flags=None, **attendee_kwargs):
    """Return ``(client, attendee)`` of a user who joined ``room`` and its call."""
    client, attendee = in_room(room, **attendee_kwargs)
    data = {} if flags is None else {"flags": int(flags)}
    response = client.ocs("POST", call_url(room.token), data)
    assert response.status_code == 200, response.content
    return client, attendee


def sessions_of(attendee):
    return Session.objects.filter(attendee=attendee)
