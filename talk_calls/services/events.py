"""Call history and post-commit announcements shared by the services."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from .. import signals
from ..constants import SYSTEM_ACTOR_ID, ActorType, CallEventKind, RoomType
from ..models import Attendee, CallEvent, Room


def send_on_commit(signal, room: Room, **kwargs) -> None:
    """Send ``signal`` for ``room`` once the current transaction commits."""
    transaction.on_commit(partial(signal.send, sender=Room, room=room, **kwargs))


def participants_changed(room: Room, session_ids) -> None:
    send_on_commit(signals.participants_changed, room, session_ids=list(session_ids))


def record_event(room: Room, kind: str, attendee: Attendee | None, *, parameters=None, call_started_at=None, now=None):
    """Insert one CallEvent; ``attendee`` None records the system actor (guests/system)."""
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
    one_to_one = room.type in (RoomType.ONE_TO_ONE, RoomType.FORMER_ONE_TO_ONE)
    if one_to_one and len(summary["users"]) == 1 and not summary["guests"]:
        return CallEventKind.CALL_MISSED
    return CallEventKind.CALL_ENDED
