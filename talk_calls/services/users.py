"""What happens to Talk state when a host user goes away (CONTRACT section 8)."""

from django.db import transaction

from ..constants import ActorType, ReadOnly, RoomType
from ..models import Attendee, Room, Session
from .sessions import remove_session


def remove_user(user) -> None:
    """End the user's sessions through the leave path, make their one-to-one rooms former
    one-to-one and read-only, and delete their attendees."""
    attendees = Attendee.objects.filter(actor_type=ActorType.USERS, actor_id=user.get_username())
    for session in Session.objects.filter(attendee__in=attendees).select_related("attendee", "room"):
        remove_session(session)
    with transaction.atomic():
        Room.objects.filter(type=RoomType.ONE_TO_ONE, attendees__in=attendees).update(
            type=RoomType.FORMER_ONE_TO_ONE, read_only=ReadOnly.READ_ONLY
        )
        Attendee.objects.filter(pk__in=list(attendees.values_list("pk", flat=True))).delete()
