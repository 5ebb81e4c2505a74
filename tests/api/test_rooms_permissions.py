"""Who may do what (reference section 5): every role against the conversation endpoints.

Roles: owner, moderator, user, self-joined user, guest, guest moderator (all with a Talk
session), a logged-in user who is not a participant, and an anonymous visitor. The room
is public so guests can be in it.
"""

import pytest
from django.test import override_settings

from talk_calls.constants import ActorType, ParticipantType
from tests.factories import AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import V4, OCSClient, room_url

pytestmark = pytest.mark.django_db

ROLES = ["owner", "moderator", "user", "self_joined", "guest", "guest_moderator", "outsider", "anonymous"]

# The reference's PublicPage + RequireModeratorParticipant: guest moderators pass.
MODERATOR_ONLY = [200, 200, 403, 403, 403, 200, 404, 404]
# NoAdminRequired + RequireModeratorParticipant: every anonymous caller is 401 first.
LOGGED_IN_MODERATOR_PARTICIPANT = [200, 200, 403, 403, 401, 401, 404, 401]
# NoAdminRequired + RequireLoggedInModeratorParticipant: the same answers, through another rule.
LOGGED_IN_MODERATOR = [200, 200, 403, 403, 401, 401, 404, 401]

# (method, suffix or absolute path, data, expected status per role in ROLES order)
MATRIX = [
    ("GET", "", None, [200] * 8),
    ("GET", "/participants", None, [200, 200, 200, 200, 403, 200, 404, 404]),
    ("POST", "/participants", {"newParticipant": "{newcomer}"}, LOGGED_IN_MODERATOR),
    ("PUT", "/webinar/lobby", {"state": 0}, LOGGED_IN_MODERATOR_PARTICIPANT),
    ("PUT", "/read-only", {"state": 0}, LOGGED_IN_MODERATOR_PARTICIPANT),
    ("PUT", "/password", {"password": ""}, MODERATOR_ONLY),
    ("PUT", "/permissions/default", {"permissions": 0}, MODERATOR_ONLY),
    ("PUT", "/attendees/permissions", {"attendeeId": "{target}", "method": "set", "permissions": 0}, MODERATOR_ONLY),
    ("POST", "/moderators", {"attendeeId": "{target}"}, MODERATOR_ONLY),
    ("DELETE", "/attendees", {"attendeeId": "{target}"}, MODERATOR_ONLY),
    ("PUT", "", {"roomName": "renamed"}, MODERATOR_ONLY),
    ("PUT", "/listable", {"scope": 0}, LOGGED_IN_MODERATOR_PARTICIPANT),
    ("POST", "/public", None, LOGGED_IN_MODERATOR),
    ("PUT", "/recording-consent", {"recordingConsent": 0}, LOGGED_IN_MODERATOR),
    ("PUT", "/webinar/sip", {"state": 1}, [412, 412, 403, 403, 403, 401, 404, 404]),
    ("DELETE", "/participants/self", None, [200, 200, 200, 200, 401, 401, 404, 401]),
    ("PUT", "/participants/state", {"state": 1}, [200, 200, 200, 200, 200, 200, 404, 404]),
    ("POST", "guest-name", {"displayName": "Ada"}, [403, 403, 403, 403, 200, 200, 404, 404]),
    ("GET", "room-list", None, [200, 200, 200, 200, 401, 401, 200, 401]),
    ("POST", "room-list", {"roomType": 2, "roomName": "new"}, [201, 201, 201, 201, 401, 401, 201, 401]),
]


def client_as(role, room):
    """Return a client acting as ``role`` in ``room`` (users log in with the session cookie)."""
    if role == "anonymous":
        return OCSClient()
    if role in ("guest", "guest_moderator"):
        client = OCSClient()
        assert client.join_room(room.token).status_code == 200
        if role == "guest_moderator":
            guest_id = client.session["talk_calls_guests"][room.token]
            room.attendees.filter(actor_type=ActorType.GUESTS, actor_id=guest_id).update(
                participant_type=ParticipantType.GUEST_MODERATOR
            )
        return client
    if role == "outsider":
        return OCSClient(UserFactory(), basic=False)
    traits = {"owner": {"owner": True}, "moderator": {"moderator": True}, "self_joined": {"self_joined": True}}
    attendee = AttendeeFactory(room=room, **traits.get(role, {}))
    client = OCSClient(attendee.user, basic=False)
    assert client.join_room(room.token).status_code == 200
    return client


def url_for(path, room):
    if path == "guest-name":
        return f"/ocs/v2.php/apps/spreed/api/v1/guest/{room.token}/name"
    if path == "room-list":
        return f"{V4}/room"
    return room_url(room.token, path)


CASES = [
    pytest.param(method, path, data, role, expected[i], id=f"{method} {path or '/'} as {role}")
    for method, path, data, expected in MATRIX
    for i, role in enumerate(ROLES)
]


@override_settings(TALK_CALLS={"RECORDING_CONSENT": 2})
@pytest.mark.parametrize(("method", "path", "data", "role", "status"), CASES)
def test_permission_matrix(method, path, data, role, status):
    room = RoomFactory(public=True)
    AttendeeFactory(room=room, owner=True)  # the room always keeps an owner besides the actor
    AttendeeFactory(room=room)  # ... and another user
    target = AttendeeFactory(room=room)
    newcomer = UserFactory()
    client = client_as(role, room)
    if data is not None:
        values = {"{target}": target.pk, "{newcomer}": newcomer.username}
        data = {key: values.get(value, value) if isinstance(value, str) else value for key, value in data.items()}
    response = client.ocs(method, url_for(path, room), data)
    assert response.status_code == status, response.content
