"""Rooms, attendees, Talk sessions and the call records (CONTRACT section 5).

"In the call" lives on the *session* (one per device), never on the attendee. The room's
``active_since`` and ``call_flag`` cache "a call exists" and change only through the
conditional updates in ``services`` (CONTRACT section 7). Query helpers live on the
QuerySets so that views, services and the admin share one definition of "fresh".
"""

import json
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.db import models
from django.utils import timezone

from .conf import app_settings
from .constants import (
    MODERATOR_TYPES,
    PERMISSIONS_BUILTIN_DEFAULT,
    PERMISSIONS_MAX_CUSTOM,
    PERMISSIONS_MAX_DEFAULT,
    ActorType,
    CallEventKind,
    DialOutState,
    InCallFlag,
    Listable,
    LobbyState,
    ParticipantType,
    ReadOnly,
    RoomType,
    SessionState,
    SIPState,
)
from .constants import (
    RecordingConsent as RecordingConsentSetting,
)


def ping_cutoff(now=None):
    """Return the oldest ``last_ping`` that still counts as in the call."""
    return (now or timezone.now()) - timedelta(seconds=app_settings.SESSION_PING_TIMEOUT)


def kill_cutoff(now=None):
    """Return the ``last_ping`` before which a session is removed."""
    return (now or timezone.now()) - timedelta(seconds=app_settings.SESSION_KILL_TIMEOUT)


def user_display_name(user) -> str:
    """Return ``get_full_name()`` or the username (CONTRACT section 4); user models without
    ``get_full_name`` (``AbstractBaseUser``) give the username."""
    full_name = getattr(user, "get_full_name", None)
    return (full_name() if callable(full_name) else "") or user.get_username()


def users_by_username(usernames):
    """Return the host's users whose ``USERNAME_FIELD`` is one of ``usernames`` (one query).

    The one user look-up of the app, as ``contrib.auth.backends`` finds users: through
    the default manager and ``USERNAME_FIELD``, whatever the host's user model.
    """
    User = get_user_model()
    return User._default_manager.filter(**{f"{User.USERNAME_FIELD}__in": list(usernames)})


def user_by_username(username: str):
    """Return the host's user called ``username``, or None (no query for an empty name)."""
    if not username:
        return None
    return users_by_username([username]).first()


#: Length of ``Attendee.display_name``; a Django full name may be longer (150 + 1 + 150).
ATTENDEE_NAME_MAX_LENGTH = 255


def attendee_display_name(user) -> str:
    """Return the user's display name as an attendee row stores it: cut to the column length."""
    return user_display_name(user)[:ATTENDEE_NAME_MAX_LENGTH]


def user_group_names(user) -> list[str]:
    """Return the names of the user's ``auth.Group`` groups; none for user models without groups."""
    if not hasattr(user, "groups"):
        return []
    return sorted(user.groups.values_list("name", flat=True))


def instance_default_permissions() -> int:
    """Return the instance default attendee permissions (setting clamped, else 246)."""
    value = app_settings.DEFAULT_PERMISSIONS
    if not isinstance(value, int) or value <= 0:
        return int(PERMISSIONS_BUILTIN_DEFAULT)
    return min(value, int(PERMISSIONS_MAX_CUSTOM))


class RoomQuerySet(models.QuerySet):
    def with_call(self):
        return self.filter(active_since__isnull=False)


