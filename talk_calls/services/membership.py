"""Who is in a room: adding users and groups as attendees, and one-to-one partners.

Helpers of the services above (calls, rooms); they write attendee rows inside the
caller's transaction and take no lock of their own, so callers hold the room lock where
the reference needs it.
"""

import json

from django.contrib.auth.models import Group
from django.db import transaction

from .. import signals
from ..constants import ActorType, ParticipantType, RoomType
from ..models import Attendee, Room, attendee_display_name, users_by_username
from .events import participants_changed, send_on_commit


def add_user(room: Room, user, participant_type: int = ParticipantType.USER) -> tuple[Attendee, bool]:
    """Add ``user`` to ``room`` (a self-joined user becomes a plain user); return it and whether it is new."""
    attendee, created = Attendee.objects.get_or_create(
        room=room,
        actor_type=ActorType.USERS,
        actor_id=user.get_username(),
        defaults={"participant_type": participant_type, "user": user, "display_name": attendee_display_name(user)},
    )
    if not created and attendee.participant_type == ParticipantType.USER_SELF_JOINED:
        Attendee.objects.filter(pk=attendee.pk).update(participant_type=ParticipantType.USER)
        attendee.participant_type = ParticipantType.USER
    return attendee, created


def add_group(room: Room, group: Group) -> list[Attendee]:
    """Add the group as a ``groups`` attendee and each member as a user (reference addGroup)."""
    Attendee.objects.get_or_create(
        room=room,
        actor_type=ActorType.GROUPS,
        actor_id=group.name,
        defaults={"participant_type": ParticipantType.USER, "display_name": group.name},
    )
    return [add_user(room, member)[0] for member in group.user_set.all()]


def one_to_one_name(user_a: str, user_b: str) -> str:
    """Return the stored name of the one-to-one room of two user ids (a sorted JSON list)."""
    return json.dumps(sorted([user_a, user_b]))


def readd_one_to_one_partners(room: Room, *, only: str | None = None) -> list[Attendee]:
    """Re-add a one-to-one room's missing users as OWNER (reference section 3.2 step 4); return the new attendees.

    ``only`` (a user id of the room) re-adds just that user, as the reference does when a
    user creates a one-to-one that exists. Does nothing for other room types, or for a
    partner whose account no longer exists.
    """
    if room.type != RoomType.ONE_TO_ONE:
        return []
    user_ids = room.one_to_one_user_ids()
    if only is not None:
        user_ids = [user_id for user_id in user_ids if user_id == only]
    present = set(
        Attendee.objects.filter(room=room, actor_type=ActorType.USERS, actor_id__in=user_ids).values_list(
            "actor_id", flat=True
        )
    )
    missing = [user_id for user_id in user_ids if user_id not in present]
    if not missing:
        return []
    added = []
    with transaction.atomic():
        for user in users_by_username(missing):
            attendee, created = add_user(room, user, ParticipantType.OWNER)
            if created:
                added.append(attendee)
        if added:
            participants_changed(room, [])
            send_on_commit(signals.attendees_added, room, attendees=added)
    return added
