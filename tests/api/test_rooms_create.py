"""GET and POST /room: the caller's rooms and creating rooms."""

import json

import pytest
from django.test import override_settings

from talk_calls.constants import ActorType, ParticipantType, Permission, RoomType
from talk_calls.models import Attendee, Room
from tests.factories import AttendeeFactory, GroupFactory, RoomFactory, UserFactory, one_to_one_room
from tests.helpers import V4, OCSClient, ocs_data, ocs_meta

pytestmark = pytest.mark.django_db

ROOMS = f"{V4}/room"


def create(client, **data):
    return client.ocs("POST", ROOMS, data)


def test_create_group_room_answers_201_with_owner_room(user):
    response = create(OCSClient(user), roomType=RoomType.GROUP, roomName="  Standup  ")
    assert response.status_code == 201
    data = ocs_data(response)
    room = Room.objects.get(token=data["token"])
    assert (data["type"], data["name"], data["displayName"]) == (RoomType.GROUP, "Standup", "Standup")
    assert data["participantType"] == ParticipantType.OWNER
    assert data["actorId"] == user.username and data["sessionId"] == "0"
    assert len(room.token) >= 8 and not set(room.token) & set("l01")
    assert Attendee.objects.get(room=room).participant_type == ParticipantType.OWNER


def test_create_public_room_with_options(user):
    response = create(
        OCSClient(user),
        roomType=RoomType.PUBLIC,
        roomName="Webinar",
        password="hunter22",
        readOnly=1,
        listable=2,
        lobbyState=1,
        lobbyTimer=4102444800,
        permissions=int(Permission.CALL_JOIN | Permission.CHAT),
        description="About",
    )
    assert response.status_code == 201
    data = ocs_data(response)
    assert data["type"] == RoomType.PUBLIC and data["hasPassword"] is True
    assert (data["readOnly"], data["listable"], data["lobbyState"], data["lobbyTimer"]) == (1, 2, 1, 4102444800)
    assert data["defaultPermissions"] == Permission.CALL_JOIN | Permission.CHAT | Permission.CUSTOM
    assert data["description"] == "About"


def test_create_group_room_from_group_invites_members(user):
    group = GroupFactory(name="team")
    members = [UserFactory(), UserFactory()]
    for member in members:
        member.groups.add(group)
    response = create(OCSClient(user), roomType=RoomType.GROUP, invite="team", source="groups")
    assert response.status_code == 201
    room = Room.objects.get(token=ocs_data(response)["token"])
    assert room.name == "team"
    actors = set(Attendee.objects.filter(room=room).values_list("actor_type", "actor_id"))
    assert actors == {
        (ActorType.USERS, user.username),
        (ActorType.GROUPS, "team"),
        *((ActorType.USERS, m.username) for m in members),
    }


def test_create_with_participants_reports_invalid_ones_with_202(user, other_user):
    response = create(
        OCSClient(user), roomType=RoomType.GROUP, roomName="x", participants={"users": [other_user.username, "ghost"]}
    )
    assert response.status_code == 202
    assert ocs_data(response)["invalidParticipants"] == {"users": ["ghost"]}
    room = Room.objects.get(token=ocs_data(response)["token"])
    assert Attendee.objects.filter(room=room, actor_id=other_user.username).exists()


def room_tokens(user):
    return [room["token"] for room in ocs_data(OCSClient(user).get(ROOMS))]


def test_create_one_to_one_adds_the_creator_only_until_the_other_creates_it_too(user, other_user):
    """CONTRACT section 8: the invited user is no attendee (and has no such room) until they create it too."""
    first = create(OCSClient(user), roomType=RoomType.ONE_TO_ONE, invite=other_user.username)
    assert first.status_code == 201
    data = ocs_data(first)
    room = Room.objects.get(token=data["token"])
    assert room.name == json.dumps(sorted([user.username, other_user.username]))
    assert (data["name"], data["displayName"]) == (other_user.username, other_user.get_full_name())
    assert list(Attendee.objects.filter(room=room).values_list("actor_id", "participant_type")) == [
        (user.username, ParticipantType.OWNER)
    ]
    assert room_tokens(user) == [room.token]
    assert room_tokens(other_user) == []
    invited = OCSClient(other_user)
    assert invited.get(f"{ROOMS}/{room.token}").status_code == 404
    assert invited.join_room(room.token).status_code == 404

    again = create(invited, roomType=RoomType.ONE_TO_ONE, invite=user.username)
    assert again.status_code == 200
    assert (ocs_data(again)["token"], ocs_data(again)["name"]) == (room.token, user.username)
    assert Attendee.objects.get(room=room, actor_id=other_user.username).participant_type == ParticipantType.OWNER
    assert room_tokens(other_user) == [room.token]