class Room(models.Model):
    token = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    type = models.SmallIntegerField(choices=RoomType.choices, default=RoomType.GROUP)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    read_only = models.SmallIntegerField(choices=ReadOnly.choices, default=ReadOnly.READ_WRITE)
    listable = models.SmallIntegerField(choices=Listable.choices, default=Listable.NONE)
    lobby_state = models.SmallIntegerField(choices=LobbyState.choices, default=LobbyState.NONE)
    lobby_timer = models.DateTimeField(null=True, blank=True)
    sip_enabled = models.SmallIntegerField(choices=SIPState.choices, default=SIPState.DISABLED)
    password = models.CharField(max_length=128, blank=True, help_text="Password hash; empty: none.")
    default_permissions = models.IntegerField(default=0)
    call_flag = models.SmallIntegerField(default=0, help_text="Union of the flags used to join this call.")
    active_since = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Start of the running call.")
    call_started_by = models.ForeignKey("Attendee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recording_consent = models.SmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now, db_index=True)
    peers_version = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="Moves on with every change of the call's peer list (GET /call's cache)."
    )

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = "room"
        ordering = ["id"]

    def __str__(self):
        return f"{self.label} ({self.token})"

    def one_to_one_user_ids(self) -> list[str]:
        """Return the two user ids a (former) one-to-one room stores as its JSON name; else ``[]``."""
        if self.type not in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE):
            return []
        try:
            value = json.loads(self.name)
        except (TypeError, ValueError):
            return []
        return [str(item) for item in value] if isinstance(value, list) else []

    @property
    def label(self) -> str:
        """Return what people call the room: its name, the two users of a one-to-one, or the token."""
        if user_ids := self.one_to_one_user_ids():
            return " & ".join(user_ids)
        return self.name or self.token

    @property
    def has_call(self) -> bool:
        return self.active_since is not None

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)

    @property
    def is_read_only(self) -> bool:
        return self.read_only == ReadOnly.READ_ONLY or self.type == RoomType.CHANGELOG

    def lobby_expired(self, now=None) -> bool:
        """Return whether the lobby's timer has passed (the lobby then counts as open)."""
        return self.lobby_timer is not None and self.lobby_timer <= (now or timezone.now())

    def effective_lobby_state(self, now=None) -> int:
        """Return the lobby state as clients see it: an expired timer counts as "no lobby".

        Read-only, like ``contrib.sessions`` reading ``expire_date__gt=now``: the next
        write of the room (``services.locking.lock_room``) or the periodic command stores it.
        """
        if self.lobby_state == LobbyState.NON_MODERATORS and self.lobby_expired(now):
            return LobbyState.NONE
        return self.lobby_state

    def effective_lobby_timer(self, now=None):
        """Return the lobby timer as clients see it: none once an expired timer opened the lobby."""
        if self.lobby_state == LobbyState.NON_MODERATORS and self.lobby_expired(now):
            return None
        return self.lobby_timer

    def lobby_active(self, now=None) -> bool:
        """Return whether the lobby holds non-moderators, counting an expired timer as open."""
        return self.effective_lobby_state(now) == LobbyState.NON_MODERATORS

    def effective_recording_consent(self) -> int:
        """Return the ``recordingConsent`` room field: room flag under 2, else the instance value."""
        setting = app_settings.RECORDING_CONSENT
        if setting == RecordingConsentSetting.OPTIONAL:
            return self.recording_consent
        return setting if setting in (0, 1) else 0


class AttendeeQuerySet(models.QuerySet):
    def for_actor(self, actor_type, actor_id):
        return self.filter(actor_type=actor_type, actor_id=actor_id)

    def moderators(self):
        return self.filter(participant_type__in=MODERATOR_TYPES)


class Attendee(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="attendees")
    actor_type = models.CharField(max_length=32, choices=ActorType.choices)
    actor_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=ATTENDEE_NAME_MAX_LENGTH, blank=True)
    participant_type = models.SmallIntegerField(choices=ParticipantType.choices, default=ParticipantType.USER)
    permissions = models.IntegerField(default=0, help_text="Raw attendee permissions; 0 inherits.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="talk_attendees"
    )
    last_joined_call = models.DateTimeField(null=True, blank=True)
    notification_level = models.SmallIntegerField(default=0)
    notification_calls = models.BooleanField(default=True)
    important = models.BooleanField(default=False)
    pin = models.CharField(max_length=32, blank=True)
    phone_number = models.CharField(max_length=64, blank=True)
    call_id = models.CharField(max_length=255, blank=True, help_text="Dial-out call id from the SIP backend.")
    dialout_state = models.CharField(max_length=16, choices=DialOutState.choices, blank=True, default=DialOutState.NONE)
    dialout_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the running dial-out started; none: this number may be dialed."
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AttendeeQuerySet.as_manager()

    class Meta:
        verbose_name = "attendee"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["room", "actor_type", "actor_id"], name="talk_attendee_unique_actor"),
        ]
        indexes = [models.Index(fields=["actor_type", "actor_id"], name="talk_attendee_actor_idx")]

    def __str__(self):
        return f"{self.actor_type}/{self.actor_id} in {self.room.token}"

    @property
    def is_moderator(self) -> bool:
        return self.participant_type in MODERATOR_TYPES

    @property
    def is_guest(self) -> bool:
        return self.participant_type in (ParticipantType.GUEST, ParticipantType.GUEST_MODERATOR)

    @property
    def is_user(self) -> bool:
        return self.actor_type == ActorType.USERS

    def effective_permissions(self, room: Room | None = None) -> int:
        """Return the attendee's permissions after inheritance (reference section 3.10)."""
        if self.is_moderator:
            return int(PERMISSIONS_MAX_DEFAULT)
        if self.permissions:
            return self.permissions
        room = room or self.room
        if room.default_permissions:
            return room.default_permissions
        return instance_default_permissions()

    def resolved_display_name(self) -> str:
        """Return the stored name, falling back for users to the live name and the user id."""
        if self.display_name or not self.is_user:
            return self.display_name
        if self.user is not None:
            return user_display_name(self.user)
        return self.actor_id


