"""Conversation changes around calls: attendees, moderators (reference section 5).

Like every service, these take the room lock first and announce changes on commit.
"""

from django.db import transaction

from ..constants import ParticipantType
from ..exceptions import BadRequest
from ..models import Attendee, Room, Session
from .calls import _disconnect, end_call_if_empty, lock_room
from .events import participants_changed

_PROMOTE = {
    ParticipantType.USER: ParticipantType.MODERATOR,
    ParticipantType.USER_SELF_JOINED: ParticipantType.MODERATOR,
    ParticipantType.GUEST: ParticipantType.GUEST_MODERATOR,
}
_DEMOTE = {
    ParticipantType.MODERATOR: ParticipantType.USER,
    ParticipantType.GUEST_MODERATOR: ParticipantType.GUEST,
}


def remove_attendee(room: Room, attendee: Attendee) -> None:
    """Remove ``attendee`` and its sessions from ``room``: out of the call first (``call_left``),
    then the call ends (system actor) if nobody fresh is left. Locks the room."""
    with transaction.atomic():
        room = lock_room(room)
        sessions = list(Session.objects.filter(attendee=attendee))
        for session in sessions:
            _disconnect(room, attendee, session)
        Attendee.objects.filter(pk=attendee.pk).delete()
        end_call_if_empty(room)
        participants_changed(room, [s.session_id for s in sessions])


def _change_type(room: Room, attendee: Attendee, mapping: dict) -> None:
    with transaction.atomic():
        lock_room(room)
        current = Attendee.objects.select_for_update().get(pk=attendee.pk)
        new_type = mapping.get(current.participant_type)
        if new_type is None:
            raise BadRequest()
        fields = {"participant_type": new_type}
        if mapping is _PROMOTE:
            fields["permissions"] = 0
        Attendee.objects.filter(pk=attendee.pk).update(**fields)
        for name, value in fields.items():
            setattr(attendee, name, value)
        participants_changed(room, Session.objects.filter(attendee=attendee).values_list("session_id", flat=True))


def promote_moderator(room: Room, attendee: Attendee) -> None:
    """Make a user (3, 5) a moderator (2) or a guest (4) a guest moderator (6); reset custom
    permissions. Raise ``BadRequest()`` for owners, moderators and other actors."""
    _change_type(room, attendee, _PROMOTE)


def demote_moderator(room: Room, attendee: Attendee) -> None:
    """Make a moderator (2) a user (3) or a guest moderator (6) a guest (4); ``BadRequest()`` otherwise."""
    _change_type(room, attendee, _DEMOTE)
