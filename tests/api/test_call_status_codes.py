"""One test per status-code row of call-api.md, named after the row.

Failed checks answer ``data: []`` (the reference's middleware); the endpoints' own
errors answer ``data: null`` or ``{"error": ...}`` (talk-reference.md section 2.3).
"""

import pytest
from django.test import override_settings

from talk_calls.constants import InCallFlag, LobbyState, ParticipantType, Permission, ReadOnly, RecordingConsent
from talk_calls.models import Attendee, CallNotification, Room
from tests.factories import AttendeeFactory, PhoneAttendeeFactory, RoomFactory, UserFactory
from tests.helpers import call_url, guest_in_room, in_call, in_room, ocs_data, ocs_meta, user_client

pytestmark = pytest.mark.django_db

CONSOLE_BACKEND = {"SIP_DIALOUT_BACKEND": "talk_calls.sip.ConsoleDialOutBackend"}


def set_read_only(room):
    Room.objects.filter(pk=room.pk).update(read_only=ReadOnly.READ_ONLY)


def set_lobby(room):
    Room.objects.filter(pk=room.pk).update(lobby_state=LobbyState.NON_MODERATORS)


def assert_check_failed(response, status):
    assert response.status_code == status, response.content
    assert ocs_data(response) == []
    assert ocs_meta(response)["statuscode"] == status


def not_a_participant_client():
    return user_client(UserFactory())


# --- GET /call/{token} -------------------------------------------------------------------


def test_get_200_ok(room):
    client, attendee = in_call(room)
    response = client.get(call_url(room.token))
    assert response.status_code == 200
    assert [peer["actorId"] for peer in ocs_data(response)] == [attendee.actor_id]


def test_get_403_when_the_conversation_is_read_only(room):
    client, _ = in_room(room)
    set_read_only(room)
    assert_check_failed(client.get(call_url(room.token)), 403)


def test_get_404_when_the_conversation_could_not_be_found_for_the_participant(room):
    assert_check_failed(not_a_participant_client().get(call_url(room.token)), 404)
    client, _ = in_room(room)
    assert_check_failed(client.get(call_url("nosuchroom")), 404)


def test_get_412_when_the_lobby_is_active_and_the_user_is_not_a_moderator(room):
    client, _ = in_room(room)
    set_lobby(room)
    assert_check_failed(client.get(call_url(room.token)), 412)


# --- POST /call/{token} ------------------------------------------------------------------


def test_join_200_ok(room):
    client, attendee = in_room(room)
    response = client.ocs("POST", call_url(room.token))
    assert response.status_code == 200
    assert ocs_data(response) is None
    assert attendee.sessions.get().in_call == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO


@override_settings(TALK_CALLS={"RECORDING_CONSENT": RecordingConsent.REQUIRED})
def test_join_400_when_recording_consent_is_required_but_was_not_given(room):
    client, attendee = in_room(room)
    response = client.ocs("POST", call_url(room.token))
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "consent"}
    assert attendee.sessions.get().in_call == InCallFlag.DISCONNECTED


def test_join_403_when_the_conversation_is_read_only(room):
    client, _ = in_room(room)
    set_read_only(room)
    assert_check_failed(client.ocs("POST", call_url(room.token)), 403)


def test_join_404_when_the_conversation_could_not_be_found_for_the_participant(room):
    assert_check_failed(not_a_participant_client().ocs("POST", call_url(room.token)), 404)


def test_join_404_when_the_user_did_not_join_the_conversation_before(room):
    attendee = AttendeeFactory(room=room)
    response = user_client(attendee.user).ocs("POST", call_url(room.token))
    assert response.status_code == 404
    assert ocs_data(response) is None


def test_join_412_when_the_lobby_is_active_and_the_user_is_not_a_moderator(room):
    client, _ = in_room(room)
    set_lobby(room)
    assert_check_failed(client.ocs("POST", call_url(room.token)), 412)


# --- POST /call/{token}/ring/{attendeeId} ------------------------------------------------


def ring_url(room, attendee_id):
    return call_url(room.token, f"/ring/{attendee_id}")


def test_ring_200_ok(room):
    client, _ = in_call(room, owner=True)
    target = AttendeeFactory(room=room)
    response = client.ocs("POST", ring_url(room, target.pk))
    assert response.status_code == 200
    assert ocs_data(response) is None
    assert CallNotification.objects.filter(attendee=target, processed_at__isnull=True).count() == 1


