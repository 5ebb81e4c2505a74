"""Room settings: lobby, read-only, listable, public, password, recording consent, SIP,
session state and guest names."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from talk_calls.constants import CallEventKind, InCallFlag, ParticipantType, Permission, RoomType
from talk_calls.models import Attendee, CallEvent, Room, Session
from tests.factories import AttendeeFactory, UserFactory, one_to_one_room
from tests.helpers import OCSClient, call_url, clients_in_call, ocs_data, room_url

pytestmark = pytest.mark.django_db


def peers(client, room):
    return sorted(p["actorId"] for p in ocs_data(client.get(call_url(room.token))))


# --- lobby ---------------------------------------------------------------------------


def test_enabling_lobby_kicks_non_moderators_out_of_the_call(room, owner):
    moderator = AttendeeFactory(room=room, moderator=True)
    user = AttendeeFactory(room=room)
    ignoring = AttendeeFactory(room=room, permissions=int(Permission.CUSTOM | Permission.LOBBY_IGNORE | 6))
    owner_client, *_ = clients_in_call(room, owner, moderator, user, ignoring)
    response = owner_client.ocs("PUT", room_url(room.token, "/webinar/lobby"), {"state": 1})
    assert response.status_code == 200
    assert ocs_data(response)["lobbyState"] == 1
    assert peers(owner_client, room) == sorted([owner.actor_id, moderator.actor_id])
    assert Session.objects.get(attendee=user).in_call == InCallFlag.DISCONNECTED
    assert Session.objects.get(attendee=ignoring).in_call == InCallFlag.DISCONNECTED
    assert Room.objects.get(pk=room.pk).active_since is not None
    left = CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_LEFT)
    assert sorted(left.values_list("actor_id", flat=True)) == sorted([user.actor_id, ignoring.actor_id])
    assert OCSClient(user.user, basic=False).get(room_url(room.token, "/participants")).status_code == 412


def test_enabling_lobby_ends_call_when_only_non_moderators_were_in_it(room, owner):
    user = AttendeeFactory(room=room)
    clients_in_call(room, user)
    OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token, "/webinar/lobby"), {"state": 1})
    assert Room.objects.get(pk=room.pk).active_since is None
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_ENDED).exists()


def test_lobby_timer_is_stored_and_shown(room, owner):
    timer = int((timezone.now() + timedelta(hours=1)).timestamp())
    data = {"state": 1, "timer": timer}
    response = OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token, "/webinar/lobby"), data)
    assert ocs_data(response)["lobbyTimer"] == timer
    assert Room.objects.get(pk=room.pk).lobby_timer.timestamp() == timer


def test_expired_lobby_timer_opens_the_lobby_lazily(room, owner):
    user = AttendeeFactory(room=room)
    Room.objects.filter(pk=room.pk).update(lobby_state=1, lobby_timer=timezone.now() + timedelta(minutes=5))
    client = OCSClient(user.user, basic=False)
    assert client.get(room_url(room.token, "/participants")).status_code == 412
    assert ocs_data(client.get(room_url(room.token)))["lobbyState"] == 1
    # The clock moves past the timer: set it a second in the past.
    Room.objects.filter(pk=room.pk).update(lobby_timer=timezone.now() - timedelta(seconds=1))
    data = ocs_data(client.get(room_url(room.token)))
    assert (data["lobbyState"], data["lobbyTimer"]) == (0, 0)
    assert client.get(room_url(room.token, "/participants")).status_code == 200
    # Reads only count the expired timer as open; the next write of the room stores it.
    assert Room.objects.get(pk=room.pk).lobby_state == 1
    renamed = OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token), {"roomName": "Renamed"})
    assert renamed.status_code == 200
    assert Room.objects.values_list("lobby_state", "lobby_timer").get(pk=room.pk) == (0, None)


def test_expired_lobby_timer_is_stored_by_the_periodic_command(room, owner):
    Room.objects.filter(pk=room.pk).update(lobby_state=1, lobby_timer=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("talk_calls_expire_sessions", stdout=out)
    assert "Opened 1 lobby" in out.getvalue()
    assert Room.objects.values_list("lobby_state", "lobby_timer").get(pk=room.pk) == (0, None)


def test_expired_lobby_timer_opens_the_lobby_in_the_room_list(room, owner):
    Room.objects.filter(pk=room.pk).update(lobby_state=1, lobby_timer=timezone.now() - timedelta(seconds=1))
    [data] = ocs_data(OCSClient(owner.user, basic=False).get("/ocs/v2.php/apps/spreed/api/v4/room"))
    assert data["lobbyState"] == 0


@pytest.mark.parametrize(
    ("data", "error"), [({"state": 2}, "value"), ({}, "value"), ({"state": 1, "timer": -1}, "value")]
)
def test_lobby_errors(room, owner, data, error):
    response = OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token, "/webinar/lobby"), data)
    assert (response.status_code, ocs_data(response)["error"]) == (400, error)


def test_lobby_in_one_to_one_is_400_type(user, other_user):
    room = one_to_one_room(user, other_user)
    response = OCSClient(user, basic=False).ocs("PUT", room_url(room.token, "/webinar/lobby"), {"state": 1})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


# --- read-only -----------------------------------------------------------------------


def test_read_only_ends_everyones_call(room, owner):
    user = AttendeeFactory(room=room)
    owner_client, _ = clients_in_call(room, owner, user)
    response = owner_client.ocs("PUT", room_url(room.token, "/read-only"), {"state": 1})
    assert response.status_code == 200
    assert ocs_data(response)["readOnly"] == 1 and ocs_data(response)["hasCall"] is False
    assert Room.objects.get(pk=room.pk).active_since is None
    assert not Session.objects.filter(room=room).exclude(in_call=0).exists()
    assert CallEvent.objects.filter(room=room, kind=CallEventKind.CALL_ENDED_EVERYONE).count() == 1
    assert owner_client.get(call_url(room.token)).status_code == 403
    response = owner_client.ocs("PUT", room_url(room.token, "/read-only"), {"state": 0})
    assert ocs_data(response)["readOnly"] == 0


def test_read_only_errors(room, owner, user, other_user):
    response = OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token, "/read-only"), {"state": 5})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "value"})
    one = one_to_one_room(user, other_user)
    response = OCSClient(user, basic=False).ocs("PUT", room_url(one.token, "/read-only"), {"state": 1})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})
    # Like the reference, asking for the current state is a no-op that succeeds.
    response = OCSClient(user, basic=False).ocs("PUT", room_url(one.token, "/read-only"), {"state": 0})
    assert (response.status_code, ocs_data(response)["readOnly"]) == (200, 0)


# --- listable, public, password ---------------------------------------------------------


def test_listable(room, owner):
    client = OCSClient(owner.user, basic=False)
    response = client.ocs("PUT", room_url(room.token, "/listable"), {"scope": 2})
    assert (response.status_code, ocs_data(response)["listable"]) == (200, 2)
    outsider = UserFactory()
    assert OCSClient(outsider, basic=False).get(room_url(room.token)).status_code == 200
    response = client.ocs("PUT", room_url(room.token, "/listable"), {"scope": 3})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "value"})


def test_listable_one_to_one_is_400_type(user, other_user):
    room = one_to_one_room(user, other_user)
    response = OCSClient(user, basic=False).ocs("PUT", room_url(room.token, "/listable"), {"scope": 1})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


def test_make_public_then_private_removes_guests_and_self_joined(room, owner):
    client = OCSClient(owner.user, basic=False)
    response = client.ocs("POST", room_url(room.token, "/public"), {"password": "pw-123456"})
    assert response.status_code == 200
    assert (ocs_data(response)["type"], ocs_data(response)["hasPassword"]) == (RoomType.PUBLIC, True)
    guest = OCSClient()
    assert guest.join_room(room.token, password="pw-123456").status_code == 200
    self_joined = AttendeeFactory(room=room, self_joined=True)
    user = AttendeeFactory(room=room)
    response = client.delete(room_url(room.token, "/public"))
    assert (response.status_code, ocs_data(response)["type"]) == (200, RoomType.GROUP)
    remaining = set(Attendee.objects.filter(room=room).values_list("pk", flat=True))
    assert remaining == {owner.pk, user.pk}
    assert self_joined.pk not in remaining


def test_public_errors(user, other_user):
    room = one_to_one_room(user, other_user)
    client = OCSClient(user, basic=False)
    for method in ("POST", "DELETE"):
        response = client.ocs(method, room_url(room.token, "/public"))
        assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


def test_password(public_room):
    owner = AttendeeFactory(room=public_room, owner=True)
    client = OCSClient(owner.user, basic=False)
    response = client.ocs("PUT", room_url(public_room.token, "/password"), {"password": "s3cret-pw"})
    assert (response.status_code, ocs_data(response)["hasPassword"]) == (200, True)
    assert OCSClient().join_room(public_room.token, password="wrong").status_code == 403
    assert OCSClient().join_room(public_room.token, password="s3cret-pw").status_code == 200
    response = client.ocs("PUT", room_url(public_room.token, "/password"), {"password": ""})
    assert ocs_data(response)["hasPassword"] is False


def test_password_on_group_room_is_400_type(room, owner):
    response = OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token, "/password"), {"password": "x"})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


# --- recording consent, SIP ---------------------------------------------------------------


def test_recording_consent_needs_configuration(room, owner):
    response = OCSClient(owner.user, basic=False).ocs(
        "PUT", room_url(room.token, "/recording-consent"), {"recordingConsent": 1}
    )
    assert (response.status_code, ocs_data(response)) == (412, {"error": "config"})


@override_settings(TALK_CALLS={"RECORDING_CONSENT": 2})
def test_recording_consent(room, owner):
    client = OCSClient(owner.user, basic=False)
    url = room_url(room.token, "/recording-consent")
    response = client.ocs("PUT", url, {"recordingConsent": 1})
    assert (response.status_code, ocs_data(response)["recordingConsent"]) == (200, 1)
    response = client.ocs("PUT", url, {"recordingConsent": 3})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "value"})
    client.ocs("PUT", url, {"recordingConsent": 0})
    clients_in_call(room, AttendeeFactory(room=room))
    response = client.ocs("PUT", url, {"recordingConsent": 1})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "call"})


def test_sip_is_not_configured(public_room):
    owner = AttendeeFactory(room=public_room, owner=True)
    response = OCSClient(owner.user, basic=False).ocs("PUT", room_url(public_room.token, "/webinar/sip"), {"state": 1})
    assert (response.status_code, ocs_data(response)) == (412, {"error": "config"})
    guest = OCSClient()
    guest.join_room(public_room.token)
    Attendee.objects.filter(room=public_room, actor_type="guests").update(
        participant_type=ParticipantType.GUEST_MODERATOR
    )
    response = guest.ocs("PUT", room_url(public_room.token, "/webinar/sip"), {"state": 1})
    assert (response.status_code, ocs_data(response)) == (401, {"error": "config"})


# --- session state, guest name --------------------------------------------------------


def test_session_state(room, owner):
    client = OCSClient(owner.user, basic=False)
    url = room_url(room.token, "/participants/state")
    response = client.ocs("PUT", url, {"state": 0})
    assert (response.status_code, ocs_data(response)) == (404, None)
    client.join_room(room.token)
    response = client.ocs("PUT", url, {"state": 0})
    assert response.status_code == 200 and ocs_data(response)["token"] == room.token
    assert Session.objects.get(attendee=owner).state == 0
    response = client.ocs("PUT", url, {"state": 2})
    assert (response.status_code, ocs_data(response)) == (400, None)


def test_guest_name(public_room, user):
    AttendeeFactory(room=public_room, owner=True)
    guest = OCSClient()
    guest.join_room(public_room.token)
    url = f"/ocs/v2.php/apps/spreed/api/v1/guest/{public_room.token}/name"
    response = guest.ocs("POST", url, {"displayName": " Ada "})
    assert (response.status_code, ocs_data(response)) == (200, None)
    assert Attendee.objects.get(room=public_room, actor_type="guests").display_name == "Ada"
    AttendeeFactory(room=public_room, user=user)
    response = OCSClient(user, basic=False).ocs("POST", url, {"displayName": "x"})
    assert (response.status_code, ocs_data(response)) == (403, None)
    assert OCSClient().ocs("POST", url, {"displayName": "x"}).status_code == 404


def test_former_one_to_one_may_only_be_made_read_only(user, other_user):
    room = one_to_one_room(user, other_user)
    Room.objects.filter(pk=room.pk).update(type=RoomType.FORMER_ONE_TO_ONE)
    client = OCSClient(user, basic=False)
    assert client.ocs("PUT", room_url(room.token, "/read-only"), {"state": 1}).status_code == 200
    response = client.ocs("PUT", room_url(room.token, "/read-only"), {"state": 0})
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


def test_lobby_kick_announces_the_left_call_after_commit(room, owner, django_capture_on_commit_callbacks):
    from talk_calls import signals

    user = AttendeeFactory(room=room)
    clients_in_call(room, owner, user)
    left = []

    def receiver(sender, attendee, **kwargs):
        left.append(attendee.pk)

    signals.participant_left_call.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            OCSClient(owner.user, basic=False).ocs("PUT", room_url(room.token, "/webinar/lobby"), {"state": 1})
    finally:
        signals.participant_left_call.disconnect(receiver)
    assert left == [user.pk]
