"""Joining, updating and leaving a call: what a client and the room show (reference 3.1-3.4, 3.9)."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from talk_calls.constants import (
    DEFAULT_JOIN_FLAGS,
    CallEventKind,
    InCallFlag,
    ParticipantType,
    Permission,
    RecordingConsent,
    RoomType,
    StartCalls,
)
from talk_calls.models import Attendee, CallEvent, Room, Session
from talk_calls.models import RecordingConsent as ConsentRow
from tests.factories import AttendeeFactory, GroupFactory, RoomFactory, SessionFactory, UserFactory
from tests.helpers import call_url, guest_in_room, in_call, in_room, ocs_data, ocs_meta, user_client

pytestmark = pytest.mark.django_db

AUDIO = InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO
VIDEO = InCallFlag.IN_CALL | InCallFlag.WITH_VIDEO


def events(room):
    return list(CallEvent.objects.filter(room=room).order_by("id"))


def kinds(room):
    return [event.kind for event in events(room)]


def fresh_room(room):
    return Room.objects.get(pk=room.pk)


# --- flags -------------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [-1, 16, "abc", True, "1.5", [1]])
def test_join_with_flags_outside_0_to_15_is_400_flags(room, flags):
    client, attendee = in_room(room)
    response = client.ocs("POST", call_url(room.token), {"flags": flags})
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "flags"
    assert attendee.sessions.get().in_call == InCallFlag.DISCONNECTED


@pytest.mark.parametrize("flags", [InCallFlag.DISCONNECTED, InCallFlag.WITH_AUDIO, InCallFlag.WITH_VIDEO])
def test_join_without_in_call_flag_is_400_flags(room, flags):
    client, attendee = in_room(room)
    response = client.ocs("POST", call_url(room.token), {"flags": int(flags)})
    assert response.status_code == 400
    assert ocs_data(response)["error"] == "flags"
    assert fresh_room(room).active_since is None


def test_join_accepts_flags_as_a_form_field_numeric_string(room):
    client, attendee = in_room(room)
    response = client.ocs("POST", call_url(room.token), {"flags": str(int(AUDIO))}, json=False)
    assert response.status_code == 200
    assert attendee.sessions.get().in_call == AUDIO


def test_audio_and_video_are_masked_by_publish_permissions_but_the_room_flag_is_not(room):
    client, attendee = in_room(room, permissions=int(Permission.CUSTOM | Permission.CALL_START))
    assert client.ocs("POST", call_url(room.token)).status_code == 200
    assert attendee.sessions.get().in_call == InCallFlag.IN_CALL
    assert fresh_room(room).call_flag == DEFAULT_JOIN_FLAGS


def test_only_video_masked_when_only_audio_may_be_published(room):
    client, attendee = in_room(
        room, permissions=int(Permission.CUSTOM | Permission.CALL_START | Permission.PUBLISH_AUDIO)
    )
    assert client.ocs("POST", call_url(room.token)).status_code == 200
    assert attendee.sessions.get().in_call == AUDIO


def test_room_call_flag_is_the_or_of_join_and_put_flags(room):
    """Deliberate deviation (issue 11): PUT ORs into the room flag too, so ``callFlag`` covers
    every in-call session (the reference leaves it, a FIXME there)."""
    first, _ = in_call(room, flags=AUDIO)
    assert fresh_room(room).call_flag == AUDIO
    in_call(room, flags=VIDEO)
    assert fresh_room(room).call_flag == AUDIO | VIDEO
    first.ocs("PUT", call_url(room.token), {"flags": int(AUDIO | InCallFlag.WITH_PHONE)})
    assert fresh_room(room).call_flag == AUDIO | VIDEO | InCallFlag.WITH_PHONE


def test_put_masks_flags_too(room):
    client, attendee = in_call(
        room, flags=InCallFlag.IN_CALL, permissions=int(Permission.CUSTOM | Permission.CALL_START)
    )
    assert client.ocs("PUT", call_url(room.token), {"flags": int(DEFAULT_JOIN_FLAGS)}).status_code == 200
    assert attendee.sessions.get().in_call == InCallFlag.IN_CALL


def test_put_flags_is_required(room):
    client, _ = in_call(room)
    response = client.ocs("PUT", call_url(room.token), {})
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "flags"}
    assert ocs_meta(response)["message"] == "flags is required"


def test_join_twice_works_like_a_flag_update(room):
    client, attendee = in_call(room)
    assert client.ocs("POST", call_url(room.token), {"flags": int(AUDIO)}).status_code == 200
    assert attendee.sessions.get().in_call == AUDIO
    assert kinds(room) == [CallEventKind.CALL_STARTED]


# --- call start, who started, history ----------------------------------------------------


def test_first_joiner_starts_the_call_and_is_recorded_as_starter(room):
    _, alice = in_call(room)
    _, bob = in_call(room)
    room = fresh_room(room)
    assert room.active_since is not None
    assert room.call_started_by_id == alice.pk
    started, joined = events(room)
    assert (started.kind, started.actor_id) == (CallEventKind.CALL_STARTED, alice.actor_id)
    assert (joined.kind, joined.actor_id) == (CallEventKind.CALL_JOINED, bob.actor_id)


def test_last_fresh_participant_leaving_ends_the_call_with_users_guests_and_duration(public_room):
    alice_client, alice = in_call(public_room)
    guest_client, _ = guest_in_room(public_room)
    assert guest_client.ocs("POST", call_url(public_room.token)).status_code == 200
    Room.objects.filter(pk=public_room.pk).update(active_since=timezone.now() - timedelta(seconds=90))
    assert guest_client.ocs("DELETE", call_url(public_room.token)).status_code == 200
    assert fresh_room(public_room).active_since is not None
    assert alice_client.ocs("DELETE", call_url(public_room.token)).status_code == 200
    room = fresh_room(public_room)
    assert room.active_since is None and room.call_flag == 0
    ended = events(room)[-1]
    assert ended.kind == CallEventKind.CALL_ENDED
    assert ended.actor_id == alice.actor_id
    assert ended.parameters["users"] == [alice.actor_id]
    assert ended.parameters["guests"] == 1
    assert 89 <= ended.parameters["duration"] <= 95


def test_a_stale_peer_does_not_keep_the_call_alive(room):
    client, _ = in_call(room)
    SessionFactory(attendee=AttendeeFactory(room=room), joined=True, not_fresh=True)
    assert client.ocs("DELETE", call_url(room.token)).status_code == 200
    assert fresh_room(room).active_since is None
    assert kinds(room)[-1] == CallEventKind.CALL_ENDED


def test_one_to_one_call_nobody_answered_is_a_missed_call(room):
    alice, bob = UserFactory(), UserFactory()
    one = RoomFactory(one_to_one=True, name=json.dumps(sorted([alice.username, bob.username])))
    AttendeeFactory(room=one, user=bob, owner=True)
    client, _ = in_call(one, user=alice, owner=True)
    client.ocs("DELETE", call_url(one.token))
    assert kinds(one)[-1] == CallEventKind.CALL_MISSED


def test_silent_call_records_a_silent_start(room):
    client, _ = in_room(room)
    client.ocs("POST", call_url(room.token), {"silent": True})
    assert events(room)[0].parameters == {"silent": True}


def test_join_without_a_running_call_after_all_left_starts_a_new_call(room):
    client, _ = in_call(room)
    client.ocs("DELETE", call_url(room.token))
    client.ocs("POST", call_url(room.token))
    assert kinds(room) == [
        CallEventKind.CALL_STARTED,
        CallEventKind.CALL_LEFT,
        CallEventKind.CALL_ENDED,
        CallEventKind.CALL_STARTED,
    ]


def test_joining_a_call_left_behind_by_stale_sessions_starts_a_new_one(room):
    Room.objects.filter(pk=room.pk).update(active_since=timezone.now() - timedelta(hours=1), call_flag=7)
    SessionFactory(attendee=AttendeeFactory(room=room), joined=True, not_fresh=True)
    _, attendee = in_call(room)
    assert kinds(room) == [CallEventKind.CALL_ENDED, CallEventKind.CALL_STARTED]
    assert fresh_room(room).call_started_by_id == attendee.pk


# --- end for everyone --------------------------------------------------------------------


def test_moderator_ends_the_call_for_everyone(room):
    moderator_client, moderator = in_call(room, moderator=True)
    others = [in_call(room)[1] for _ in range(3)]
    response = moderator_client.ocs("DELETE", call_url(room.token), {"all": True})
    assert response.status_code == 200
    assert not Session.objects.filter(room=room).exclude(in_call=0).exists()
    room = fresh_room(room)
    assert room.active_since is None and room.call_flag == 0
    last = events(room)[-1]
    assert last.kind == CallEventKind.CALL_ENDED_EVERYONE
    assert last.actor_id == moderator.actor_id
    assert sorted(last.parameters["users"]) == sorted([moderator.actor_id] + [a.actor_id for a in others])
    assert CallEventKind.CALL_LEFT not in kinds(room)


def test_all_as_query_string_on_delete_like_android(room):
    moderator_client, _ = in_call(room, moderator=True)
    in_call(room)
    assert moderator_client.delete(call_url(room.token) + "?all=true").status_code == 200
    assert kinds(room)[-1] == CallEventKind.CALL_ENDED_EVERYONE


def test_non_moderator_asking_to_end_for_everyone_just_leaves(room):
    in_call(room, moderator=True)
    client, attendee = in_call(room)
    assert client.ocs("DELETE", call_url(room.token), {"all": True}).status_code == 200
    assert attendee.sessions.get().in_call == InCallFlag.DISCONNECTED
    assert fresh_room(room).active_since is not None
    assert kinds(room)[-1] == CallEventKind.CALL_LEFT


# --- GET /call ---------------------------------------------------------------------------


def test_get_lists_fresh_in_call_sessions_with_the_reference_fields(public_room):
    client, alice = in_call(public_room)
    guest_client, guest = guest_in_room(public_room)
    guest_client.ocs("POST", call_url(public_room.token))
    in_room(public_room)  # in the room, not in the call
    SessionFactory(attendee=AttendeeFactory(room=public_room), joined=True, not_fresh=True)
    peers = ocs_data(client.get(call_url(public_room.token)))
    assert {peer["actorId"] for peer in peers} == {alice.actor_id, guest.actor_id}
    for peer in peers:
        assert set(peer) == {"actorType", "actorId", "displayName", "token", "lastPing", "sessionId"}
        assert peer["token"] == public_room.token
        assert isinstance(peer["lastPing"], int)
    by_type = {peer["actorType"]: peer for peer in peers}
    assert by_type["users"]["displayName"] == alice.display_name
    assert by_type["guests"]["displayName"] == ""
    assert by_type["users"]["sessionId"] == alice.sessions.get().session_id


def test_get_falls_back_to_the_user_name_when_no_display_name_is_stored(room):
    client, alice = in_call(room)
    Attendee.objects.filter(pk=alice.pk).update(display_name="")
    peer = ocs_data(client.get(call_url(room.token)))[0]
    assert peer["displayName"] == (alice.user.get_full_name() or alice.user.username)


# --- recording consent -------------------------------------------------------------------


@override_settings(TALK_CALLS={"RECORDING_CONSENT": RecordingConsent.REQUIRED})
def test_consent_required_stores_one_row_per_consenting_join(room):
    client, attendee = in_room(room)
    assert client.ocs("POST", call_url(room.token), {"recordingConsent": True}).status_code == 200
    client.ocs("DELETE", call_url(room.token))
    assert client.ocs("POST", call_url(room.token), {"recordingConsent": "true"}, json=False).status_code == 200
    rows = ConsentRow.objects.filter(room=room)
    assert rows.count() == 2
    assert {(r.actor_type, r.actor_id) for r in rows} == {(attendee.actor_type, attendee.actor_id)}


@override_settings(TALK_CALLS={"RECORDING_CONSENT": RecordingConsent.OPTIONAL})
def test_consent_per_conversation_follows_the_room_flag(room):
    client, _ = in_room(room)
    assert client.ocs("POST", call_url(room.token)).status_code == 200
    client.ocs("DELETE", call_url(room.token))
    Room.objects.filter(pk=room.pk).update(recording_consent=RecordingConsent.REQUIRED)
    response = client.ocs("POST", call_url(room.token))
    assert (response.status_code, ocs_data(response)) == (400, {"error": "consent"})
    assert client.ocs("POST", call_url(room.token), {"recordingConsent": True}).status_code == 200
    assert ConsentRow.objects.filter(room=room).count() == 1


def test_consent_is_not_stored_while_not_configured(room):
    client, _ = in_room(room)
    assert client.ocs("POST", call_url(room.token), {"recordingConsent": True}).status_code == 200
    assert not ConsentRow.objects.exists()


# --- who may start a call (reference 3.9) ------------------------------------------------


def assert_cannot_start_but_can_join(room, client):
    response = client.ocs("POST", call_url(room.token))
    assert (response.status_code, ocs_data(response)) == (403, [])
    assert fresh_room(room).active_since is None
    assert not CallEvent.objects.filter(room=room).exists()
    in_call(room, owner=True)
    assert client.ocs("POST", call_url(room.token)).status_code == 200


def test_without_the_start_call_permission_one_can_join_but_not_start(room):
    client, _ = in_room(room, permissions=int(Permission.CUSTOM | Permission.PUBLISH_AUDIO))
    assert_cannot_start_but_can_join(room, client)


@override_settings(TALK_CALLS={"START_CALLS": StartCalls.USERS})
def test_start_calls_users_only_keeps_guests_from_starting(public_room):
    client, _ = guest_in_room(public_room)
    assert_cannot_start_but_can_join(public_room, client)


@override_settings(TALK_CALLS={"START_CALLS": StartCalls.USERS})
def test_start_calls_users_only_lets_guest_moderators_start(public_room):
    client, guest = guest_in_room(public_room)
    Attendee.objects.filter(pk=guest.pk).update(participant_type=ParticipantType.GUEST_MODERATOR)
    assert client.ocs("POST", call_url(public_room.token)).status_code == 200


@override_settings(TALK_CALLS={"START_CALLS": StartCalls.MODERATORS})
def test_start_calls_moderators_only(room):
    client, _ = in_room(room)
    assert_cannot_start_but_can_join(room, client)


def test_start_calls_groups_limit_who_starts(room, settings):
    group = GroupFactory()
    settings.TALK_CALLS = {"START_CALLS_GROUPS": [group.name]}
    client, _ = in_room(room)
    response = client.ocs("POST", call_url(room.token))
    assert response.status_code == 403
    member_client, member = in_room(room)
    member.user.groups.add(group)
    assert member_client.ocs("POST", call_url(room.token)).status_code == 200
    assert client.ocs("POST", call_url(room.token)).status_code == 200


def test_note_to_self_has_no_calls(db):
    room = RoomFactory(type=RoomType.NOTE_TO_SELF)
    client, _ = in_room(room, owner=True)
    response = client.ocs("POST", call_url(room.token))
    assert (response.status_code, ocs_data(response)) == (400, {"error": "type"})


# --- one-to-one --------------------------------------------------------------------------


def test_joining_a_one_to_one_call_re_adds_the_partner_who_left(db):
    alice, bob = UserFactory(), UserFactory()
    room = RoomFactory(one_to_one=True, name=json.dumps(sorted([alice.username, bob.username])))
    client = user_client(alice)
    AttendeeFactory(room=room, user=alice, owner=True)
    assert client.join_room(room.token).status_code == 200
    assert client.ocs("POST", call_url(room.token)).status_code == 200
    partner = Attendee.objects.get(room=room, actor_id=bob.username)
    assert partner.participant_type == ParticipantType.OWNER
    assert partner.user == bob


def test_one_to_one_call_both_attended_is_an_ended_call_not_a_missed_one(db):
    alice, bob = UserFactory(), UserFactory()
    one = RoomFactory(one_to_one=True, name=json.dumps(sorted([alice.username, bob.username])))
    alice_client, _ = in_call(one, user=alice, owner=True)
    bob_client = user_client(bob)  # re-added by alice's join
    bob_client.join_room(one.token)
    bob_client.ocs("POST", call_url(one.token))
    bob_client.ocs("DELETE", call_url(one.token))
    alice_client.ocs("DELETE", call_url(one.token))
    ended = events(one)[-1]
    assert ended.kind == CallEventKind.CALL_ENDED
    assert ended.parameters["users"] == sorted([alice.username, bob.username])
