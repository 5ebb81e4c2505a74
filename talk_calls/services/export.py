"""The call's participant list as CSV for moderators (reference section 3.12, CONTRACT section 8).

Cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) are prefixed with ``'``.
"""

import csv
import io
import re

from django.utils import timezone

from ..constants import ActorType
from ..exceptions import DownloadRefused
from ..models import Attendee, Room

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
FILENAME_UNSAFE = re.compile(r'[/\\:*?"<>|\- ]+')


def escape_formula(value: str) -> str:
    """Return ``value`` made inert for spreadsheets."""
    return "'" + value if FORMULA_START.match(value) else value


def participants_csv(room: Room, *, now=None) -> tuple[str, str]:
    """Return ``(file name, CSV text)`` of the attendees who joined the running call.

    Columns ``name,email,type,identifier``; the e-mail is the user's ``email`` for users.
    Raise ``DownloadRefused`` (400 ``[]``) when no call runs or nobody joined it yet.
    """
    if room.active_since is None:
        raise DownloadRefused("There is no call in this conversation to download the participants of")
    attendees = list(
        Attendee.objects.filter(room=room, last_joined_call__gte=room.active_since)
        .select_related("user")
        .order_by("id")
    )
    if not attendees:
        raise DownloadRefused("Nobody has joined the call yet")
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")  # RFC 4180; quotes cells holding \r or \n on every Python
    writer.writerow(["name", "email", "type", "identifier"])
    for attendee in attendees:
        email = ""
        if attendee.actor_type == ActorType.USERS and attendee.user is not None:
            email = getattr(attendee.user, "email", "") or ""
        elif attendee.actor_type == ActorType.EMAILS:
            email = attendee.actor_id
        row = [attendee.display_name, email, attendee.actor_type, attendee.actor_id]
        writer.writerow([escape_formula(str(cell)) for cell in row])
    name = FILENAME_UNSAFE.sub("-", room.name)[:100]
    date = timezone.localdate(now or timezone.now())
    return f"{name} {date:%Y-%m-%d}.csv", output.getvalue()
