"""Joining and leaving a conversation: POST/DELETE /room/{token}/participants/active
(reference sections 4.4-4.6, CONTRACT section 4)."""

import hashlib

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from talk_calls.constants import (
    SESSION_ID_ALPHABET,
    SESSION_ID_LENGTH,
    SYSTEM_ACTOR_ID,
    ActorType,
    CallEventKind,
    InCallFlag,
    Listable,
    ParticipantType,
    RoomType,
)
from talk_calls.models import Attendee, CallEvent, Room, Session
from tests.factories import AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import call_url, ocs_data, ocs_meta, room_url

pytestmark = pytest.mark.django_db

ALL_ROOM_TYPES = [
    RoomType.ONE_TO_ONE,
    RoomType.GROUP,
    RoomType.PUBLIC,
    RoomType.CHANGELOG,
    RoomType.FORMER_ONE_TO_ONE,
    RoomType.NOTE_TO_SELF,
]


def active(token):
    return room_url(token, "/participants/active")


def assert_joined(response, attendee):
    assert response.status_code == 200, response.content
    assert ocs_meta(response) == {"status": "ok", "statuscode": 200, "message": "OK"}
    data = ocs_data(response)
    assert len(data["sessionId"]) == SESSION_ID_LENGTH
    assert set(data["sessionId"]) <= set(SESSION_ID_ALPHABET)
    assert data["actorType"] == attendee.actor_type
    assert data["actorId"] == attendee.actor_id
    assert data["attendeeId"] == attendee.pk
    assert data["participantType"] == attendee.participant_type
    assert data["participantFlags"] == InCallFlag.DISCONNECTED
    assert django_settings.SESSION_COOKIE_NAME in response.cookies
    session = Session.objects.get(session_id=data["sessionId"])
    assert session.attendee_id == attendee.pk
    assert session.in_call == InCallFlag.DISCONNECTED
    return data


# --- who may join which room ------------------------------------------------------------


@pytest.mark.parametrize("room_type", ALL_ROOM_TYPES)
@pytest.mark.parametrize("trait", ["owner", "moderator", "self_joined", None])
def test_attendee_user_joins_every_room_type(client_for, room_type, trait):
    room = RoomFactory(type=room_type)
    attendee = AttendeeFactory(room=room, **({trait: True} if trait else {}))
    assert_joined(client_for(attendee.user).join_room(room.token), attendee)
    assert Attendee.objects.filter(room=room).count() == 1


def test_user_self_joins_a_public_room(client_for, public_room, user):
    data = ocs_data(client_for(user).join_room(public_room.token))
    attendee = Attendee.objects.get(room=public_room, actor_id=user.get_username())
    assert attendee.participant_type == ParticipantType.USER_SELF_JOINED
    assert data["attendeeId"] == attendee.pk
    assert data["actorType"] == ActorType.USERS


@pytest.mark.parametrize("room_type", [RoomType.GROUP, RoomType.PUBLIC])
@pytest.mark.parametrize("listable", [Listable.USERS, Listable.ALL])
def test_user_joins_a_listable_room_as_user(client_for, user, room_type, listable):
    room = RoomFactory(type=room_type, listable=listable)
    client_for(user).join_room(room.token)
    attendee = Attendee.objects.get(room=room, actor_id=user.get_username())
    assert attendee.participant_type == ParticipantType.USER


def test_guest_app_users_only_see_rooms_listable_to_all(client_for, settings):
    from tests.factories import GroupFactory

    guest_account = UserFactory()
    guest_account.groups.add(GroupFactory(name="guest_app"))
    for_users, for_all = RoomFactory(listable=Listable.USERS), RoomFactory(listable=Listable.ALL)
    client = client_for(guest_account)
    assert client.join_room(for_users.token).status_code == 404
    assert client.join_room(for_all.token).status_code == 200


