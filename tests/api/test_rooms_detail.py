"""GET, PUT and DELETE /room/{token}: the room object, rename, delete."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from talk_calls.constants import InCallFlag, ParticipantType, Permission, RoomType
from talk_calls.models import Attendee, CallEvent, Room, Session
from tests.factories import AttendeeFactory, RoomFactory, SessionFactory, UserFactory, one_to_one_room
from tests.helpers import OCSClient, call_url, ocs_data, room_url

pytestmark = pytest.mark.django_db


def test_get_room_for_participant_shows_call_fields(room, owner):
    client = OCSClient(owner.user, basic=False)
    client.join_room(room.token)
    client.ocs("POST", call_url(room.token), {"flags": 3})
    response = client.get(room_url(room.token))
    assert response.status_code == 200
    assert len(response["X-Nextcloud-Talk-Hash"]) == 40
    data = ocs_data(response)
    session = Session.objects.get(attendee=owner)
    room.refresh_from_db()
    assert data["hasCall"] is True
    assert data["callStartTime"] == int(room.active_since.timestamp())
    assert data["callFlag"] == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
    assert data["participantFlags"] == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
    assert data["sessionId"] == session.session_id
    assert data["lastPing"] == int(session.last_ping.timestamp())
    assert data["canStartCall"] is True
    assert data["permissions"] == 254 and data["attendeePermissions"] == 0 and data["defaultPermissions"] == 0
    assert (data["participantType"], data["attendeeId"]) == (ParticipantType.OWNER, owner.pk)
    assert (data["lobbyState"], data["lobbyTimer"], data["readOnly"]) == (0, 0, 0)


def test_get_room_for_plain_user_without_session(room):
    attendee = AttendeeFactory(room=room)
    data = ocs_data(OCSClient(attendee.user, basic=False).get(room_url(room.token)))
    assert data["sessionId"] == "0" and data["participantFlags"] == 0 and data["lastPing"] == 0
    assert data["permissions"] == Permission.CALL_START | Permission.CALL_JOIN | 240


def test_get_public_room_for_anonymous_visitor_answers_defaults(public_room):
    data = ocs_data(OCSClient().get(room_url(public_room.token)))
    assert data["token"] == public_room.token
    assert data["participantType"] == ParticipantType.GUEST
    assert data["permissions"] == data["defaultPermissions"] == Permission.CUSTOM
    assert data["sessionId"] == "0" and data["canStartCall"] is False


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_get_private_room_is_404_null(room, who):
    client = OCSClient(UserFactory()) if who == "outsider" else OCSClient()
    response = client.get(room_url(room.token))
    assert response.status_code == 404
    assert ocs_data(response) is None


def test_get_unknown_room_is_404(user):
    assert OCSClient(user, basic=False).get(room_url("zzzzzzzz")).status_code == 404


def test_one_to_one_display_name_is_the_other_user(user, other_user):
    room = one_to_one_room(user, other_user)
    data = ocs_data(OCSClient(user, basic=False).get(room_url(room.token)))
    # As in the reference, ``name`` is the other user's id (clients load the avatar from it).
    assert (data["name"], data["displayName"]) == (other_user.username, other_user.get_full_name())
    data = ocs_data(OCSClient(other_user, basic=False).get(room_url(room.token)))
    assert (data["name"], data["displayName"]) == (user.username, user.get_full_name())


def test_rename_answers_the_room(room, owner):
    response = OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token), {"roomName": " New name "})
    assert response.status_code == 200
    assert ocs_data(response)["name"] == ocs_data(response)["displayName"] == "New name"
    assert Room.objects.get(pk=room.pk).name == "New name"


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_rename_bad_name_is_400_value(room, owner, name):
    response = OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token), {"roomName": name})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "value"})
    assert Room.objects.get(pk=room.pk).name == room.name


def test_rename_one_to_one_is_400_type(user, other_user):
    room = one_to_one_room(user, other_user)
    response = OCSClient(user, basic=False).ocs("PUT", room_url(room.token), {"roomName": "x"})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


def test_rename_by_user_is_403(room, owner):
    attendee = AttendeeFactory(room=room)
    response = OCSClient(attendee.user, basic=False).ocs("PUT", room_url(room.token), {"roomName": "x"})
    assert (response.status_code, ocs_data(response)) == (403, [])


def test_delete_ends_running_call_and_removes_room(room, owner):
    SessionFactory(attendee=owner, joined=True)
    Room.objects.filter(pk=room.pk).update(active_since=owner.created_at, call_flag=7)
    response = OCSClient(owner.user, basic=False).delete(room_url(room.token))
    assert response.status_code == 200 and ocs_data(response) is None
    assert not Room.objects.filter(pk=room.pk).exists()
    assert not Attendee.objects.filter(room_id=room.pk).exists()
    assert not CallEvent.objects.filter(room_id=room.pk).exists()


def test_delete_one_to_one_is_400(user, other_user):
    room = one_to_one_room(user, other_user)
    response = OCSClient(user, basic=False).delete(room_url(room.token))
    assert (response.status_code, ocs_data(response)) == (400, None)
    assert Room.objects.filter(pk=room.pk).exists()


def test_delete_by_user_is_403(room, owner):
    attendee = AttendeeFactory(room=room)
    assert OCSClient(attendee.user, basic=False).delete(room_url(room.token)).status_code == 403
    assert Room.objects.filter(pk=room.pk).exists()


def test_held_in_lobby_sees_no_call(room, owner):
    Room.objects.filter(pk=room.pk).update(lobby_state=1, active_since=owner.created_at)
    attendee = AttendeeFactory(room=room)
    data = ocs_data(OCSClient(attendee.user, basic=False).get(room_url(room.token)))
    assert data["hasCall"] is False and data["canStartCall"] is False and data["lobbyState"] == 1
    assert ocs_data(OCSClient(owner.user, basic=False).get(room_url(room.token)))["hasCall"] is True


def test_former_one_to_one_via_api(user, other_user):
    room = one_to_one_room(user, other_user)
    other_user.delete()
    data = ocs_data(OCSClient(user, basic=False).get(room_url(room.token)))
    assert data["type"] == RoomType.FORMER_ONE_TO_ONE and data["readOnly"] == 1


# --- the room object for every kind of caller (reference section 5.2, RoomFormatter) -----------

#: Every field of the room object and its JSON type.
ROOM_FIELDS = {
    "id": int,
    "token": str,
    "type": int,
    "name": str,
    "displayName": str,
    "description": str,
    "objectType": str,
    "objectId": str,
    "participantType": int,
    "participantFlags": int,
    "readOnly": int,
    "hasPassword": bool,
    "hasCall": bool,
    "callStartTime": int,
    "callFlag": int,
    "callRecording": int,
    "recordingConsent": int,
    "canStartCall": bool,
    "lobbyState": int,
    "lobbyTimer": int,
    "sipEnabled": int,
    "canEnableSIP": bool,
    "attendeePin": str,
    "actorType": str,
    "actorId": str,
    "attendeeId": int,
    "permissions": int,
    "attendeePermissions": int,
    "callPermissions": int,
    "defaultPermissions": int,
    "lastPing": int,
    "sessionId": str,
    "notificationLevel": int,
    "notificationCalls": int,
    "listable": int,
    "messageExpiration": int,
    "breakoutRoomMode": int,
    "breakoutRoomStatus": int,
    "mentionPermissions": int,
    "lastActivity": int,
    "lastReadMessage": int,
    "unreadMessages": int,
    "unreadMention": bool,
    "unreadMentionDirect": bool,
    "lastCommonReadMessage": int,
    "isFavorite": bool,
    "isArchived": bool,
    "isImportant": bool,
    "isSensitive": bool,
    "canLeaveConversation": bool,
    "canDeleteConversation": bool,
    "avatarVersion": str,
    "isCustomAvatar": bool,
    "liveTranscriptionLanguageId": str,
    "lastMessage": list,
}


def assert_room_shape(data):
    assert set(ROOM_FIELDS) <= set(data)
    for name, kind in ROOM_FIELDS.items():
        assert type(data[name]) is kind, (name, data[name])


@pytest.fixture
def room_in_call(public_room):
    owner = AttendeeFactory(room=public_room, owner=True)
    client = OCSClient(owner.user, basic=False)
    client.join_room(public_room.token)
    assert client.ocs("POST", call_url(public_room.token), {"flags": 3}).status_code == 200
    public_room.refresh_from_db()
    return public_room


@pytest.mark.parametrize("who", ["owner", "user", "guest", "lobby-user", "lobby-guest", "anonymous", "outsider"])
def test_room_object_has_every_field_with_its_type_for_every_caller(room_in_call, who):
    room = room_in_call
    if who.startswith("lobby"):
        Room.objects.filter(pk=room.pk).update(lobby_state=1)
    if who in ("guest", "lobby-guest"):
        client = OCSClient()
        Room.objects.filter(pk=room.pk).update(lobby_state=0)
        assert client.join_room(room.token).status_code == 200
        Room.objects.filter(pk=room.pk).update(lobby_state=1 if who == "lobby-guest" else 0)
    elif who in ("user", "lobby-user"):
        client = OCSClient(AttendeeFactory(room=room).user, basic=False)
        client.join_room(room.token)
    elif who == "owner":
        client = OCSClient(Attendee.objects.get(room=room, participant_type=ParticipantType.OWNER).user, basic=False)
    elif who == "outsider":
        client = OCSClient(UserFactory(), basic=False)
    else:
        client = OCSClient()
    response = client.get(room_url(room.token))
    assert response.status_code == 200
    data = ocs_data(response)
    assert_room_shape(data)
    in_lobby = who.startswith("lobby")
    participant = who in ("owner", "user", "guest", "lobby-user", "lobby-guest")
    assert data["hasCall"] is (participant and not in_lobby)
    assert data["canStartCall"] is (participant and not in_lobby)
    assert data["callStartTime"] == (int(room.active_since.timestamp()) if participant else 0)
    if participant and who != "owner":
        assert len(data["sessionId"]) == 255 and data["lastPing"] > 0
    assert data["callPermissions"] == (0 if participant else Permission.CUSTOM)


def test_outsider_of_a_public_room_sees_the_reference_defaults(room_in_call):
    data = ocs_data(OCSClient().get(room_url(room_in_call.token)))
    assert (data["name"], data["displayName"], data["description"]) == ("", "", "")
    assert (data["hasCall"], data["callFlag"], data["lastActivity"]) == (False, 0, 0)
    assert data["permissions"] == data["attendeePermissions"] == data["callPermissions"] == Permission.CUSTOM
    assert data["defaultPermissions"] == Permission.CUSTOM
    assert (data["notificationLevel"], data["notificationCalls"]) == (3, 0)
    assert (data["canLeaveConversation"], data["canDeleteConversation"]) == (False, False)


def test_outsider_of_a_listable_room_sees_its_name_and_call(room_in_call):
    Room.objects.filter(pk=room_in_call.pk).update(listable=1, description="About")
    data = ocs_data(OCSClient(UserFactory(), basic=False).get(room_url(room_in_call.token)))
    assert (data["name"], data["displayName"], data["description"]) == (room_in_call.name, room_in_call.name, "About")
    assert data["hasCall"] is True and data["callStartTime"] == int(room_in_call.active_since.timestamp())
    assert (data["listable"], data["participantType"], data["canStartCall"]) == (1, ParticipantType.GUEST, False)


def test_notification_level_default_is_resolved(room, user, other_user, public_room):
    attendee = AttendeeFactory(room=room)
    assert ocs_data(OCSClient(attendee.user, basic=False).get(room_url(room.token)))["notificationLevel"] == 2
    Attendee.objects.filter(pk=attendee.pk).update(notification_level=3)
    assert ocs_data(OCSClient(attendee.user, basic=False).get(room_url(room.token)))["notificationLevel"] == 3
    one = one_to_one_room(user, other_user)
    assert ocs_data(OCSClient(user, basic=False).get(room_url(one.token)))["notificationLevel"] == 1
    guest = OCSClient()
    data = ocs_data(guest.join_room(public_room.token))
    assert (data["notificationLevel"], data["notificationCalls"]) == (3, 1)


def test_who_may_leave_and_delete(room, owner, user, other_user, public_room):
    as_owner = ocs_data(OCSClient(owner.user, basic=False).get(room_url(room.token)))
    assert (as_owner["canLeaveConversation"], as_owner["canDeleteConversation"]) == (True, True)
    plain = ocs_data(OCSClient(AttendeeFactory(room=room).user, basic=False).get(room_url(room.token)))
    assert (plain["canLeaveConversation"], plain["canDeleteConversation"]) == (True, False)
    one = ocs_data(OCSClient(user, basic=False).get(room_url(one_to_one_room(user, other_user).token)))
    assert (one["participantType"], one["canLeaveConversation"], one["canDeleteConversation"]) == (1, True, False)
    guest = ocs_data(OCSClient().join_room(public_room.token))
    assert (guest["canLeaveConversation"], guest["canDeleteConversation"]) == (False, False)


def test_joining_a_one_to_one_room_answers_the_partner_as_name(user, other_user):
    room = one_to_one_room(user, other_user)
    data = ocs_data(OCSClient(user, basic=False).join_room(room.token))
    assert (data["name"], data["displayName"]) == (other_user.username, other_user.get_full_name())


@pytest.mark.parametrize("kind", ["group", "one-to-one"])
def test_get_room_costs_the_same_for_2_and_40_attendees_in_the_call(kind, user, django_assert_num_queries):
    room = one_to_one_room(user, UserFactory()) if kind == "one-to-one" else RoomFactory(with_call=True)
    if kind == "group":
        AttendeeFactory(room=room, user=user)
    client = OCSClient(user, basic=False)
    client.join_room(room.token)
    url = room_url(room.token)

    def add(n):
        for _ in range(n):
            SessionFactory(attendee=AttendeeFactory(room=room), joined=True)

    add(2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(38)
    with django_assert_num_queries(len(small.captured_queries)):
        data = ocs_data(client.get(url))
    assert data["token"] == room.token and data["sessionId"] != "0"
