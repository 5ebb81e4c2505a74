"""Rooms that change under a request: a room deleted, or an attendee removed, between the
caller's participant lookup and the room lock answers 404, never a 500."""

import contextlib

import pytest
from django.db import connection

from talk_calls.constants import ParticipantType
from talk_calls.models import Attendee, Room
from tests.factories import AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import OCSClient, room_url

pytestmark = pytest.mark.django_db

#: The room lock (``services.locking.lock_room``): the UPDATE that moves the peer list's version on.
ROOM_BY_PK = 'UPDATE "talk_calls_room" SET "peers_version" = "peers_version" + 1 WHERE "id" ='
ATTENDEE_BY_PK = 'FROM "talk_calls_attendee" WHERE "talk_calls_attendee"."id" ='


@contextlib.contextmanager
def before_query(fragment, action):
    """Run ``action()`` just before the first SELECT or UPDATE containing ``fragment`` (a lock) runs."""
    state = {"done": False}

    def wrapper(execute, sql, params, many, context):
        if not state["done"] and sql.startswith(("SELECT", "UPDATE")) and fragment in sql:
            state["done"] = True
            action()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield state


def delete_before(fragment, queryset):
    """Delete ``queryset`` just before the first SELECT or UPDATE containing ``fragment`` runs (the lock).

    The deletion runs in the request's own transaction (as a concurrent request's committed
    delete would look to it), so the request's rollback undoes it again.
    """
    return before_query(fragment, queryset.delete)


#: (method, path, data) of every room endpoint that locks the room; "{target}" is another attendee.
LOCKING = [
    ("PUT", "", {"roomName": "renamed"}),
    ("DELETE", "", None),
    ("POST", "/participants", {"newParticipant": "{newcomer}"}),
    ("DELETE", "/attendees", {"attendeeId": "{target}"}),
    ("POST", "/moderators", {"attendeeId": "{target}"}),
    ("PUT", "/attendees/permissions", {"attendeeId": "{target}", "method": "set", "permissions": 2}),
    ("PUT", "/permissions/default", {"permissions": 2}),
    ("PUT", "/webinar/lobby", {"state": 1}),
    ("PUT", "/read-only", {"state": 1}),
    ("PUT", "/listable", {"scope": 1}),
    ("POST", "/public", None),
    ("DELETE", "/public", None),
    ("PUT", "/password", {"password": "pw-123456"}),
    ("DELETE", "/participants/self", None),
]


@pytest.mark.parametrize(("method", "path", "data"), LOCKING, ids=[f"{m} {p or '/'}" for m, p, _ in LOCKING])
def test_room_deleted_before_the_lock_is_404(method, path, data):
    room = RoomFactory(public=True)
    owner = AttendeeFactory(room=room, owner=True)
    target = AttendeeFactory(room=room)
    values = {"{target}": target.pk, "{newcomer}": UserFactory().username}
    if data:
        data = {key: values.get(value, value) if isinstance(value, str) else value for key, value in data.items()}
    client = OCSClient(owner.user, raise_request_exception=False)
    client.get(room_url(room.token))  # Basic auth checked once, outside the wrapper
    with delete_before(ROOM_BY_PK, Room.objects.filter(pk=room.pk)) as state:
        response = client.ocs(method, room_url(room.token, path), data)
    assert state["done"], "the room was never locked"
    assert response.status_code == 404, response.content[:300]


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("POST", "/moderators", {}),
        ("DELETE", "/moderators", {}),
        ("PUT", "/attendees/permissions", {"method": "set", "permissions": 2}),
    ],
)
def test_attendee_removed_before_its_lock_is_404(room, owner, method, path, data):
    target = AttendeeFactory(room=room, moderator=method == "DELETE")
    client = OCSClient(owner.user, raise_request_exception=False)
    client.get(room_url(room.token))
    with delete_before(ATTENDEE_BY_PK, Attendee.objects.filter(pk=target.pk)) as state:
        response = client.ocs(method, room_url(room.token, path), {**data, "attendeeId": target.pk})
    assert state["done"]
    assert response.status_code == 404, response.content[:300]


def test_attendee_promoted_before_its_lock_keeps_moderator_permissions(room, owner):
    target = AttendeeFactory(room=room)
    client = OCSClient(owner.user, raise_request_exception=False)
    client.get(room_url(room.token))
    promote = Attendee.objects.filter(pk=target.pk).update
    with before_query(ATTENDEE_BY_PK, lambda: promote(participant_type=ParticipantType.MODERATOR)) as state:
        response = client.ocs(
            "PUT", room_url(room.token, "/attendees/permissions"), {"attendeeId": target.pk, "permissions": 2}
        )
    assert state["done"]
    assert (response.status_code, response.json()["ocs"]["data"]) == (403, {"error": "moderator"})