@pytest.mark.parametrize("room_type", [t for t in ALL_ROOM_TYPES if t != RoomType.PUBLIC])
def test_non_attendee_user_gets_404_null_for_unlisted_rooms(client_for, user, room_type):
    room = RoomFactory(type=room_type)
    response = client_for(user).join_room(room.token)
    assert response.status_code == 404
    assert ocs_data(response) is None
    assert not Attendee.objects.filter(room=room).exists()


@pytest.mark.parametrize("room_type", [t for t in ALL_ROOM_TYPES if t != RoomType.PUBLIC])
def test_guest_gets_404_null_for_non_public_rooms(client_for, room_type):
    room = RoomFactory(type=room_type, listable=Listable.ALL)
    response = client_for().join_room(room.token)
    assert response.status_code == 404
    assert ocs_data(response) is None
    assert not Session.objects.exists()


def test_unknown_token_is_404_null(client_for, user):
    response = client_for(user).join_room("nosuchroom")
    assert response.status_code == 404
    assert ocs_data(response) is None


# --- guests -----------------------------------------------------------------------------


def test_guest_actor_id_is_sha1_of_its_first_session_id(client_for, public_room):
    client = client_for()
    first = ocs_data(client.join_room(public_room.token))
    assert first["actorType"] == ActorType.GUESTS
    assert first["actorId"] == hashlib.sha1(first["sessionId"].encode()).hexdigest()
    assert first["participantType"] == ParticipantType.GUEST
    again = ocs_data(client.join_room(public_room.token))
    assert again["sessionId"] != first["sessionId"]
    assert again["actorId"] == first["actorId"]
    assert again["attendeeId"] == first["attendeeId"]
    assert Session.objects.filter(room=public_room).count() == 1


def test_two_guests_are_two_attendees(client_for, public_room):
    one = ocs_data(client_for().join_room(public_room.token))
    two = ocs_data(client_for().join_room(public_room.token))
    assert one["actorId"] != two["actorId"]
    assert Attendee.objects.filter(room=public_room, actor_type=ActorType.GUESTS).count() == 2


def test_guest_id_is_per_room(client_for):
    client = client_for()
    first = ocs_data(client.join_room(RoomFactory(public=True).token))
    second = ocs_data(client.join_room(RoomFactory(public=True).token))
    assert first["actorId"] != second["actorId"]
    assert second["actorId"] == hashlib.sha1(second["sessionId"].encode()).hexdigest()


# --- passwords --------------------------------------------------------------------------


@pytest.fixture
def password_room(db):
    return RoomFactory(public=True, room_password="room-password")


@pytest.mark.parametrize("password", [None, "", "wrong"])
def test_guest_needs_the_password(client_for, password_room, password):
    params = {} if password is None else {"password": password}
    response = client_for().join_room(password_room.token, **params)
    assert response.status_code == 403
    assert ocs_data(response) == {"error": "password"}
    assert not Session.objects.exists()
    assert not Attendee.objects.filter(room=password_room).exists()


def test_guest_with_the_password_joins(client_for, password_room):
    response = client_for().join_room(password_room.token, password="room-password")
    assert response.status_code == 200


def test_self_joining_user_needs_the_password(client_for, password_room, user):
    client = client_for(user)
    assert client.join_room(password_room.token).status_code == 403
    assert not Attendee.objects.filter(room=password_room).exists()
    assert client.join_room(password_room.token, password="room-password").status_code == 200


def test_attendee_needs_no_password(client_for, password_room):
    attendee = AttendeeFactory(room=password_room)
    assert_joined(client_for(attendee.user).join_room(password_room.token), attendee)


def test_listable_room_needs_no_password(client_for, user):
    room = RoomFactory(public=True, listable=Listable.USERS, room_password="room-password")
    assert client_for(user).join_room(room.token).status_code == 200


def test_guest_rejoining_from_the_same_browser_needs_no_password(client_for, password_room):
    client = client_for()
    assert client.join_room(password_room.token, password="room-password").status_code == 200
    assert client.join_room(password_room.token).status_code == 200


