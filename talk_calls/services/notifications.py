"""Ringing: CallNotification records (reference sections 3.5 and 3.8).

Below ``calls`` in the services package: ``ring_on_call_start`` and ``mark_processed`` are
called by ``calls.join_call`` inside its transaction (room lock held); ``ring_attendee`` is the service behind
``POST /call/{token}/ring/{attendeeId}``; ``notification_state`` answers the clients'
``GET /call/{token}/notification-state`` polls with one query. A host that pushes
notifications to phones connects to ``signals.call_started`` /
``signals.participant_rung`` and reads the rows.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import signals
from ..access import Participant
from ..constants import (
    CALL_NOTIFICATION_RERING_SECONDS,
    USER_MODERATOR_TYPES,
    ActorType,
    InCallFlag,
    NotificationStateCase,
    Permission,
)
from ..exceptions import NO_CALL, NOT_IN_CALL, BadRequest, NotFound
from ..models import Attendee, CallNotification, Room, Session, ping_cutoff
from ..sqlrows import pk_column
from .events import send_on_commit
from .locking import lock_room

#: Rooms of this object type never ring when a call starts (reference section 3.8).
SILENT_OBJECT_TYPES = ("file",)


def ringing_row(room: Room, attendee: Attendee, caller: Attendee, now) -> CallNotification:
    """Return an unsaved ringing row for ``attendee`` in the room's running call."""
    return CallNotification(
        room=room,
        attendee=attendee,
        user_id=attendee.user_id,
        caller_actor_type=caller.actor_type,
        caller_actor_id=caller.actor_id,
        call_started_at=room.active_since,
        created_at=now,
    )


def _ring_statement(silent_for: int, lobby: bool) -> str:
    """Return the INSERT ... SELECT of ``ring_on_call_start`` (who to ring and the rows, in one
    statement) for ``silent_for`` excluded user ids, with the lobby's rule when ``lobby``."""
    quote = connection.ops.quote_name
    notification, attendee, session = (quote(m._meta.db_table) for m in (CallNotification, Attendee, Session))
    fields = ("room", "attendee", "user", "caller_actor_type", "caller_actor_id", "call_started_at", "created_at")
    by_name = {field.name: field for field in CallNotification._meta.concrete_fields}
    columns = ", ".join(quote(str(by_name[name].column)) for name in (*fields, "processed_at"))
    pk = quote(pk_column(Attendee))
    excluded = ""
    if silent_for:
        excluded = f" AND a.{quote('actor_id')} NOT IN ({', '.join(['%s'] * silent_for)})"
    lobby_rule = ""
    if lobby:
        moderators = ", ".join(str(int(kind)) for kind in USER_MODERATOR_TYPES)
        ignore = int(Permission.LOBBY_IGNORE)
        lobby_rule = (
            f" AND (a.{quote('participant_type')} IN ({moderators}) OR (a.{quote('permissions')} & {ignore}) <> 0)"
        )
    return (
        f"INSERT INTO {notification} ({columns})"
        f" SELECT a.{quote('room_id')}, a.{pk}, a.{quote('user_id')}, %s, %s, %s, %s, NULL FROM {attendee} a"
        f" WHERE a.{quote('room_id')} = %s AND a.{quote('actor_type')} = %s AND a.{quote('notification_calls')} = %s"
        f" AND a.{pk} <> %s{excluded}{lobby_rule}"
        f" AND NOT EXISTS (SELECT 1 FROM {session} s WHERE s.{quote('attendee_id')} = a.{pk}"
        f" AND s.{quote('room_id')} = %s AND s.{quote('in_call')} > 0 AND s.{quote('last_ping')} >= %s)"
    )


def ring_on_call_start(room: Room, caller: Attendee, *, silent_for=(), now=None, earlier_pending: bool = True) -> int:
    """Mark the room's pending notifications processed (only when ``earlier_pending``: the
    caller knows whether there are any); create one per user attendee who should hear the
    call start, in one INSERT ... SELECT; return how many.

    Recipients: ``users`` attendees with call notifications on and no fresh session in
    the call; with the lobby on only moderators and attendees whose raw permissions
    contain LOBBY_IGNORE; minus the caller and the ``silent_for`` user ids.
    """
    now = now or timezone.now()
    if earlier_pending:
        # Rows still ringing belong to an earlier call: none of them rings any more.
        CallNotification.objects.filter(room=room, processed_at__isnull=True).update(processed_at=now)
    if room.object_type in SILENT_OBJECT_TYPES:
        return 0
    silent_for = [str(user_id) for user_id in silent_for]
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        caller.actor_type,
        caller.actor_id,
        adapt(room.active_since),
        adapt(now),
        room.pk,
        str(ActorType.USERS),
        True,
        caller.pk,
        *silent_for,
        room.pk,
        adapt(ping_cutoff(now)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_ring_statement(len(silent_for), room.lobby_active(now)), params)
        return cursor.rowcount


