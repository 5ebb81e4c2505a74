"""The participant list and attendee changes: /participants, /attendees, /moderators, permissions."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from talk_calls.constants import ActorType, CallEventKind, InCallFlag, ParticipantType, Permission
from talk_calls.models import Attendee, CallEvent, Room, Session
from tests.factories import (
    AttendeeFactory,
    GroupFactory,
    PhoneAttendeeFactory,
    SessionFactory,
    UserFactory,
    one_to_one_room,
)
from tests.helpers import OCSClient, ocs_data, room_url

pytestmark = pytest.mark.django_db


def participants(client, room):
    return client.get(room_url(room.token, "/participants"))


# --- GET /participants ----------------------------------------------------------------


def test_list_merges_sessions_per_attendee(room, owner):
    user = AttendeeFactory(room=room)
    first = SessionFactory(attendee=user, in_call=InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO)
    second = SessionFactory(attendee=user, in_call=InCallFlag.IN_CALL | InCallFlag.WITH_VIDEO)
    older = timezone.now() - timedelta(seconds=20)
    Session.objects.filter(pk=second.pk).update(last_ping=older)
    response = participants(OCSClient(owner.user, basic=False), room)
    assert response.status_code == 200
    entries = {e["attendeeId"]: e for e in ocs_data(response)}
    assert set(entries) == {owner.pk, user.pk}
    entry = entries[user.pk]
    assert entry["inCall"] == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO
    assert entry["sessionIds"] == [first.session_id, second.session_id]
    assert entry["lastPing"] == int(first.last_ping.timestamp())
    assert entry["roomToken"] == room.token
    assert (entry["actorType"], entry["actorId"]) == (ActorType.USERS, user.actor_id)
    assert entry["displayName"] == user.display_name
    assert entry["participantType"] == ParticipantType.USER
    assert entry["permissions"] == 246 and entry["attendeePermissions"] == 0
    assert entries[owner.pk]["inCall"] == 0 and entries[owner.pk]["sessionIds"] == []
    assert entries[owner.pk]["permissions"] == 254


def test_list_hides_sessions_past_kill_timeout_and_the_sweeper_removes_them(room, owner):
    """A read changes nothing (issue 11): stale sessions are hidden; the periodic command
    removes them through the leave path."""
    Room.objects.filter(pk=room.pk).update(active_since=timezone.now(), call_flag=7)
    user = AttendeeFactory(room=room)
    stale = SessionFactory(attendee=user, joined=True, stale=True)
    guest = AttendeeFactory(room=room, guest=True)
    SessionFactory(attendee=guest, stale=True)
    entries = ocs_data(participants(OCSClient(owner.user, basic=False), room))
    assert [e["attendeeId"] for e in entries] == [owner.pk, user.pk]
    assert entries[1]["sessionIds"] == [] and entries[1]["inCall"] == 0
    assert Session.objects.filter(pk=stale.pk).exists()
    assert Room.objects.get(pk=room.pk).active_since is not None
    call_command("talk_calls_cleanup", stdout=StringIO())
    assert not Session.objects.filter(pk=stale.pk).exists()
    assert Room.objects.get(pk=room.pk).active_since is None
    kinds = set(CallEvent.objects.filter(room=room).values_list("kind", flat=True))
    assert {CallEventKind.CALL_LEFT} <= kinds


def test_list_is_412_in_lobby_and_403_for_plain_guests(public_room):
    AttendeeFactory(room=public_room, owner=True)
    Room.objects.filter(pk=public_room.pk).update(lobby_state=1)
    user = AttendeeFactory(room=public_room)
    assert participants(OCSClient(user.user, basic=False), public_room).status_code == 412
    Room.objects.filter(pk=public_room.pk).update(lobby_state=0)
    guest = OCSClient()
    guest.join_room(public_room.token)
    response = participants(guest, public_room)
    assert (response.status_code, ocs_data(response)) == (403, None)


@override_settings(TALK_CALLS={"SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend"})
def test_list_shows_phone_number_to_user_moderators_when_dial_out_is_configured(room, owner):
    phone = PhoneAttendeeFactory(room=room)
    user = AttendeeFactory(room=room)
    as_owner = {e["attendeeId"]: e for e in ocs_data(participants(OCSClient(owner.user, basic=False), room))}
    as_user = {e["attendeeId"]: e for e in ocs_data(participants(OCSClient(user.user, basic=False), room))}
    assert as_owner[phone.pk]["phoneNumber"] == phone.phone_number
    assert as_user[phone.pk]["phoneNumber"] == ""
    assert as_owner[phone.pk]["displayName"] == phone.display_name


def test_list_hides_phone_numbers_without_dial_out(room, owner):
    phone = PhoneAttendeeFactory(room=room)
    entries = {e["attendeeId"]: e for e in ocs_data(participants(OCSClient(owner.user, basic=False), room))}
    assert (entries[phone.pk]["actorType"], entries[phone.pk]["phoneNumber"]) == ("phones", "")


def test_list_skips_plain_guests_without_session_but_keeps_named_moderators(public_room):
    owner = AttendeeFactory(room=public_room, owner=True)
    gone = AttendeeFactory(room=public_room, guest=True)
    kept = AttendeeFactory(room=public_room, guest_moderator=True, display_name="Host")
    ids = [e["attendeeId"] for e in ocs_data(participants(OCSClient(owner.user, basic=False), public_room))]
    assert ids == [owner.pk, kept.pk]
    assert gone.pk not in ids


def test_list_query_count_does_not_grow(room, owner, django_assert_num_queries):
    client = OCSClient(owner.user, basic=False)
    participants(client, room)

    def build(n):
        for _ in range(n):
            SessionFactory(attendee=AttendeeFactory(room=room), joined=True)
            SessionFactory(attendee=AttendeeFactory(room=room, guest=True))

    build(2)
    # One read: no EXISTS probe for stale sessions any more (the sweeper removes them).
    with django_assert_num_queries(5):
        assert len(ocs_data(participants(client, room))) == 5
    build(6)
    with django_assert_num_queries(5):
        assert len(ocs_data(participants(client, room))) == 17


# --- POST /participants -----------------------------------------------------------------


def test_add_user(room, owner, other_user):
    response = OCSClient(owner.user, basic=False).ocs(
        "POST", room_url(room.token, "/participants"), {"newParticipant": other_user.username}
    )
    assert (response.status_code, ocs_data(response)) == (200, [])
    attendee = Attendee.objects.get(room=room, actor_id=other_user.username)
    assert (attendee.actor_type, attendee.participant_type) == (ActorType.USERS, ParticipantType.USER)


def test_add_user_twice_keeps_one_attendee_and_promotes_self_joined(public_room, other_user):
    owner = AttendeeFactory(room=public_room, owner=True)
    AttendeeFactory(room=public_room, user=other_user, self_joined=True)
    client = OCSClient(owner.user, basic=False)
    for _ in range(2):
        data = {"newParticipant": other_user.username, "source": "users"}
        assert client.ocs("POST", room_url(public_room.token, "/participants"), data).status_code == 200
    attendee = Attendee.objects.get(room=public_room, actor_id=other_user.username)
    assert attendee.participant_type == ParticipantType.USER


def test_add_group(room, owner):
    group = GroupFactory(name="ops")
    member = UserFactory()
    member.groups.add(group)
    data = {"newParticipant": "ops", "source": "groups"}
    assert (
        OCSClient(owner.user, basic=False).ocs("POST", room_url(room.token, "/participants"), data).status_code == 200
    )
    actors = set(Attendee.objects.filter(room=room).values_list("actor_type", "actor_id"))
    assert {(ActorType.GROUPS, "ops"), (ActorType.USERS, member.username)} <= actors


def test_add_phone(room, owner):
    data = {"newParticipant": "+49 30 1234567", "source": "phones"}
    assert (
        OCSClient(owner.user, basic=False).ocs("POST", room_url(room.token, "/participants"), data).status_code == 200
    )
    attendee = Attendee.objects.get(room=room, actor_type=ActorType.PHONES)
    assert attendee.phone_number == attendee.display_name == "+49 30 1234567"
    assert len(attendee.actor_id) == 40
    entries = ocs_data(participants(OCSClient(owner.user, basic=False), room))
    assert any(e["actorType"] == "phones" and e["displayName"] == "+49 30 1234567" for e in entries)


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"newParticipant": "nobody"}, 404, "new-participant"),
        ({"newParticipant": "nogroup", "source": "groups"}, 404, "new-participant"),
        ({"newParticipant": "x", "source": "emails"}, 400, "source"),
        ({"newParticipant": "x", "source": "unknown"}, 400, "source"),
        ({"newParticipant": "x", "source": "circles"}, 400, "new-participant"),
        ({"newParticipant": "x", "source": "teams"}, 400, "new-participant"),
        ({"newParticipant": "x@remote.example", "source": "federated_users"}, 501, "federation"),
        ({"newParticipant": "call me", "source": "phones"}, 400, "new-participant"),
    ],
)
def test_add_errors(room, owner, data, status, error):
    response = OCSClient(owner.user, basic=False).ocs("POST", room_url(room.token, "/participants"), data)
    assert (response.status_code, ocs_data(response)) == (status, {"error": error})
    assert Attendee.objects.filter(room=room).count() == 1


def test_add_to_one_to_one_is_400_room_type(user, other_user):
    room = one_to_one_room(user, other_user)
    data = {"newParticipant": UserFactory().username}
    response = OCSClient(user, basic=False).ocs("POST", room_url(room.token, "/participants"), data)
    assert (response.status_code, ocs_data(response)) == (400, {"error": "room-type"})


# --- DELETE /attendees and /participants/self ---------------------------------------------


def test_remove_attendee_in_call_leaves_the_call(room, owner):
    target = AttendeeFactory(room=room)
    SessionFactory(attendee=target, joined=True)
    Room.objects.filter(pk=room.pk).update(active_since=timezone.now(), call_flag=7)
    response = OCSClient(owner.user, basic=False).ocs(
        "DELETE", room_url(room.token, "/attendees"), {"attendeeId": target.pk}
    )
    assert (response.status_code, ocs_data(response)) == (200, None)
    assert not Attendee.objects.filter(pk=target.pk).exists()
    assert Room.objects.get(pk=room.pk).active_since is None
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_LEFT, actor_id=target.actor_id).exists()


def test_remove_attendee_errors(room, owner):
    moderator = AttendeeFactory(room=room, moderator=True)
    client = OCSClient(moderator.user, basic=False)
    url = room_url(room.token, "/attendees")
    response = client.ocs("DELETE", url, {"attendeeId": owner.pk})
    assert (response.status_code, ocs_data(response)) == (403, {"error": "owner"})
    response = client.ocs("DELETE", url, {"attendeeId": AttendeeFactory().pk})
    assert (response.status_code, ocs_data(response)) == (404, {"error": "participant"})


def test_remove_attendee_in_one_to_one_is_400_room_type(user, other_user):
    room = one_to_one_room(user, other_user)
    target = Attendee.objects.get(room=room, actor_id=other_user.username)
    response = OCSClient(user, basic=False).ocs("DELETE", room_url(room.token, "/attendees"), {"attendeeId": target.pk})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "room-type"})


def test_leave_for_good(room, owner):
    user = AttendeeFactory(room=room)
    response = OCSClient(user.user, basic=False).delete(room_url(room.token, "/participants/self"))
    assert (response.status_code, ocs_data(response)) == (200, None)
    assert not Attendee.objects.filter(pk=user.pk).exists()


def test_last_moderator_cannot_leave_others(room, owner):
    AttendeeFactory(room=room)
    response = OCSClient(owner.user, basic=False).delete(room_url(room.token, "/participants/self"))
    assert (response.status_code, ocs_data(response)) == (400, {"error": "last-moderator"})


def test_last_user_leaving_deletes_the_room(room, owner):
    assert OCSClient(owner.user, basic=False).delete(room_url(room.token, "/participants/self")).status_code == 200
    assert not Room.objects.filter(pk=room.pk).exists()


def test_leave_one_to_one_keeps_room_until_partner_leaves_and_partner_is_readded(user, other_user):
    room = one_to_one_room(user, other_user)
    assert OCSClient(user, basic=False).delete(room_url(room.token, "/participants/self")).status_code == 200
    assert list(Attendee.objects.filter(room=room).values_list("actor_id", flat=True)) == [other_user.username]
    from talk_calls.services.rooms import readd_one_to_one_partners

    assert [a.actor_id for a in readd_one_to_one_partners(room)] == [user.username]
    assert Attendee.objects.get(room=room, actor_id=user.username).participant_type == ParticipantType.OWNER


def test_leave_self_anonymous_is_401(public_room):
    assert OCSClient().delete(room_url(public_room.token, "/participants/self")).status_code == 401


# --- moderators -------------------------------------------------------------------------


def test_promote_and_demote(room, owner):
    target = AttendeeFactory(room=room, permissions=int(Permission.CUSTOM))
    client = OCSClient(owner.user, basic=False)
    url = room_url(room.token, "/moderators")
    response = client.ocs("POST", url, {"attendeeId": target.pk})
    assert (response.status_code, ocs_data(response)) == (200, None)
    target.refresh_from_db()
    assert (target.participant_type, target.permissions) == (ParticipantType.MODERATOR, 0)
    assert client.ocs("POST", url, {"attendeeId": target.pk}).status_code == 400
    assert client.ocs("DELETE", url, {"attendeeId": target.pk}).status_code == 200
    target.refresh_from_db()
    assert target.participant_type == ParticipantType.USER
    assert client.ocs("DELETE", url, {"attendeeId": target.pk}).status_code == 400


def test_promote_errors(room, owner):
    client = OCSClient(owner.user, basic=False)
    url = room_url(room.token, "/moderators")
    group = AttendeeFactory(room=room, user=None, actor_type=ActorType.GROUPS, actor_id="g")
    assert (client.ocs("POST", url, {"attendeeId": group.pk}).status_code, 400) == (400, 400)
    response = client.ocs("POST", url, {"attendeeId": owner.pk})
    assert (response.status_code, ocs_data(response)) == (403, None)
    response = client.ocs("POST", url, {"attendeeId": AttendeeFactory().pk})
    assert (response.status_code, ocs_data(response)) == (404, None)
    other_owner = AttendeeFactory(room=room, owner=True)
    assert client.ocs("POST", url, {"attendeeId": other_owner.pk}).status_code == 400


# --- attendee and default permissions ---------------------------------------------------------


@pytest.mark.parametrize("param", ["method", "mode"])
def test_attendee_permissions_set_add_remove(room, owner, param):
    target = AttendeeFactory(room=room, self_joined=True)
    client = OCSClient(owner.user, basic=False)
    url = room_url(room.token, "/attendees/permissions")
    response = client.ocs("PUT", url, {"attendeeId": target.pk, param: "set", "permissions": int(Permission.CALL_JOIN)})
    assert response.status_code == 200
    [entry] = ocs_data(response)
    assert entry["attendeeId"] == target.pk
    assert entry["attendeePermissions"] == Permission.CALL_JOIN | Permission.CUSTOM
    assert entry["participantType"] == ParticipantType.USER
    data = {"attendeeId": target.pk, param: "add", "permissions": int(Permission.CHAT)}
    [entry] = ocs_data(client.ocs("PUT", url, data))
    assert entry["permissions"] == Permission.CALL_JOIN | Permission.CHAT | Permission.CUSTOM
    data = {"attendeeId": target.pk, param: "remove", "permissions": int(Permission.CALL_JOIN)}
    [entry] = ocs_data(client.ocs("PUT", url, data))
    assert entry["permissions"] == Permission.CHAT | Permission.CUSTOM


def test_attendee_permissions_add_starts_from_inherited(room, owner):
    target = AttendeeFactory(room=room)
    data = {"attendeeId": target.pk, "method": "remove", "permissions": int(Permission.CALL_START)}
    [entry] = ocs_data(
        OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token, "/attendees/permissions"), data)
    )
    assert entry["permissions"] == (246 & ~Permission.CALL_START) | Permission.CUSTOM


def test_attendee_permissions_errors(room, owner):
    client = OCSClient(owner.user, basic=False)
    url = room_url(room.token, "/attendees/permissions")
    user = AttendeeFactory(room=room)
    group = AttendeeFactory(room=room, user=None, actor_type=ActorType.GROUPS, actor_id="g")
    cases = [
        ({"attendeeId": AttendeeFactory().pk, "method": "set", "permissions": 1}, 404, "participant"),
        ({"attendeeId": owner.pk, "method": "set", "permissions": 1}, 403, "moderator"),
        ({"attendeeId": group.pk, "method": "set", "permissions": 1}, 400, "type"),
        ({"attendeeId": user.pk, "method": "toggle", "permissions": 1}, 400, "method"),
        ({"attendeeId": user.pk, "method": "set", "permissions": 256}, 400, "value"),
        ({"attendeeId": user.pk, "method": "set"}, 400, "value"),
    ]
    for data, status, error in cases:
        response = client.ocs("PUT", url, data)
        assert (response.status_code, ocs_data(response)) == (status, {"error": error}), data


def test_attendee_permissions_in_one_to_one_is_400_room_type(user, other_user):
    room = one_to_one_room(user, other_user)
    target = Attendee.objects.get(room=room, actor_id=other_user.username)
    data = {"attendeeId": target.pk, "method": "set", "permissions": 1}
    response = OCSClient(user, basic=False).ocs("PUT", room_url(room.token, "/attendees/permissions"), data)
    assert (response.status_code, ocs_data(response)) == (400, {"error": "room-type"})


def test_default_permissions_resets_attendees(room, owner):
    target = AttendeeFactory(room=room, permissions=int(Permission.CUSTOM))
    value = int(Permission.CALL_JOIN | Permission.PUBLISH_AUDIO)
    response = OCSClient(owner.user, basic=False).ocs(
        "PUT", room_url(room.token, "/permissions/default"), {"permissions": value}
    )
    assert response.status_code == 200
    assert ocs_data(response)["defaultPermissions"] == value | Permission.CUSTOM
    target.refresh_from_db()
    assert target.permissions == 0
    entries = {e["attendeeId"]: e for e in ocs_data(participants(OCSClient(owner.user, basic=False), room))}
    assert entries[target.pk]["permissions"] == value | Permission.CUSTOM


def test_default_permissions_errors(room, owner, user, other_user):
    client = OCSClient(owner.user, basic=False)
    response = client.ocs("PUT", room_url(room.token, "/permissions/call"), {"permissions": 1})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "mode"})
    response = client.ocs("PUT", room_url(room.token, "/permissions/default"), {"permissions": 300})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "value"})
    one = one_to_one_room(user, other_user)
    response = OCSClient(user, basic=False).ocs("PUT", room_url(one.token, "/permissions/default"), {"permissions": 1})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


def test_all_attendees_permissions_is_a_deprecated_400(room, owner):
    response = OCSClient(owner.user, basic=False).ocs(
        "PUT", room_url(room.token, "/attendees/permissions/all"), {"permissions": 1}
    )
    assert (response.status_code, ocs_data(response)) == (400, None)
    user = AttendeeFactory(room=room)
    assert (
        OCSClient(user.user, basic=False).ocs("PUT", room_url(room.token, "/attendees/permissions/all")).status_code
        == 403
    )


def test_removing_oneself_through_attendees_is_leaving(room, owner):
    AttendeeFactory(room=room)
    url = room_url(room.token, "/attendees")
    response = OCSClient(owner.user, basic=False).ocs("DELETE", url, {"attendeeId": owner.pk})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "last-moderator"})
    moderator = AttendeeFactory(room=room, moderator=True)
    assert OCSClient(moderator.user, basic=False).ocs("DELETE", url, {"attendeeId": moderator.pk}).status_code == 200
    assert not Attendee.objects.filter(pk=moderator.pk).exists()
