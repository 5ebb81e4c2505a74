"""Every 4xx explains itself in ``ocs.meta.message``, on the reference's wire shapes.

``CASES`` provokes each refusal the app can answer (each permission class, each raise
site of the services and views, the parameter and body errors, 401, 405, 413, 415) and
asserts the status, the payload shape Talk answers (``[]`` for failed checks,
``{"error": key}`` or ``null`` from the endpoint) and the exact message. Two static tests
make sure nothing is left out: every OCS exception class has a default message, and every
raise of a generic endpoint error in ``talk_calls/`` says what went wrong.
"""

import ast
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

import talk_calls
from talk_calls import exceptions
from talk_calls.constants import (
    InCallFlag,
    LobbyState,
    ParticipantType,
    Permission,
    ReadOnly,
    RecordingConsent,
    RoomType,
    StartCalls,
)
from talk_calls.models import Room
from tests.factories import AttendeeFactory, PhoneAttendeeFactory, RoomFactory, UserFactory, one_to_one_room
from tests.helpers import (
    OCSClient,
    call_url,
    guest_in_room,
    in_call,
    in_room,
    ocs_data,
    ocs_meta,
    room_url,
    user_client,
)

pytestmark = pytest.mark.django_db

NO_SESSION = (
    "You have not joined this conversation, or your Talk session expired: join it again "
    "(POST /ocs/v2.php/apps/spreed/api/v4/room/{token}/participants/active)"
)
NOT_PARTICIPANT = "Conversation not found, or you are not a participant of it"


def set_room(room, **fields):
    Room.objects.filter(pk=room.pk).update(**fields)


def member(room, **kwargs):
    """A client of a user attendee of ``room`` who has not joined it (no Talk session)."""
    attendee = AttendeeFactory(room=room, **kwargs)
    return user_client(attendee.user), attendee


def owner_in_room(room):
    return in_room(room, participant_type=ParticipantType.OWNER)


# Each case: (id, status, data, message, provoke(room) -> response). ``data`` "[]" and None
# are the payloads; a string is an ``{"error": key}`` payload; ``{token}`` in the message is
# the room's token.


def _calls_disabled(room):
    client, _ = in_room(room)
    with override_settings(TALK_CALLS={"START_CALLS": StartCalls.DISABLED}):
        return client.ocs("POST", call_url(room.token))


def _not_participant(room):
    return user_client(UserFactory()).get(call_url(room.token))


def _read_only(room):
    client, _ = in_room(room)
    set_room(room, read_only=ReadOnly.READ_ONLY)
    return client.ocs("POST", call_url(room.token))


def _lobby(room):
    client, _ = in_room(room)
    set_room(room, lobby_state=LobbyState.NON_MODERATORS)
    return client.ocs("POST", call_url(room.token))


def _ring_not_moderator(room):
    client, _ = in_call(room)
    target = AttendeeFactory(room=room)
    return client.ocs("POST", call_url(room.token, f"/ring/{target.pk}"))


def _start_call_moderators_only(room):
    client, _ = in_room(room)
    with override_settings(TALK_CALLS={"START_CALLS": StartCalls.MODERATORS}):
        return client.ocs("POST", call_url(room.token))


def _start_call_permission(room):
    set_room(room, default_permissions=int(Permission.CUSTOM | Permission.PUBLISH_AUDIO))
    client, _ = in_room(room)
    return client.ocs("POST", call_url(room.token))


def _start_call_users_only(room):
    set_room(room, type=RoomType.PUBLIC)
    guest, _ = guest_in_room(room)
    with override_settings(TALK_CALLS={"START_CALLS": StartCalls.USERS}):
        return guest.ocs("POST", call_url(room.token))


def _start_call_groups(room):
    Group.objects.create(name="callers")
    client, _ = in_room(room)
    with override_settings(TALK_CALLS={"START_CALLS_GROUPS": ["callers"]}):
        return client.ocs("POST", call_url(room.token))


def _dialout_without_permission(room):
    set_room(room, default_permissions=int(Permission.CUSTOM | Permission.PUBLISH_AUDIO))
    client, _ = in_room(room)
    phone = PhoneAttendeeFactory(room=room)
    return client.ocs("POST", call_url(room.token, f"/dialout/{phone.pk}"))