def mark_processed(room: Room, attendee: Attendee, *, now=None) -> int:
    """Mark the attendee's pending notifications of this room processed; return how many."""
    return CallNotification.objects.filter(room=room, attendee=attendee, processed_at__isnull=True).update(
        processed_at=now or timezone.now()
    )


def ring_attendee(participant: Participant, attendee_id: int, *, now=None) -> CallNotification:
    """Ring one attendee of the caller's room again (reference section 3.5, CONTRACT section 8).

    Locks the room. Raise ``BadRequest("in-call")`` when the room has no call or the
    caller's session is not in it; ``NotFound()`` (data null) when ``attendee_id`` is not
    an attendee of this room; ``BadRequest("actor-type")`` when the target is not a user;
    ``BadRequest("in-call")`` when the target already has a fresh session in the call.
    Otherwise mark the target's pending notifications of this room processed, create a
    new one and send ``participant_rung`` on commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        room = lock_room(participant.room)
        if not room.call_flag or room.active_since is None:
            raise BadRequest("in-call", NO_CALL)
        session = participant.session
        in_call = None
        if session is not None:
            in_call = Session.objects.filter(pk=session.pk).values_list("in_call", flat=True).first()
        if not in_call:
            raise BadRequest("in-call", NOT_IN_CALL)
        target = Attendee.objects.filter(pk=attendee_id, room=room).select_related("user").first()
        if target is None:
            raise NotFound(None, "No attendee with this id in this conversation")
        if target.actor_type != ActorType.USERS:
            raise BadRequest("actor-type", "Only users can be rung, not guests, groups or phone numbers")
        if Session.objects.fresh_in_call(room, now).filter(attendee=target).exists():
            raise BadRequest("in-call", "This attendee is already in the call")
        caller = participant.attendee
        mark_processed(room, target, now=now)
        notification = ringing_row(room, target, caller, now)
        notification.save()
        send_on_commit(signals.participant_rung, room, attendee=target, caller=caller, notification=notification)
        return notification


def notification_state(token: str, user, *, now=None) -> NotificationStateCase:
    """Return what a ringing client of ``user`` should do for room ``token`` (reference section 3.8).

    One query. ``ROOM_NOT_FOUND`` when the user is not an attendee of that room;
    ``MISSED_CALL`` when no call runs; ``PARTICIPANT_JOINED`` when one of the user's
    sessions is in the call; ``STILL_CURRENT`` when the user has not joined this call;
    after joining and leaving, ``PARTICIPANT_JOINED`` for the first 60 seconds of the
    call and ``STILL_CURRENT`` afterwards (a moderator may ring them again).
    """
    now = now or timezone.now()
    in_call = Session.objects.filter(attendee=OuterRef("pk")).exclude(in_call=InCallFlag.DISCONNECTED)
    row = (
        Attendee.objects.filter(room__token=token, actor_type=ActorType.USERS, actor_id=user.get_username())
        .annotate(in_call=Exists(in_call))
        .values("room__active_since", "last_joined_call", "in_call")
        .first()
    )
    if row is None:
        return NotificationStateCase.ROOM_NOT_FOUND
    active_since = row["room__active_since"]
    if active_since is None:
        return NotificationStateCase.MISSED_CALL
    if row["in_call"]:
        return NotificationStateCase.PARTICIPANT_JOINED
    last_joined = row["last_joined_call"]
    if last_joined is None or int(active_since.timestamp()) >= int(last_joined.timestamp()):
        return NotificationStateCase.STILL_CURRENT
    if active_since + timedelta(seconds=CALL_NOTIFICATION_RERING_SECONDS) < now:
        return NotificationStateCase.STILL_CURRENT
    return NotificationStateCase.PARTICIPANT_JOINED
