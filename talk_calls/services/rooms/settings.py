"""Room settings: lobby, read-only, listable scope, public/private, password, recording
consent, session state and guest names (reference section 5.1)."""

from datetime import UTC, datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from ...conf import app_settings
from ...constants import (
    GROUP_TYPES,
    GUEST_TYPES,
    MODERATOR_TYPES,
    ROOM_RECORDING_CONSENT_VALUES,
    InCallFlag,
    Listable,
    LobbyState,
    ParticipantType,
    ReadOnly,
    RoomType,
    SessionState,
)
from ...constants import RecordingConsent as RecordingConsentSetting
from ...exceptions import BadRequest, PreconditionFailed
from ...models import Attendee, Room, Session
from ..calls import disconnect, end_call_for_everyone, end_call_if_empty
from ..events import participants_changed, permissions_changed, room_modified, room_session_ids, touch_room
from ..locking import bump_peers_version, lock_room
from .attendees import remove_attendee


def one_of(name: str, values) -> str:
    """Return the message of a parameter outside its ``values``."""
    return f"{name} must be one of {', '.join(str(int(value)) for value in values)}"


def set_lobby(room: Room, *, state: int, timer: int | None = None, attendee: Attendee | None = None) -> None:
    """Set the lobby state and timer (a unix time, stored only when > 0).

    Enabling the lobby takes every non-moderator session out of the call (``call_left``),
    then ends the call if nobody fresh is left. Raise ``BadRequest("type")`` unless the
    room is a group or public room, ``BadRequest("value")`` for a bad state or timer.
    """
    if room.type not in GROUP_TYPES:
        raise BadRequest("type", "Only group and public conversations have a lobby")
    if state not in LobbyState.values:
        raise BadRequest("value", one_of("state", LobbyState.values))
    timer_at = None
    if timer is not None and timer > 0:
        try:
            timer_at = datetime.fromtimestamp(timer, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRequest("value", "timer is not a valid unix time")
    with transaction.atomic():
        room = lock_room(room)
        Room.objects.filter(pk=room.pk).update(lobby_state=state, lobby_timer=timer_at)
        room.lobby_state, room.lobby_timer = state, timer_at
        touch_room(room)
        if state == LobbyState.NON_MODERATORS:
            sessions = (
                Session.objects.filter(room=room)
                .in_call()
                .exclude(attendee__participant_type__in=MODERATOR_TYPES)
                .select_related("attendee")
            )
            for session in sessions:
                disconnect(room, session.attendee, session)
            end_call_if_empty(room, attendee=attendee)
        participants_changed(room, room_session_ids(room))
        room_modified(room)


def set_read_only(room: Room, *, state: int, attendee: Attendee | None = None) -> None:
    """Set read-only; 1 ends the call for everyone (reference RoomService::setReadOnly).

    The current state is a no-op. Otherwise raise ``BadRequest("type")`` unless the room
    is a group, public or changelog room (a former one-to-one room may only be made
    read-only), then ``BadRequest("value")`` for a bad state.
    """
    with transaction.atomic():
        lock_room(room)
        if state != room.read_only:
            former = room.type == RoomType.FORMER_ONE_TO_ONE and state == ReadOnly.READ_ONLY
            if room.type not in (*GROUP_TYPES, RoomType.CHANGELOG) and not former:
                raise BadRequest("type", "Only group and public conversations can be made read-only or writable")
            if state not in ReadOnly.values:
                raise BadRequest("value", one_of("state", ReadOnly.values))
            Room.objects.filter(pk=room.pk).update(read_only=state)
            room.read_only = state
            touch_room(room)
            # Clients show read-only rooms differently: tell every session of the room.
            participants_changed(room, room_session_ids(room))
            room_modified(room)
        if state == ReadOnly.READ_ONLY:
            end_call_for_everyone(room, attendee=attendee)


def set_listable(room: Room, *, state: int) -> None:
    """Set the listable scope (the current one is a no-op); ``BadRequest("type")`` unless
    group or public, then ``BadRequest("value")``."""
    if state == room.listable:
        return
    if room.type not in GROUP_TYPES:
        raise BadRequest("type", "Only group and public conversations can be listed")
    if state not in Listable.values:
        raise BadRequest("value", one_of("scope", Listable.values))
    with transaction.atomic():
        lock_room(room)
        Room.objects.filter(pk=room.pk).update(listable=state)
        room.listable = state
        room_modified(room)


def set_password(room: Room, password: str) -> None:
    """Set (or with '' remove) the password of a public room; ``BadRequest("type")`` otherwise."""
    if room.type != RoomType.PUBLIC:
        raise BadRequest("type", "Only public conversations have a password")
    value = make_password(password) if password else ""
    with transaction.atomic():
        lock_room(room)
        Room.objects.filter(pk=room.pk).update(password=value)
        room.password = value
        room_modified(room)


def make_public(room: Room, *, password: str = "") -> None:
    """Turn a group room public (a public room stays public); ``BadRequest("type")`` otherwise."""
    if room.type not in GROUP_TYPES:
        raise BadRequest("type", "Only group conversations can be made public")
    with transaction.atomic():
        lock_room(room)
        Room.objects.filter(pk=room.pk).update(type=RoomType.PUBLIC)
        room.type = RoomType.PUBLIC
        if password:
            set_password(room, password)
        touch_room(room)
        room_modified(room)


def make_private(room: Room) -> None:
    """Turn a public room into a group room, removing guests, guest moderators and self-joined
    users through the leave path; ``BadRequest("type")`` for other rooms."""
    if room.type not in GROUP_TYPES:
        raise BadRequest("type", "Only public conversations can be made private")
    with transaction.atomic():
        lock_room(room)
        Room.objects.filter(pk=room.pk).update(type=RoomType.GROUP)
        room.type = RoomType.GROUP
        touch_room(room)
        room_modified(room)
        leaving = Attendee.objects.filter(
            room=room, participant_type__in=(*GUEST_TYPES, ParticipantType.USER_SELF_JOINED)
        )
        for attendee in list(leaving):
            remove_attendee(room, attendee)


def set_recording_consent(room: Room, value: int) -> None:
    """Set the room's recording-consent flag (CONTRACT section 8).

    Raise ``PreconditionFailed("config")`` while ``RECORDING_CONSENT`` is 0,
    ``BadRequest("value")`` for anything but 0/1 and ``BadRequest("call")`` when enabling
    it while a call runs.
    """
    if app_settings.RECORDING_CONSENT == RecordingConsentSetting.NOT_REQUIRED:
        raise PreconditionFailed("config", "Recording consent is not enabled on this server (RECORDING_CONSENT is 0)")
    if value not in ROOM_RECORDING_CONSENT_VALUES:
        raise BadRequest("value", one_of("recordingConsent", ROOM_RECORDING_CONSENT_VALUES))
    with transaction.atomic():
        lock_room(room)
        if value == 1 and (room.active_since is not None or room.call_flag != InCallFlag.DISCONNECTED):
            raise BadRequest("call", "Recording consent cannot be required while a call is running")
        Room.objects.filter(pk=room.pk).update(recording_consent=value)
        room.recording_consent = value
        room_modified(room)


def set_session_state(session: Session, state: int) -> None:
    """Set a Talk session active (1) or inactive (0); ``BadRequest()`` otherwise."""
    if state not in SessionState.values:
        raise BadRequest(None, one_of("state", SessionState.values))
    Session.objects.filter(pk=session.pk).update(state=state)
    session.state = state


def set_guest_name(room: Room, attendee: Attendee, name: str) -> None:
    """Store a guest's display name (reference GuestController::setDisplayName)."""
    name = name.strip()
    with transaction.atomic():
        Attendee.objects.filter(pk=attendee.pk).update(display_name=name)
        bump_peers_version(room)  # the name shows in GET /call's peer list
    attendee.display_name = name
    permissions_changed(room, room_session_ids(room, [attendee]))


def open_expired_lobbies(*, now=None) -> int:
    """Store every expired lobby timer as "no lobby" (the periodic command); return how many rooms.

    Reads already count such a lobby as open (``Room.effective_lobby_state``); this only
    makes the stored state agree, as ``clear_expired()`` does for ``contrib.sessions``. Lock
    the rooms; send ``room_modified`` for each on commit (a signaling server's ``update``).
    """
    now = now or timezone.now()
    with transaction.atomic():
        rooms = list(
            Room.objects.select_for_update().filter(lobby_state=LobbyState.NON_MODERATORS, lobby_timer__lte=now)
        )
        Room.objects.filter(pk__in=[room.pk for room in rooms]).update(lobby_state=LobbyState.NONE, lobby_timer=None)
        for room in rooms:
            room.lobby_state, room.lobby_timer = LobbyState.NONE, None
            room_modified(room)
    return len(rooms)
