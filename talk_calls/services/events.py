"""What happened in a room: call history rows, room activity and post-commit announcements.

The layer just above ``locking``: every service records and announces through these
functions, and ``participants_changed`` is the one place every participant change
passes through (internal signaling listens to it).
"""

from functools import partial

from django.db import transaction
from django.utils import timezone

from .. import signals
from ..constants import ONE_TO_ONE_TYPES, SYSTEM_ACTOR_ID, ActorType, CallEventKind
from ..models import Attendee, CallEvent, Room, Session


def send_on_commit(signal, room: Room, **kwargs) -> None:
    """Send ``signal`` for ``room`` once the current transaction commits."""
    transaction.on_commit(partial(signal.send, sender=Room, room=room, **kwargs))


def participants_changed(room: Room, session_ids) -> None:
    """Send ``signals.participants_changed`` for ``room`` and these Talk session ids on commit."""
    send_on_commit(signals.participants_changed, room, session_ids=list(session_ids))


def permissions_changed(room: Room, session_ids) -> None:
    """Announce a permission or type change: internal signaling hears ``participants_changed``,
    a signaling server also ``permissions_changed``."""
    session_ids = list(session_ids)
    participants_changed(room, session_ids)
    send_on_commit(signals.permissions_changed, room, session_ids=session_ids)


def room_modified(room: Room) -> None:
    send_on_commit(signals.room_modified, room)


def record_event(room: Room, kind: str, attendee: Attendee | None, *, parameters=None, call_started_at=None, now=None):
    """Insert one CallEvent; ``attendee`` None records the system actor (guests/system)."""
    actor_type: str
    if attendee is None:
        actor_type, actor_id, name = ActorType.GUESTS, SYSTEM_ACTOR_ID, ""
    else:
        actor_type, actor_id, name = attendee.actor_type, attendee.actor_id, attendee.resolved_display_name()
    return CallEvent.objects.create(
        room=room,
        kind=kind,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_display_name=name,
        parameters=parameters or {},
        call_started_at=call_started_at,
        created_at=now or timezone.now(),
    )


def call_summary(room: Room, started_at, now) -> dict:
    """Return the ``users``, ``cloudIds``, ``guests`` and ``duration`` parameters of an ended call."""
    joined = Attendee.objects.filter(
        room=room,
        last_joined_call__gte=started_at,
        actor_type__in=(ActorType.USERS, ActorType.FEDERATED_USERS, ActorType.GUESTS, ActorType.EMAILS),
    ).values_list("actor_type", "actor_id")
    users, cloud_ids, guests = [], [], 0
    for actor_type, actor_id in joined:  # one query
        if actor_type == ActorType.USERS:
            users.append(actor_id)
        elif actor_type == ActorType.FEDERATED_USERS:
            cloud_ids.append(actor_id)
        else:
            guests += 1
    users.sort()
    cloud_ids.sort()
    duration = max(0, int((now - started_at).total_seconds()))
    return {"users": users, "cloudIds": cloud_ids, "guests": guests, "duration": duration}


def ended_kind(room: Room, summary: dict) -> str:
    """Return ``call_missed`` for one-to-one calls that only one user attended, else ``call_ended``."""
    if room.type in ONE_TO_ONE_TYPES and len(summary["users"]) == 1 and not summary["guests"]:
        return CallEventKind.CALL_MISSED
    return CallEventKind.CALL_ENDED


def room_session_ids(room: Room, attendees=None) -> list[str]:
    """Return the Talk session ids of the room (or of ``attendees`` in it), to announce a change to."""
    sessions = Session.objects.filter(room=room)
    if attendees is not None:
        sessions = sessions.filter(attendee__in=attendees)
    return list(sessions.values_list("session_id", flat=True))


def touch_room(room: Room, now=None) -> None:
    """Record activity in the room (``last_activity``, the room list's ``modifiedSince``)."""
    now = now or timezone.now()
    Room.objects.filter(pk=room.pk).update(last_activity=now)
    room.last_activity = now
