"""Ringing: CallNotification records (reference section 3.8).

Called by the call services inside their transaction (room lock held); they only write
rows. A host that pushes notifications to phones connects to ``signals.call_started`` /
``signals.participant_rung`` and reads the rows.
"""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..constants import MODERATOR_TYPES, ActorType, Permission
from ..models import Attendee, CallNotification, Room, Session


def ring_on_call_start(room: Room, caller: Attendee, *, silent_for=(), now=None) -> list[CallNotification]:
    """Create one notification per user attendee who should hear the call start.

    Recipients: ``users`` attendees with call notifications on and no fresh session in
    the call; with the lobby on only moderators and attendees whose raw permissions
    contain LOBBY_IGNORE; minus the caller and the ``silent_for`` user ids.
    """
    now = now or timezone.now()
    fresh_in_call = Session.objects.fresh_in_call(room, now).filter(attendee=OuterRef("pk"))
    recipients = (
        Attendee.objects.filter(room=room, actor_type=ActorType.USERS, notification_calls=True)
        .exclude(Exists(fresh_in_call))
        .exclude(pk=caller.pk)
        .exclude(actor_id__in=list(silent_for))
    )
    if room.lobby_active(now):
        recipients = [
            a for a in recipients if a.participant_type in MODERATOR_TYPES or a.permissions & Permission.LOBBY_IGNORE
        ]
    recipients = list(recipients)
    CallNotification.objects.filter(room=room, processed_at__isnull=True).update(processed_at=now)
    return CallNotification.objects.bulk_create(
        [
            CallNotification(
                room=room,
                attendee=attendee,
                user_id=attendee.user_id,
                caller_actor_type=caller.actor_type,
                caller_actor_id=caller.actor_id,
                call_started_at=room.active_since,
                created_at=now,
            )
            for attendee in recipients
        ]
    )


def mark_processed(room: Room, attendee: Attendee, *, now=None) -> int:
    """Mark the attendee's pending notifications of this room processed; return how many."""
    return CallNotification.objects.filter(room=room, attendee=attendee, processed_at__isnull=True).update(
        processed_at=now or timezone.now()
    )