def test_creating_an_existing_one_to_one_again_readds_only_the_creator(user, other_user):
    room = one_to_one_room(user, other_user)
    Attendee.objects.filter(room=room).delete()
    response = create(OCSClient(user), roomType=RoomType.ONE_TO_ONE, invite=other_user.username)
    assert (response.status_code, ocs_data(response)["token"]) == (200, room.token)
    assert list(Attendee.objects.filter(room=room).values_list("actor_id", flat=True)) == [user.username]


def test_starting_the_call_adds_the_invited_user_who_is_rung(user, other_user):
    token = ocs_data(create(OCSClient(user), roomType=RoomType.ONE_TO_ONE, invite=other_user.username))["token"]
    caller = OCSClient(user)
    assert caller.join_room(token).status_code == 200
    assert caller.ocs("POST", f"{V4}/call/{token}", {"flags": 3}).status_code == 200
    assert room_tokens(other_user) == [token]
    invited = Attendee.objects.get(room__token=token, actor_id=other_user.username)
    assert invited.participant_type == ParticipantType.OWNER
    assert OCSClient(other_user).get(f"{V4}/call/{token}/notification-state").status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"roomType": 4, "roomName": "x"}, 400, "type"),
        ({"roomType": "abc", "roomName": "x"}, 400, "type"),
        ({"roomType": 2, "roomName": "   "}, 400, "name"),
        ({"roomType": 2, "roomName": "n" * 256}, 400, "name"),
        ({"roomType": 2, "roomName": "x", "password": "pw"}, 400, "password"),
        ({"roomType": 3, "roomName": "x", "readOnly": 2}, 400, "read-only"),
        ({"roomType": 3, "roomName": "x", "listable": 3}, 400, "listable"),
        ({"roomType": 3, "roomName": "x", "lobbyState": 2}, 400, "lobby"),
        ({"roomType": 3, "roomName": "x", "lobbyTimer": -5}, 400, "lobby-timer"),
        ({"roomType": 3, "roomName": "x", "sipEnabled": 1}, 400, "sip-enabled"),
        ({"roomType": 3, "roomName": "x", "permissions": 256}, 400, "permissions"),
        ({"roomType": 3, "roomName": "x", "recordingConsent": 1}, 400, "recording-consent"),
        ({"roomType": 3, "roomName": "x", "description": "d" * 2001}, 400, "description"),
        ({"roomType": 2, "invite": "nogroup", "source": "groups"}, 404, "invite"),
        ({"roomType": 1, "invite": "nobody"}, 404, "invite"),
    ],
)
def test_create_errors(user, data, status, error):
    response = create(OCSClient(user), **data)
    assert response.status_code == status
    assert ocs_data(response)["error"] == error
    assert not Room.objects.exists()


def test_create_one_to_one_with_self_is_403_invite(user):
    response = create(OCSClient(user), roomType=RoomType.ONE_TO_ONE, invite=user.username)
    assert response.status_code == 403
    assert ocs_data(response) == {"error": "invite"}


def test_anonymous_cannot_list_or_create():
    for response in (OCSClient().get(ROOMS), create(OCSClient(), roomType=2, roomName="x")):
        assert response.status_code == 401
        assert ocs_meta(response)["statuscode"] == 997


def test_list_shows_own_rooms_with_headers(user, other_user):
    mine = AttendeeFactory(user=user, owner=True).room
    one = one_to_one_room(user, other_user)
    RoomFactory()  # not mine
    response = OCSClient(user).get(ROOMS)
    assert response.status_code == 200
    data = ocs_data(response)
    assert [r["token"] for r in data] == [mine.token, one.token]
    assert data[1]["displayName"] == other_user.get_full_name()
    assert len(response["X-Nextcloud-Talk-Hash"]) == 40
    assert int(response["X-Nextcloud-Talk-Modified-Before"]) > 0


def test_list_modified_since_returns_only_newer_rooms(user):
    from datetime import timedelta

    from django.utils import timezone

    old = AttendeeFactory(user=user, room=RoomFactory(last_activity=timezone.now() - timedelta(hours=2))).room
    new = AttendeeFactory(user=user).room
    since = int((timezone.now() - timedelta(hours=1)).timestamp())
    data = ocs_data(OCSClient(user).get(ROOMS, {"modifiedSince": since}))
    assert [r["token"] for r in data] == [new.token]
    assert old.token in [r["token"] for r in ocs_data(OCSClient(user).get(ROOMS))]


