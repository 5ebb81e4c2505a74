"""The app's own receivers of host events: Django logout ends the Talk sessions of that
browser; deleting a user removes their attendees through the leave path and turns their
one-to-one rooms into read-only former one-to-one rooms (CONTRACT section 8); every
participant change wakes the room's internal-signaling polls.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .access import Actor, TalkSessionMap
from .services.sessions import end_talk_sessions
from .services.users import remove_user
from .signaling import relay
from .signals import participants_changed


@receiver(user_logged_out, dispatch_uid="talk_calls_logout")
def end_sessions_on_logout(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    end_talk_sessions(Actor(user=user, sessions=TalkSessionMap(request.session)))


@receiver(pre_delete, dispatch_uid="talk_calls_user_deleted")
def remove_deleted_user(sender, instance, **kwargs):
    if sender is not get_user_model():
        return
    remove_user(instance)


@receiver(participants_changed, dispatch_uid="talk_calls_wake_signaling")
def wake_signaling_polls(sender, room, session_ids, **kwargs):
    """Wake every waiting signaling poll of the room with a fresh ``usersInRoom`` (talk-signaling A7)."""
    relay.wake_from_sync(room.pk, session_ids)
