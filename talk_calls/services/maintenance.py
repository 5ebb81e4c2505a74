"""The periodic work of a talk_calls site, in one call: run ``periodic_cleanup`` every minute
(``manage.py talk_calls_cleanup`` from cron or a scheduler).

Reads never clean up (issue 11): a participant-list read only hides sessions past the kill
timeout, so a flood of reads costs no writes. This sweep removes them through the leave
path, stores expired lobby timers, ends calls past ``MAX_CALL_DURATION``, forgets dial-outs the backend never reported
on, and clears the expired Django sessions that anonymous guests leave behind.
"""

from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from ..conf import app_settings
from ..constants import DialOutState
from ..models import Attendee
from .calls import end_expired_calls
from .rooms import open_expired_lobbies
from .sessions import expire_stale_sessions


@dataclass
class CleanupReport:
    stale_sessions: int
    opened_lobbies: int
    ended_calls: int
    expired_dialouts: int
    django_sessions_cleared: bool


def expire_dialouts(*, now=None) -> int:
    """Mark dial-outs older than ``DIALOUT_TIMEOUT`` without an outcome as failed; return how many."""
    cutoff = (now or timezone.now()) - timedelta(seconds=app_settings.DIALOUT_TIMEOUT)
    return Attendee.objects.filter(dialout_started_at__lt=cutoff).update(
        dialout_started_at=None, dialout_state=DialOutState.FAILED
    )


def clear_expired_django_sessions() -> bool:
    """Run the session engine's ``clear_expired``; return False for engines that cannot
    (signed cookies keep nothing on the server)."""
    engine = import_module(settings.SESSION_ENGINE)
    try:
        engine.SessionStore.clear_expired()
    except NotImplementedError:
        return False
    return True


def periodic_cleanup(*, now=None) -> CleanupReport:
    """Run every periodic task once and report what each did."""
    return CleanupReport(
        stale_sessions=expire_stale_sessions(now=now),
        opened_lobbies=open_expired_lobbies(now=now),
        ended_calls=end_expired_calls(now=now),
        expired_dialouts=expire_dialouts(now=now),
        django_sessions_cleared=clear_expired_django_sessions(),
    )