def _join_call_without_session(room):
    client, _ = member(room)
    return client.ocs("POST", call_url(room.token))


def _leave_call_without_session(room):
    client, _ = member(room)
    return client.ocs("DELETE", call_url(room.token))


def _put_without_session(room):
    client, _ = member(room)
    return client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)})


def _put_without_in_call_flag(room):
    client, _ = in_call(room)
    return client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.WITH_AUDIO)})


def _post_without_in_call_flag(room):
    client, _ = in_room(room)
    return client.ocs("POST", call_url(room.token), {"flags": int(InCallFlag.WITH_AUDIO)})


def _put_not_in_call(room):
    client, _ = in_room(room)
    return client.ocs("PUT", call_url(room.token), {"flags": int(InCallFlag.IN_CALL)})


def _put_flags_missing(room):
    client, _ = in_call(room)
    return client.ocs("PUT", call_url(room.token), {})


def _flags_out_of_range(room):
    client, _ = in_room(room)
    return client.ocs("POST", call_url(room.token), {"flags": 16})


def _consent_missing(room):
    client, _ = in_room(room)
    with override_settings(TALK_CALLS={"RECORDING_CONSENT": RecordingConsent.REQUIRED}):
        return client.ocs("POST", call_url(room.token))


def _call_in_former_one_to_one(room):
    client, _ = in_room(room)
    set_room(room, type=RoomType.FORMER_ONE_TO_ONE)
    return client.ocs("POST", call_url(room.token))


def _ring(room, *, target=None, call=True):
    client, _ = in_room(room, participant_type=ParticipantType.MODERATOR)
    if call:
        assert client.ocs("POST", call_url(room.token)).status_code == 200
    target = target(room) if target else AttendeeFactory(room=room)
    return client.ocs("POST", call_url(room.token, f"/ring/{target.pk}"))


def _ring_without_call(room):
    return _ring(room, call=False)


def _ring_caller_not_in_call(room):
    in_call(room)
    client, _ = in_room(room, participant_type=ParticipantType.MODERATOR)
    return client.ocs("POST", call_url(room.token, f"/ring/{AttendeeFactory(room=room).pk}"))


def _ring_guest(room):
    set_room(room, type=RoomType.PUBLIC)
    return _ring(room, target=lambda room: guest_in_room(room)[1])


def _ring_someone_in_call(room):
    return _ring(room, target=lambda room: in_call(room)[1])


def _ring_unknown_attendee(room):
    client, _ = in_call(room, participant_type=ParticipantType.MODERATOR)
    return client.ocs("POST", call_url(room.token, "/ring/999999"))


def _dialout(room, *, call=True, phone=True, backend=None):
    client, _ = in_room(room, participant_type=ParticipantType.MODERATOR)
    if call:
        assert client.ocs("POST", call_url(room.token)).status_code == 200
    attendee_id = PhoneAttendeeFactory(room=room).pk if phone else 999999
    with override_settings(TALK_CALLS={"SIP_DIALOUT_BACKEND": backend} if backend else {}):
        return client.ocs("POST", call_url(room.token, f"/dialout/{attendee_id}"))


def _dialout_caller_not_in_call(room):
    in_call(room)
    return _dialout(room, call=False)


def _download(room, *, call=True, **query):
    client, _ = owner_in_room(room)
    if call:
        in_call(room)
    return client.get(call_url(room.token, "/download"), query)


def _notification_state_as_guest(room):
    return OCSClient().get(call_url(room.token, "/notification-state"))


def _join_room(token, **data):
    return OCSClient().join_room(token, **data)


def _join_private_room_as_guest(room):
    return _join_room(room.token)


def _join_with_wrong_password(room):
    protected = RoomFactory(public=True, room_password="right")
    return _join_room(protected.token, password="wrong")


def _rejoin_without_force(room):
    client, _ = in_call(room)
    return client.join_room(room.token, force=False)


def _room_setting(method, suffix, data=None, *, who=owner_in_room, room_type=None):
    def provoke(room):
        if room_type is not None:
            set_room(room, type=room_type)
        client, _ = who(room)
        return client.ocs(method, room_url(room.token, suffix), data)

    return provoke