def test_ring_400_when_the_target_participant_is_not_a_user(public_room):
    client, _ = in_call(public_room, owner=True)
    _, guest = guest_in_room(public_room)
    response = client.ocs("POST", ring_url(public_room, guest.pk))
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "actor-type"}


def test_ring_400_when_the_target_participant_is_already_in_the_call(room):
    client, _ = in_call(room, owner=True)
    _, target = in_call(room)
    response = client.ocs("POST", ring_url(room, target.pk))
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "in-call"}


def test_ring_400_when_the_room_has_no_call_in_process(room):
    client, _ = in_room(room, owner=True)
    target = AttendeeFactory(room=room)
    response = client.ocs("POST", ring_url(room, target.pk))
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "in-call"}


def test_ring_400_when_the_actor_is_not_in_the_call(room):
    in_call(room)
    client, _ = in_room(room, owner=True)
    target = AttendeeFactory(room=room)
    response = client.ocs("POST", ring_url(room, target.pk))
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "in-call"}


def test_ring_403_when_the_current_user_is_not_a_moderator(room):
    client, _ = in_call(room)
    target = AttendeeFactory(room=room)
    assert_check_failed(client.ocs("POST", ring_url(room, target.pk)), 403)
    assert not CallNotification.objects.filter(attendee=target).exists()


def test_ring_404_when_the_conversation_could_not_be_found_for_the_participant(room):
    target = AttendeeFactory(room=room)
    assert_check_failed(not_a_participant_client().ocs("POST", ring_url(room, target.pk)), 404)


def test_ring_404_when_the_attendee_could_not_be_found_in_the_conversation(room):
    client, _ = in_call(room, owner=True)
    elsewhere = AttendeeFactory(room=RoomFactory())
    for attendee_id in (elsewhere.pk, Attendee.objects.order_by("-pk").first().pk + 1000):
        response = client.ocs("POST", ring_url(room, attendee_id))
        assert response.status_code == 404
        assert ocs_data(response) is None


def test_ring_412_when_the_lobby_is_active_and_the_user_is_not_a_moderator(room):
    client, _ = in_call(room)
    target = AttendeeFactory(room=room)
    set_lobby(room)
    assert_check_failed(client.ocs("POST", ring_url(room, target.pk)), 412)


# --- POST /call/{token}/dialout/{attendeeId} ---------------------------------------------


def dialout_url(room, attendee_id):
    return call_url(room.token, f"/dialout/{attendee_id}")


@override_settings(TALK_CALLS=CONSOLE_BACKEND)
def test_dialout_200_ok(room):
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    response = client.ocs("POST", dialout_url(room, phone.pk))
    assert response.status_code == 200
    assert ocs_data(response) is None
    phone.refresh_from_db()
    assert len(phone.call_id) == 32