@pytest.mark.parametrize("who", ["guest", "user"])
def test_password_join_rotates_the_django_session_key(client_for, password_room, user, who):
    client = client_for(user if who == "user" else None)
    # A planted (or earlier) session key: the browser already has a Django session.
    client.join_room(RoomFactory(public=True).token)
    old_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    response = client.join_room(password_room.token, password="room-password")
    assert response.status_code == 200
    new_key = response.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)
    # The Talk session map survived the new key: the client can still use both rooms.
    tokens = set(client.session["talk_calls_sessions"])
    assert password_room.token in tokens and len(tokens) == 2
    assert set(Session.objects.values_list("django_session_key", flat=True)) == {new_key}
    assert client.ocs("POST", call_url(password_room.token), {"flags": 1}).status_code == 200


def test_join_without_password_keeps_the_session_key(client_for, public_room):
    client = client_for()
    client.join_room(public_room.token)
    old_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    client.join_room(RoomFactory(public=True).token)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value == old_key


# --- force and 409 ----------------------------------------------------------------------


@pytest.fixture
def caller_in_call(client_for, room):
    attendee = AttendeeFactory(room=room, owner=True)
    client = client_for(attendee.user)
    first = ocs_data(client.join_room(room.token))
    assert client.ocs("POST", call_url(room.token), {"flags": 3}).status_code == 200
    return client, first["sessionId"], attendee


def test_force_false_while_in_call_is_409_with_the_old_session(caller_in_call, room):
    client, old_id, _ = caller_in_call
    response = client.join_room(room.token, force=False)
    assert response.status_code == 409
    data = ocs_data(response)
    old = Session.objects.get(session_id=old_id)
    assert data == {"sessionId": old_id, "inCall": old.in_call, "lastPing": int(old.last_ping.timestamp())}
    assert data["inCall"] == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
    assert Session.objects.count() == 1
    assert Room.objects.get(pk=room.pk).active_since is not None


def test_force_true_replaces_the_session_and_leaves_the_call(caller_in_call, room):
    client, old_id, attendee = caller_in_call
    response = client.join_room(room.token, force=True)
    assert_joined(response, attendee)
    assert not Session.objects.filter(session_id=old_id).exists()
    assert Room.objects.get(pk=room.pk).active_since is None
    kinds = list(CallEvent.objects.filter(room=room).order_by("id").values_list("kind", flat=True))
    assert kinds == [CallEventKind.CALL_STARTED, CallEventKind.CALL_LEFT, CallEventKind.CALL_ENDED]
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_ENDED).get().actor_id == SYSTEM_ACTOR_ID


def test_force_defaults_to_true(caller_in_call, room):
    client, old_id, _ = caller_in_call
    assert client.join_room(room.token).status_code == 200
    assert not Session.objects.filter(session_id=old_id).exists()


def test_force_false_replaces_a_session_that_is_not_in_a_call(client_for, room):
    attendee = AttendeeFactory(room=room)
    client = client_for(attendee.user)
    old_id = ocs_data(client.join_room(room.token))["sessionId"]
    assert client.join_room(room.token, force=False).status_code == 200
    assert not Session.objects.filter(session_id=old_id).exists()


def test_another_device_never_conflicts(caller_in_call, room, client_for):
    _, old_id, attendee = caller_in_call
    response = client_for(attendee.user).join_room(room.token, force=False)
    assert response.status_code == 200
    assert Session.objects.filter(session_id=old_id).exists()
    assert Session.objects.filter(attendee=attendee).count() == 2


# --- leaving ----------------------------------------------------------------------------