def _as_guest_moderator(room):
    set_room(room, type=RoomType.PUBLIC)
    client, attendee = guest_in_room(room)
    attendee.participant_type = ParticipantType.GUEST_MODERATOR
    attendee.save(update_fields=["participant_type"])
    return client, attendee


def _as_plain_member(room):
    return in_room(room)


def _create(data):
    def provoke(room):
        return user_client(UserFactory()).ocs("POST", room_url("").rstrip("/"), data)

    return provoke


def _anonymous_room_list(room):
    return OCSClient().get(room_url("").rstrip("/"))


def _wrong_basic_password(room):
    client = OCSClient(UserFactory())
    client.defaults["HTTP_AUTHORIZATION"] = "Basic " + "YWxpY2U6d3Jvbmc="  # alice:wrong
    return client.get("/ocs/v2.php/cloud/user")


def _method_not_allowed(room):
    return OCSClient().patch(call_url(room.token))


def _malformed_json(room):
    client, _ = in_room(room)
    return client.post(call_url(room.token), data="{", content_type="application/json")


def _unknown_content_type(room):
    client, _ = in_room(room)
    return client.post(call_url(room.token), data="flags=1", content_type="text/csv")


def _body_too_big(room):
    client, _ = in_room(room)
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        return client.post(call_url(room.token), data=json.dumps({"x": "y" * 200}), content_type="application/json")


def _format_xml(room):
    return OCSClient().get("/ocs/v2.php/cloud/capabilities", {"format": "xml"})


def _unknown_ocs_path(room):
    return OCSClient().get("/ocs/v2.php/apps/spreed/api/v4/nothing")


def _remove(target, *, who=owner_in_room):
    def provoke(room):
        client, me = who(room)
        attendee_id = target(room, me).pk
        return client.ocs("DELETE", room_url(room.token, "/attendees"), {"attendeeId": attendee_id})

    return provoke


def _moderators(method, target, *, who=owner_in_room):
    def provoke(room):
        client, me = who(room)
        return client.ocs(method, room_url(room.token, "/moderators"), {"attendeeId": target(room, me).pk})

    return provoke


def _permissions(data, target=lambda room, me: AttendeeFactory(room=room), *, room_type=None):
    def provoke(room):
        client, me = owner_in_room(room)
        if room_type is not None:
            set_room(room, type=room_type)
        return client.ocs(
            "PUT", room_url(room.token, "/attendees/permissions"), {"attendeeId": target(room, me).pk, **data}
        )

    return provoke


def _add(data, *, room_type=None):
    def provoke(room):
        if room_type is not None:
            set_room(room, type=room_type)
        client, _ = owner_in_room(room)
        return client.ocs("POST", room_url(room.token, "/participants"), data)

    return provoke


def _leave_as_last_moderator(room):
    client, _ = owner_in_room(room)
    AttendeeFactory(room=room)
    return client.ocs("DELETE", room_url(room.token, "/participants/self"))


def _one_to_one(method, suffix, data=None):
    def provoke(room):
        me, other = UserFactory(), UserFactory()
        one = one_to_one_room(me, other)
        return user_client(me).ocs(method, room_url(one.token, suffix), data)

    return provoke


def _remove_from_one_to_one(room):
    me, other = UserFactory(), UserFactory()
    one = one_to_one_room(me, other)
    target = one.attendees.get(actor_id=other.get_username())
    return user_client(me).ocs("DELETE", room_url(one.token, "/attendees"), {"attendeeId": target.pk})


def _session_state_without_session(room):
    client, _ = member(room)
    return client.ocs("PUT", room_url(room.token, "/participants/state"), {"state": 1})


def _session_state_value(room):
    client, _ = in_room(room)
    return client.ocs("PUT", room_url(room.token, "/participants/state"), {"state": 7})


def _guest_name_as_user(room):
    client, _ = in_room(room)
    return client.ocs("POST", f"/ocs/v2.php/apps/spreed/api/v1/guest/{room.token}/name", {"displayName": "x"})


def _participants_as_guest(room):
    set_room(room, type=RoomType.PUBLIC)
    guest, _ = guest_in_room(room)
    return guest.get(room_url(room.token, "/participants"))