@override_settings(TALK_CALLS=CONSOLE_BACKEND)
def test_dialout_400_when_the_room_has_no_call_in_process(room):
    client, _ = in_room(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    response = client.ocs("POST", dialout_url(room, phone.pk))
    assert response.status_code == 400
    assert ocs_data(response) is None


@override_settings(TALK_CALLS=CONSOLE_BACKEND)
def test_dialout_400_when_the_actor_is_not_in_the_call(room):
    in_call(room)
    client, _ = in_room(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    response = client.ocs("POST", dialout_url(room, phone.pk))
    assert response.status_code == 400
    assert ocs_data(response) is None


@override_settings(TALK_CALLS=CONSOLE_BACKEND)
def test_dialout_403_when_the_current_user_does_not_have_the_start_call_permission(room):
    in_call(room)
    client, _ = in_room(room, permissions=int(Permission.CUSTOM | Permission.PUBLISH_AUDIO))
    phone = PhoneAttendeeFactory(room=room)
    assert_check_failed(client.ocs("POST", dialout_url(room, phone.pk)), 403)


def test_dialout_404_when_the_conversation_could_not_be_found_for_the_participant(room):
    phone = PhoneAttendeeFactory(room=room)
    assert_check_failed(not_a_participant_client().ocs("POST", dialout_url(room, phone.pk)), 404)


@override_settings(TALK_CALLS=CONSOLE_BACKEND)
def test_dialout_404_when_the_target_participant_could_not_be_found_or_is_not_a_phone_number(room):
    client, _ = in_call(room, owner=True)
    user_target = AttendeeFactory(room=room)
    other_room_phone = PhoneAttendeeFactory(room=RoomFactory())
    for attendee_id in (user_target.pk, other_room_phone.pk, other_room_phone.pk + 1000):
        response = client.ocs("POST", dialout_url(room, attendee_id))
        assert response.status_code == 404
        assert ocs_data(response) is None


@override_settings(TALK_CALLS=CONSOLE_BACKEND)
def test_dialout_412_when_the_lobby_is_active_and_the_user_is_not_a_moderator(room):
    client, _ = in_call(room)
    phone = PhoneAttendeeFactory(room=room)
    set_lobby(room)
    assert_check_failed(client.ocs("POST", dialout_url(room, phone.pk)), 412)


@override_settings(TALK_CALLS=CONSOLE_BACKEND)
def test_dialout_412_comes_before_the_start_call_permission(room):
    """Reference 3.0: the lobby (step 6) is checked before the permission (step 7)."""
    in_call(room, owner=True)
    client, _ = in_call(room, permissions=int(Permission.CUSTOM | Permission.PUBLISH_AUDIO))
    phone = PhoneAttendeeFactory(room=room)
    set_lobby(room)
    assert_check_failed(client.ocs("POST", dialout_url(room, phone.pk)), 412)


def test_dialout_501_when_the_sip_functionality_is_not_configured(room):
    client, _ = in_call(room, owner=True)
    phone = PhoneAttendeeFactory(room=room)
    response = client.ocs("POST", dialout_url(room, phone.pk))
    assert response.status_code == 501
    assert ocs_data(response)["error"] == "sip"
    phone.refresh_from_db()
    assert phone.call_id == ""


# --- PUT /call/{token} -------------------------------------------------------------------


def test_put_200_ok(room):
    client, attendee = in_call(room)
    response = client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO)})
    assert response.status_code == 200
    assert ocs_data(response) is None
    assert attendee.sessions.get().in_call == InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO


def test_put_400_when_the_user_is_not_in_the_call(room):
    client, attendee = in_room(room)
    response = client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)})
    assert response.status_code == 400
    assert ocs_data(response) is None
    assert attendee.sessions.get().in_call == InCallFlag.DISCONNECTED


def test_put_400_when_the_flags_do_not_contain_in_call(room):
    client, attendee = in_call(room)
    response = client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.WITH_AUDIO)})
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "flags"}  # as POST answers (README: where we differ)
    assert attendee.sessions.get().in_call & InCallFlag.IN_CALL


def test_put_403_when_the_conversation_is_read_only(room):
    client, _ = in_call(room)
    set_read_only(room)
    assert_check_failed(client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)}), 403)


def test_put_404_when_the_conversation_could_not_be_found_for_the_participant(room):
    client = not_a_participant_client()
    assert_check_failed(client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)}), 404)


def test_put_404_when_the_user_did_not_join_the_conversation_before(room):
    attendee = AttendeeFactory(room=room)
    response = user_client(attendee.user).ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)})
    assert response.status_code == 404
    assert ocs_data(response) is None


def test_put_412_when_the_lobby_is_active_and_the_user_is_not_a_moderator(room):
    client, _ = in_call(room)
    set_lobby(room)
    assert_check_failed(client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)}), 412)


# --- DELETE /call/{token} ----------------------------------------------------------------


def test_leave_200_ok(room):
    client, attendee = in_call(room)
    response = client.ocs("DELETE", call_url(room.token))
    assert response.status_code == 200
    assert ocs_data(response) is None
    assert attendee.sessions.get().in_call == InCallFlag.DISCONNECTED


def test_leave_403_when_the_conversation_is_read_only(room):
    client, _ = in_call(room)
    set_read_only(room)
    assert_check_failed(client.ocs("DELETE", call_url(room.token)), 403)


def test_leave_404_when_the_conversation_could_not_be_found_for_the_participant(room):
    assert_check_failed(not_a_participant_client().ocs("DELETE", call_url(room.token)), 404)


def test_leave_404_when_the_user_did_not_join_the_conversation_before(room):
    attendee = AttendeeFactory(room=room, participant_type=ParticipantType.MODERATOR)
    response = user_client(attendee.user).ocs("DELETE", call_url(room.token))
    assert response.status_code == 404
    assert ocs_data(response) is None


def test_leave_412_when_the_lobby_is_active_and_the_user_is_not_a_moderator(room):
    client, _ = in_call(room)
    set_lobby(room)
    assert_check_failed(client.ocs("DELETE", call_url(room.token)), 412)