def test_list_shows_own_session_of_the_room(user, room):
    AttendeeFactory(room=room, user=user)
    client = OCSClient(user)
    session_id = ocs_data(client.join_room(room.token))["sessionId"]
    data = ocs_data(client.get(ROOMS))
    assert data[0]["sessionId"] == session_id


def test_list_query_count_does_not_grow(user, django_assert_num_queries):
    client = OCSClient(user)
    client.get(ROOMS)  # Basic auth is checked once per Django session

    def build(n):
        for _ in range(n):
            AttendeeFactory(user=user)
            one_to_one_room(user, UserFactory())

    build(2)
    with django_assert_num_queries(4):
        assert len(ocs_data(client.get(ROOMS))) == 4
    build(5)
    with django_assert_num_queries(4):
        assert len(ocs_data(client.get(ROOMS))) == 14


def test_deleted_partner_turns_one_to_one_into_former(user, other_user):
    room = one_to_one_room(user, other_user)
    other_user.delete()
    data = ocs_data(OCSClient(user).get(ROOMS))
    assert [(r["token"], r["type"], r["readOnly"]) for r in data] == [(room.token, RoomType.FORMER_ONE_TO_ONE, 1)]


@override_settings(TALK_CALLS={"RECORDING_CONSENT": 2})
def test_create_with_recording_consent_when_allowed(user):
    data = ocs_data(create(OCSClient(user), roomType=2, roomName="x", recordingConsent=1))
    assert data["recordingConsent"] == 1


def test_create_stores_object_reference(user):
    data = ocs_data(create(OCSClient(user), roomType=2, roomName="x", objectType="event", objectId="1#2"))
    assert (data["objectType"], data["objectId"]) == ("event", "1#2")


def test_create_unknown_object_type_is_400(user):
    response = create(OCSClient(user), roomType=2, roomName="x", objectType="spaceship")
    assert (response.status_code, ocs_data(response)) == (400, {"error": "object-type"})


def test_legacy_invite_names_a_group_whatever_the_source_but_circles(user, other_user):
    """Reference createRoom today: ``source=circles`` means a team, any other source a group."""
    group = GroupFactory(name="crew")
    other_user.groups.add(group)
    for source in ("", "groups", "users", "emails", "teams"):
        response = create(OCSClient(user), roomType=RoomType.GROUP, invite="crew", source=source)
        assert response.status_code == 201, source
        data = ocs_data(response)
        assert data["name"] == "crew"
        room = Room.objects.get(token=data["token"])
        assert Attendee.objects.filter(room=room, actor_type=ActorType.GROUPS, actor_id="crew").exists()
        assert Attendee.objects.filter(room=room, actor_id=other_user.username).exists()


@pytest.mark.parametrize("source", ["emails", "circles", "teams", "users"])
def test_legacy_invite_that_is_no_group_answers_404_invite(user, other_user, source):
    """README "source" rows: an e-mail address, a team or a user id is no group here: 404 ``invite``, no room."""
    invite = "guest@example.com" if source == "emails" else other_user.username
    response = create(OCSClient(user), roomType=RoomType.GROUP, roomName="x", invite=invite, source=source)
    assert (response.status_code, ocs_data(response)) == (404, {"error": "invite"})
    assert not Room.objects.exists()


def test_unsupported_invitations_are_reported_invalid_next_to_valid_ones(user, other_user):
    participants = {"users": [other_user.username], "emails": ["guest@example.com"], "teams": ["t1"]}
    response = create(OCSClient(user), roomType=RoomType.GROUP, roomName="x", participants=participants)
    assert response.status_code == 202
    assert ocs_data(response)["invalidParticipants"] == {"emails": ["guest@example.com"], "teams": ["t1"]}
    room = Room.objects.get(token=ocs_data(response)["token"])
    assert set(Attendee.objects.filter(room=room).values_list("actor_id", flat=True)) == {
        user.username,
        other_user.username,
    }


def test_only_unsupported_invitations_answer_404_invite(user):
    response = create(OCSClient(user), roomType=RoomType.PUBLIC, roomName="x", participants={"emails": ["a@b.c"]})
    assert (response.status_code, ocs_data(response)) == (404, {"error": "invite"})
    assert not Room.objects.exists()


def test_group_room_without_name_or_invite_is_named_like_the_reference(user):
    response = create(OCSClient(user), roomType=RoomType.GROUP)
    assert (response.status_code, ocs_data(response)["name"]) == (201, "---")