#: Columns of a ``GET /call`` peer row (``peerlist.peer_rows``), in order.
PEER_ROW_FIELDS = (
    "session_id",
    "last_ping",
    "attendee__actor_type",
    "attendee__actor_id",
    "attendee__display_name",
    "attendee__user_id",
)


class SessionQuerySet(models.QuerySet):
    def in_call(self):
        # (flags are 0..15)
        return self.filter(in_call__gt=InCallFlag.DISCONNECTED)

    def fresh(self, now=None):
        return self.filter(last_ping__gte=ping_cutoff(now))

    def fresh_in_call(self, room, now=None):
        """Sessions of ``room`` that count as in the call: in_call != 0 and pinged within the timeout."""
        return self.filter(room=room).in_call().fresh(now)

    def stale(self, now=None):
        return self.filter(last_ping__lt=kill_cutoff(now))


class Session(models.Model):
    """One Talk session: a device of an attendee that joined the room."""

    session_id = models.CharField(max_length=512, unique=True)
    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="sessions")
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="sessions", help_text="Denormalised attendee.room for indexes."
    )
    in_call = models.SmallIntegerField(default=0, help_text="In-call flags (InCallFlag).")
    last_ping = models.DateTimeField(default=timezone.now)
    state = models.SmallIntegerField(choices=SessionState.choices, default=SessionState.ACTIVE)
    django_session_key = models.CharField(max_length=64, blank=True, db_index=True)
    user_agent = models.CharField(max_length=255, blank=True, help_text="User-Agent of the joining request.")
    client_address = models.GenericIPAddressField(null=True, blank=True, help_text="Address the join came from.")
    created_at = models.DateTimeField(default=timezone.now)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = "session"
        ordering = ["id"]
        # Neither ``last_ping`` nor ``in_call`` is in an index (not even in an index's
        # condition), and on PostgreSQL the table leaves 60 % of each page free (fillfactor
        # 40, migration 0006): pings, joins, leaves and ending a call for thousands of
        # sessions at once are heap-only (HOT) updates, which write no index entry. The
        # sessions of a room are found through the ``room`` foreign key's index.

    def __str__(self):
        return f"{self.session_id[:12]}… ({self.attendee_id})"

    def is_fresh(self, now=None) -> bool:
        return self.last_ping >= ping_cutoff(now)


class CallEvent(models.Model):
    """One entry of the call history (the reference writes these as chat system messages)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="call_events")
    kind = models.CharField(max_length=32, choices=CallEventKind.choices)
    actor_type = models.CharField(max_length=32)
    actor_id = models.CharField(max_length=255)
    actor_display_name = models.CharField(max_length=255, blank=True)
    call_started_at = models.DateTimeField(null=True, blank=True, help_text="active_since of the call it belongs to.")
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "call event"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["room", "-created_at"], name="talk_callevent_room_idx")]

    def __str__(self):
        return f"{self.kind} in {self.room_id}"


class CallNotification(models.Model):
    """A "ringing" record for one user attendee and one call; processed when they join."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="call_notifications")
    attendee = models.ForeignKey(Attendee, on_delete=models.CASCADE, related_name="call_notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    caller_actor_type = models.CharField(max_length=32, blank=True)
    caller_actor_id = models.CharField(max_length=255, blank=True)
    call_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "call notification"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["attendee", "processed_at"], name="talk_callnotif_pending_idx")]

    def __str__(self):
        return f"ring {self.attendee_id} in {self.room_id}"


class RecordingConsent(models.Model):
    """One consent to being recorded, given when joining a call."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="recording_consents")
    actor_type = models.CharField(max_length=32)
    actor_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "recording consent"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.actor_type}/{self.actor_id} consented in {self.room_id}"