def _retrieve_hidden_room(room):
    return user_client(UserFactory()).get(room_url(room.token))


def _recording_consent(value, *, setting=RecordingConsent.OPTIONAL, call=False):
    def provoke(room):
        client, _ = owner_in_room(room)
        if call:
            in_call(room)
        with override_settings(TALK_CALLS={"RECORDING_CONSENT": setting}):
            return client.ocs("PUT", room_url(room.token, "/recording-consent"), {"recordingConsent": value})

    return provoke


ONE_TO_ONE_PARTICIPANTS = "One-to-one conversations and notes to self have a fixed list of participants"
RECORDING_OFF = "Recording consent is not enabled on this server (RECORDING_CONSENT is 0)"

CASES = [
    # --- the checks before an endpoint (permission classes): data [] ---------------------
    ("calls disabled", 403, "[]", "Calls are disabled on this server", _calls_disabled),
    ("not a participant", 404, "[]", NOT_PARTICIPANT, _not_participant),
    ("unknown room", 404, "[]", NOT_PARTICIPANT, lambda room: in_room(room)[0].get(call_url("nosuchroom"))),
    ("read-only", 403, "[]", "This conversation is read-only", _read_only),
    ("lobby", 412, "[]", "You are in the lobby of this conversation: wait until a moderator opens it", _lobby),
    ("ring by non-moderator", 403, "[]", "Only moderators can ring attendees", _ring_not_moderator),
    (
        "moderator only",
        403,
        "[]",
        "Only moderators of this conversation can do this",
        _room_setting("PUT", "", {"roomName": "x"}, who=_as_plain_member),
    ),
    (
        "dial-out without start-call permission",
        403,
        "[]",
        "Your permissions in this conversation do not allow starting calls",
        _dialout_without_permission,
    ),
    ("anonymous on a user endpoint", 401, "[]", "Current user is not logged in", _anonymous_room_list),
    ("wrong Basic credentials", 401, "[]", "Invalid username or password", _wrong_basic_password),
    (
        "guest lists participants",
        403,
        None,
        "Guests cannot list the participants of this conversation",
        _participants_as_guest,
    ),
    (
        "user sets a guest name",
        403,
        None,
        "Only guests set their name here; users have the name of their account",
        _guest_name_as_user,
    ),
    ("session state without a session", 404, None, NO_SESSION, _session_state_without_session),
    (
        "notification state as guest",
        403,
        None,
        "Only logged-in users have call notifications",
        _notification_state_as_guest,
    ),
    # --- the start-call rules --------------------------------------------------------------
    (
        "start call: moderators only",
        403,
        "[]",
        "Only moderators can start a call on this server",
        _start_call_moderators_only,
    ),
    (
        "start call: users only",
        403,
        "[]",
        "Only logged-in users can start a call on this server",
        _start_call_users_only,
    ),
    (
        "start call: permission",
        403,
        "[]",
        "Your permissions in this conversation do not allow starting a call",
        _start_call_permission,
    ),
    (
        "start call: groups",
        403,
        "[]",
        "Only members of the groups allowed to start calls can start a call",
        _start_call_groups,
    ),
    # --- /call -------------------------------------------------------------------------------
    ("join call without session", 404, None, NO_SESSION, _join_call_without_session),
    ("leave call without session", 404, None, NO_SESSION, _leave_call_without_session),
    ("flags without session", 404, None, NO_SESSION, _put_without_session),
    ("PUT flags without IN_CALL", 400, "flags", "flags must contain IN_CALL (1)", _put_without_in_call_flag),
    ("POST flags without IN_CALL", 400, "flags", "flags must contain IN_CALL (1)", _post_without_in_call_flag),
    ("PUT flags missing", 400, "flags", "flags is required", _put_flags_missing),
    ("flags out of range", 400, "flags", "flags must be between 0 and 15", _flags_out_of_range),
    (
        "PUT while not in the call",
        400,
        None,
        "You are not in the call of this conversation: join it first",
        _put_not_in_call,
    ),
    (
        "consent missing",
        400,
        "consent",
        "Recording consent is required to join this call: send recordingConsent=true",
        _consent_missing,
    ),
    (
        "call in a former one-to-one",
        400,
        "type",
        "This conversation has no calls (a former one-to-one, a changelog or a note to self)",
        _call_in_former_one_to_one,
    ),
    ("ring without a call", 400, "in-call", "There is no call in this conversation", _ring_without_call),
    (
        "ring while not in the call",
        400,
        "in-call",
        "You are not in the call of this conversation: join it first",
        _ring_caller_not_in_call,
    ),
    ("ring a guest", 400, "actor-type", "Only users can be rung, not guests, groups or phone numbers", _ring_guest),
    ("ring someone in the call", 400, "in-call", "This attendee is already in the call", _ring_someone_in_call),
    ("ring an unknown attendee", 404, None, "No attendee with this id in this conversation", _ring_unknown_attendee),
    (
        "dial-out without a call",
        400,
        None,
        "There is no call in this conversation",
        lambda room: _dialout(room, call=False),
    ),
    (
        "dial-out while not in the call",
        400,
        None,
        "You are not in the call of this conversation: join it first",
        _dialout_caller_not_in_call,
    ),
    (
        "dial-out to a non-phone",
        404,
        None,
        "No phone attendee with this id in this conversation",
        lambda room: _dialout(room, phone=False),
    ),
    ("dial-out not configured", 501, "sip", "SIP dial-out is not configured on this server", _dialout),
    (
        "download without a call",
        400,
        "[]",
        "There is no call in this conversation to download the participants of",
        lambda room: _download(room, call=False),
    ),
    (
        "download as JSON",
        400,
        "[]",
        "The participant list is only available as CSV (format=csv), not 'json'",
        lambda room: _download(room, format="json"),
    ),
    # --- joining a conversation ----------------------------------------------------------
    (
        "guest joins a group room",
        404,
        None,
        "Conversation not found, or you may not join it",
        _join_private_room_as_guest,
    ),
    (
        "join an unknown room",
        404,
        None,
        "Conversation not found, or you may not join it",
        lambda room: _join_room("nosuchroom"),
    ),
    ("wrong password", 403, "password", "Wrong password for this conversation", _join_with_wrong_password),
    (
        "rejoin without force while in a call",
        409,
        "conflict",
        "Your browser is already in a call in this conversation: join again with force=true to leave it",
        _rejoin_without_force,
    ),
    # --- rooms ----------------------------------------------------------------------------
    ("room hidden from outsiders", 404, None, "Conversation not found", _retrieve_hidden_room),
    (
        "create: bad type",
        400,
        "type",
        "roomType must be 1 (one-to-one), 2 (group) or 3 (public)",
        _create({"roomType": 4}),
    ),
    ("create: empty name", 400, "name", "roomName must have 1 to 255 characters", _create({"roomName": "  "})),
    (
        "create: object type",
        400,
        "object-type",
        "objectType must be one of '', 'file', 'share:password', 'room', 'phone', 'phone_persist', "
        "'phone_temporary', 'sample', 'event', 'extended_conversation', 'instant_meeting', 'emails'",
        _create({"roomName": "x", "objectType": "car"}),
    ),
    (
        "create: password on a group room",
        400,
        "password",
        "Only public conversations can have a password",
        _create({"roomName": "x", "password": "p"}),
    ),
    (
        "create: SIP",
        400,
        "sip-enabled",
        "SIP is not configured on this server: sipEnabled must be 0",
        _create({"roomName": "x", "sipEnabled": 1}),
    ),
    (
        "create: recording consent",
        400,
        "recording-consent",
        RECORDING_OFF,
        _create({"roomName": "x", "recordingConsent": 1}),
    ),
    (
        "create: read-only value",
        400,
        "read-only",
        "readOnly must be one of 0, 1",
        _create({"roomName": "x", "readOnly": 5}),
    ),
    (
        "create: participants not an object",
        400,
        "invite",
        "participants must be an object of lists of strings",
        _create({"roomName": "x", "participants": ["bob"]}),
    ),
    (
        "create: participants not strings",
        400,
        "invite",
        "participants.users must be a list of strings",
        _create({"roomName": "x", "participants": {"users": [1]}}),
    ),
    (
        "create: nobody to invite",
        404,
        "invite",
        "None of the invited users or groups exists or can be invited",
        _create({"roomName": "x", "participants": {"users": ["nobody-here"]}}),
    ),
    (
        "create one-to-one with oneself",
        403,
        "invite",
        "You cannot start a one-to-one conversation with yourself",
        lambda room: (
            lambda u: user_client(u).ocs("POST", room_url("").rstrip("/"), {"roomType": 1, "invite": u.username})
        )(UserFactory()),
    ),
    (
        "create one-to-one with nobody",
        404,
        "invite",
        "No user named 'nobody-here'",
        _create({"roomType": 1, "invite": "nobody-here"}),
    ),
    (
        "rename: empty",
        400,
        "value",
        "roomName must have 1 to 255 characters",
        _room_setting("PUT", "", {"roomName": " "}),
    ),
    (
        "rename one-to-one",
        400,
        "type",
        "One-to-one conversations cannot be renamed",
        _one_to_one("PUT", "", {"roomName": "x"}),
    ),
    (
        "delete one-to-one",
        400,
        None,
        "One-to-one conversations cannot be deleted: leave them instead",
        _one_to_one("DELETE", ""),
    ),
    (
        "call permissions",
        400,
        "mode",
        "Call permissions are no longer supported: use permissions/default",
        _room_setting("PUT", "/permissions/call", {"permissions": 1}),
    ),
    (
        "default permissions value",
        400,
        "value",
        "permissions must be between 0 and 255",
        _room_setting("PUT", "/permissions/default", {"permissions": 999}),
    ),
    (
        "default permissions one-to-one",
        400,
        "type",
        "One-to-one conversations and notes to self have no default permissions",
        _one_to_one("PUT", "/permissions/default", {"permissions": 1}),
    ),
    ("lobby value", 400, "value", "state must be one of 0, 1", _room_setting("PUT", "/webinar/lobby", {"state": 3})),
    (
        "lobby timer",
        400,
        "value",
        "timer must be between 0 and 137438953472",
        _room_setting("PUT", "/webinar/lobby", {"state": 1, "timer": -1}),
    ),
    (
        "lobby in one-to-one",
        400,
        "type",
        "Only group and public conversations have a lobby",
        _one_to_one("PUT", "/webinar/lobby", {"state": 1}),
    ),
    ("read-only value", 400, "value", "state must be one of 0, 1", _room_setting("PUT", "/read-only", {"state": 9})),
    (
        "read-only in one-to-one",
        400,
        "type",
        "Only group and public conversations can be made read-only or writable",
        _one_to_one("PUT", "/read-only", {"state": 1}),
    ),
    ("listable value", 400, "value", "scope must be one of 0, 1, 2", _room_setting("PUT", "/listable", {"scope": 9})),
    (
        "listable one-to-one",
        400,
        "type",
        "Only group and public conversations can be listed",
        _one_to_one("PUT", "/listable", {"scope": 1}),
    ),
    ("public one-to-one", 400, "type", "Only group conversations can be made public", _one_to_one("POST", "/public")),
    (
        "private one-to-one",
        400,
        "type",
        "Only public conversations can be made private",
        _one_to_one("DELETE", "/public"),
    ),
    (
        "password on a group room",
        400,
        "type",
        "Only public conversations have a password",
        _room_setting("PUT", "/password", {"password": "p"}),
    ),
    (
        "password too long",
        400,
        "value",
        "password is longer than 1024 characters",
        _room_setting("PUT", "/password", {"password": "p" * 1025}),
    ),
    (
        "SIP for users",
        412,
        "config",
        "SIP is not configured on this server",
        _room_setting("PUT", "/webinar/sip", {"state": 1}),
    ),
    (
        "SIP for guests",
        401,
        "config",
        "SIP is not configured on this server",
        _room_setting("PUT", "/webinar/sip", {"state": 1}, who=_as_guest_moderator),
    ),
    (
        "recording consent off",
        412,
        "config",
        RECORDING_OFF,
        _recording_consent(1, setting=RecordingConsent.NOT_REQUIRED),
    ),
    ("recording consent value", 400, "value", "recordingConsent must be one of 0, 1", _recording_consent(3)),
    (
        "recording consent during a call",
        400,
        "call",
        "Recording consent cannot be required while a call is running",
        _recording_consent(1, call=True),
    ),
    ("session state value", 400, None, "state must be one of 0, 1", _session_state_value),
    # --- participants ---------------------------------------------------------------------
    (
        "add to a one-to-one",
        400,
        "room-type",
        ONE_TO_ONE_PARTICIPANTS,
        _one_to_one("POST", "/participants", {"newParticipant": "x"}),
    ),
    (
        "add a team",
        400,
        "new-participant",
        "Teams cannot be added: this server has no teams",
        _add({"source": "circles", "newParticipant": "t"}),
    ),
    (
        "add a federated user",
        501,
        "federation",
        "Federated users cannot be added: this server has no federation",
        _add({"source": "federated_users", "newParticipant": "a@b"}),
    ),
    (
        "add by e-mail",
        400,
        "source",
        "source must be one of groups, phones, users",
        _add({"source": "emails", "newParticipant": "a@b.c"}),
    ),
    (
        "add an unknown user",
        404,
        "new-participant",
        "No user named 'nobody-here'",
        _add({"newParticipant": "nobody-here"}),
    ),
    (
        "add an unknown group",
        404,
        "new-participant",
        "No group named 'nobody-here'",
        _add({"source": "groups", "newParticipant": "nobody-here"}),
    ),
    (
        "add a bad phone number",
        400,
        "new-participant",
        "newParticipant is not a phone number",
        _add({"source": "phones", "newParticipant": "call me"}),
    ),
    (
        "leave as the last moderator",
        400,
        "last-moderator",
        "You are the last moderator of this conversation: promote someone else first",
        _leave_as_last_moderator,
    ),
    (
        "remove from a one-to-one",
        400,
        "room-type",
        "Nobody can be removed from a one-to-one conversation",
        _remove_from_one_to_one,
    ),
    (
        "remove the owner",
        403,
        "owner",
        "The owner of a conversation cannot be removed",
        _remove(
            lambda room, me: AttendeeFactory(room=room, participant_type=ParticipantType.OWNER),
            who=lambda room: in_room(room, participant_type=ParticipantType.MODERATOR),
        ),
    ),
    (
        "remove an unknown attendee",
        404,
        "participant",
        "No attendee with this id in this conversation",
        _room_setting("DELETE", "/attendees", {"attendeeId": 999999}),
    ),
    (
        "promote oneself",
        403,
        None,
        "You cannot change your own moderator rights",
        _moderators("POST", lambda room, me: me),
    ),
    (
        "promote a moderator",
        400,
        None,
        "Only users and guests who are not moderators can be promoted",
        _moderators("POST", lambda room, me: AttendeeFactory(room=room, participant_type=ParticipantType.MODERATOR)),
    ),
    (
        "demote a user",
        400,
        None,
        "Only moderators and guest moderators can be demoted",
        _moderators("DELETE", lambda room, me: AttendeeFactory(room=room)),
    ),
    (
        "promote an unknown attendee",
        404,
        None,
        "No attendee with this id in this conversation",
        _room_setting("POST", "/moderators", {"attendeeId": 999999}),
    ),
    (
        "permissions of a moderator",
        403,
        "moderator",
        "Moderators always have every permission",
        _permissions(
            {"permissions": 1},
            lambda room, me: AttendeeFactory(room=room, participant_type=ParticipantType.MODERATOR),
        ),
    ),
    (
        "permissions method",
        400,
        "method",
        "method must be one of set, add, remove",
        _permissions({"permissions": 1, "method": "xor"}),
    ),
    ("permissions value", 400, "value", "permissions must be between 0 and 255", _permissions({"permissions": 999})),
    (
        "permissions of a group",
        400,
        "type",
        "Groups and teams have no permissions of their own",
        _permissions({"permissions": 1}, lambda room, me: AttendeeFactory(room=room, actor_type="groups", user=None)),
    ),
    (
        "permissions in a former one-to-one",
        400,
        "room-type",
        "Permissions cannot be changed in one-to-one conversations and notes to self",
        _permissions({"permissions": 1}, room_type=RoomType.FORMER_ONE_TO_ONE),
    ),
    (
        "all permissions (deprecated)",
        400,
        None,
        "Setting all attendees' permissions is no longer supported: use permissions/default",
        _room_setting("PUT", "/attendees/permissions/all", {"permissions": 1}),
    ),
    # --- parameters, bodies, methods, formats ---------------------------------------------
    (
        "boolean parameter",
        400,
        "silent",
        "silent must be a boolean",
        lambda room: in_room(room)[0].ocs("POST", call_url(room.token), {"silent": "maybe"}),
    ),
    (
        "malformed JSON",
        400,
        "body",
        "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        _malformed_json,
    ),
    (
        "JSON body not an object",
        400,
        "body",
        "The JSON body must be an object",
        lambda room: in_room(room)[0].post(call_url(room.token), data="[1]", content_type="application/json"),
    ),
    (
        "unknown content type",
        415,
        "content-type",
        'Unsupported media type "text/csv" in request. Send JSON (application/json) or a form.',
        _unknown_content_type,
    ),
    ("body too big", 413, "body", "The request body is larger than this server accepts (100 bytes)", _body_too_big),
    ("format=xml", 400, "format", "Only format=json is supported: this server answers JSON only", _format_xml),
    (
        "wrong method",
        405,
        "[]",
        'Method "PATCH" not allowed. See the Allow header for the methods of this path.',
        _method_not_allowed,
    ),
    ("unknown OCS path", 404, "[]", "This server has no endpoint at this path", _unknown_ocs_path),
]


