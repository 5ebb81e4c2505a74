"""Ringing: CallNotification records (reference sections 3.5 and 3.8).

Below ``calls`` in the services package: ``ring_on_call_start`` and ``mark_processed`` are
called by ``calls.join_call`` inside its transaction (room lock held); ``ring_attendee`` is the service behind
``POST /call/{token}/ring/{attendeeId}``; ``notification_state`` answers the clients'
``GET /call/{token}/notification-state`` polls with one query. A host that pushes
notifications to phones connects to ``signals.call_started`` /
``signals.participant_rung`` and reads the rows.
"""

from datetime import timedelta

from django.db import transaction
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
from ..models import Attendee, CallNotification, Room, Session
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


def ring_on_call_start(room: Room, caller: Attendee, *, silent_for=(), now=None) -> list[CallNotification]:
    """Mark the room's pending notifications processed; create one per user attendee who
    should hear the call start, in one bulk insert.

    Recipients: ``users`` attendees with call notifications on and no fresh session in
    the call; with the lobby on only moderators and attendees whose raw permissions
    contain LOBBY_IGNORE; minus the caller and the ``silent_for`` user ids.
    """
    now = now or timezone.now()
    # Rows still ringing belong to an earlier call: none of them rings any more.
    CallNotification.objects.filter(room=room, processed_at__isnull=True).update(processed_at=now)
    if room.object_type in SILENT_OBJECT_TYPES:
        return []
    fresh_in_call = Session.objects.fresh_in_call(room, now).filter(attendee=OuterRef("pk"))
    candidates = (
        Attendee.objects.filter(room=room, actor_type=ActorType.USERS, notification_calls=True)
        .exclude(Exists(fresh_in_call))
        .exclude(pk=caller.pk)
        .exclude(actor_id__in=list(silent_for))
    )
    recipients = list(candidates)
    if room.lobby_active(now):
        # The reference lets owners, moderators and raw LOBBY_IGNORE holders through.
        recipients = [
            a
            for a in recipients
            if a.participant_type in USER_MODERATOR_TYPES or a.permissions & Permission.LOBBY_IGNORE
        ]
    return CallNotification.objects.bulk_create([ringing_row(room, attendee, caller, now) for attendee in recipients])


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