@pytest.mark.parametrize("room_type", ALL_ROOM_TYPES)
def test_leave_ends_the_session_and_answers_null(client_for, room_type):
    room = RoomFactory(type=room_type)
    attendee = AttendeeFactory(room=room)
    client = client_for(attendee.user)
    session_id = ocs_data(client.join_room(room.token))["sessionId"]
    response = client.delete(active(room.token))
    assert response.status_code == 200
    assert ocs_data(response) is None
    assert not Session.objects.filter(session_id=session_id).exists()
    assert Attendee.objects.filter(pk=attendee.pk).exists()
    assert room.token not in client.session.get("talk_calls_sessions", {})


def test_leaving_during_a_call_leaves_it_and_ends_it_with_the_system_actor(caller_in_call, room):
    client, _, attendee = caller_in_call
    assert client.delete(active(room.token)).status_code == 200
    assert Room.objects.get(pk=room.pk).active_since is None
    left = CallEvent.objects.get(room=room, kind=CallEventKind.CALL_LEFT)
    assert left.actor_id == attendee.actor_id
    assert CallEvent.objects.get(room=room, kind=CallEventKind.CALL_ENDED).actor_id == SYSTEM_ACTOR_ID


def test_self_joined_user_is_removed_with_the_last_session(client_for, public_room, user):
    client = client_for(user)
    client.join_room(public_room.token)
    assert client.delete(active(public_room.token)).status_code == 200
    assert not Attendee.objects.filter(room=public_room).exists()


def test_guest_leaves(client_for, public_room):
    client = client_for()
    client.join_room(public_room.token)
    assert client.delete(active(public_room.token)).status_code == 200
    assert not Session.objects.exists()


@pytest.mark.parametrize("token", ["nosuchroom", "abcd"])
def test_leave_always_answers_200(client_for, user, token):
    for client in (client_for(), client_for(user)):
        response = client.delete(active(token))
        assert response.status_code == 200
        assert ocs_data(response) is None


def test_leave_twice_answers_200(client_for, public_room):
    client = client_for()
    client.join_room(public_room.token)
    assert client.delete(active(public_room.token)).status_code == 200
    assert client.delete(active(public_room.token)).status_code == 200


def test_leave_does_not_touch_another_browsers_session(client_for, room):
    attendee = AttendeeFactory(room=room)
    mine, other = client_for(attendee.user), client_for(attendee.user)
    other_id = ocs_data(other.join_room(room.token))["sessionId"]
    assert mine.delete(active(room.token)).status_code == 200
    assert Session.objects.filter(session_id=other_id).exists()


def test_a_session_id_of_another_actor_in_the_django_session_is_ignored(client_for, room):
    """A Django session that holds another user's Talk session (e.g. a shared browser with
    Basic auth for a second account) neither leaves nor uses it."""
    alice, bob = AttendeeFactory(room=room), AttendeeFactory(room=room)
    client = client_for(alice.user)
    alice_session = ocs_data(client.join_room(room.token))["sessionId"]
    from tests.helpers import basic_header

    client.defaults["HTTP_AUTHORIZATION"] = basic_header(bob.user.get_username())
    assert client.delete(active(room.token)).status_code == 200
    assert Session.objects.filter(session_id=alice_session).exists()
    assert client.ocs("POST", call_url(room.token)).status_code == 404


def test_leave_without_a_session_creates_no_django_session(client_for):
    response = client_for().delete(active("nosuchroom"))
    assert response.status_code == 200
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies


def test_promoted_guest_rejoins_as_guest_moderator(client_for, public_room):
    client = client_for()
    first = ocs_data(client.join_room(public_room.token))
    Attendee.objects.filter(pk=first["attendeeId"]).update(participant_type=ParticipantType.GUEST_MODERATOR)
    again = ocs_data(client.join_room(public_room.token))
    assert again["participantType"] == ParticipantType.GUEST_MODERATOR
    assert again["actorId"] == first["actorId"]
    assert client.delete(active(public_room.token)).status_code == 200
    assert Attendee.objects.filter(pk=first["attendeeId"]).exists()
    assert not Session.objects.exists()