@pytest.mark.parametrize(
    ("status", "data", "message", "provoke"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_every_refusal_says_why(room, status, data, message, provoke):
    response = provoke(room)
    assert response.status_code == status, response.content
    assert ocs_meta(response)["status"] == "failure"
    assert ocs_meta(response)["message"] == message.format(token=room.token)
    payload = ocs_data(response)
    if data == "[]":
        assert payload == []
    elif data == "conflict":
        assert set(payload) == {"sessionId", "inCall", "lastPing"}
    elif data is None:
        assert payload is None
    else:
        assert payload == {"error": data}


def test_csrf_refusal_keeps_talks_plain_body(room):
    client, _ = in_room(room)
    plain = user_client(client.user)
    del plain.defaults["HTTP_OCS_APIREQUEST"]
    response = plain.post(call_url(room.token))
    assert response.status_code == 412
    assert response.json() == {"message": "CSRF check failed"}


def test_dial_out_backend_errors_keep_the_message_in_data_too(room):
    response = _dialout(room, backend="tests.api.test_call_dialout.FakeSIPBridgeRefusing")
    assert response.status_code == 501
    assert ocs_data(response) == {"error": "busy", "message": "The bridge has no free line"}
    assert ocs_meta(response)["message"] == "The SIP bridge refused the call: The bridge has no free line"


def _exception_classes(base=exceptions.OCSError):
    for subclass in base.__subclasses__():
        yield subclass
        yield from _exception_classes(subclass)


@pytest.mark.parametrize("exception_class", sorted(set(_exception_classes()), key=lambda c: c.__name__))
def test_every_exception_class_has_a_default_message(exception_class):
    assert str(exception_class.default_detail).strip()


#: Generic endpoint errors: their raise sites must say what is wrong (a second argument).
GENERIC = {"BadRequest", "NotFound", "ForbiddenError", "PreconditionFailed", "NotImplementedError_"}


def _raise_sites():
    root = Path(talk_calls.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                yield f"{path.relative_to(root)}:{node.lineno}", node.exc


def test_every_generic_endpoint_error_is_raised_with_a_message():
    sites = list(_raise_sites())
    assert len(sites) > 50
    silent = [
        where
        for where, call in sites
        if call.func.id in GENERIC and len(call.args) < 2 and not any(k.arg == "detail" for k in call.keywords)
    ]
    assert silent == []


def test_the_readme_error_examples_are_real_answers():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    examples = [json.loads(line) for line in re.findall(r'^(\{"ocs".*\})$', readme, flags=re.M)]
    assert len(examples) >= 3
    by_message = {case[3]: case for case in CASES}
    for example in examples:
        meta = example["ocs"]["meta"]
        _, status, data, message, _ = by_message[meta["message"].replace("/room/demogroup/", "/room/{token}/")]
        assert meta["statuscode"] == status
        assert example["ocs"]["data"] == ([] if data == "[]" else None if data is None else {"error": data})
