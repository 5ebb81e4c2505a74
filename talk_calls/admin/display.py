"""How the admin shows call state: permissions and in-call flags in words, ping age, counts.

Pure helpers without queries, except ``live_count_subquery``, an annotation that lists
use to count live participants per room in the same query.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ..constants import MODERATOR_TYPES, InCallFlag, Permission
from ..models import Attendee, CallEvent, Room, Session, kill_cutoff, ping_cutoff

PERMISSION_WORDS = {
    Permission.CALL_START: "start call",
    Permission.CALL_JOIN: "join call",
    Permission.LOBBY_IGNORE: "ignore lobby",
    Permission.PUBLISH_AUDIO: "audio",
    Permission.PUBLISH_VIDEO: "video",
    Permission.PUBLISH_SCREEN: "screen",
    Permission.CHAT: "chat",
}
FLAG_ICONS = {
    # Symbols that common fonts (DejaVu included) draw, unlike most emoji.
    InCallFlag.IN_CALL: ("\N{BLACK TELEPHONE}", "in call"),
    InCallFlag.WITH_AUDIO: ("\N{EIGHTH NOTE}", "audio"),
    InCallFlag.WITH_VIDEO: ("\N{BLACK RIGHT-POINTING TRIANGLE}", "video"),
    InCallFlag.WITH_PHONE: ("\N{TELEPHONE LOCATION SIGN}", "phone"),
}


def permission_words(value: int) -> list[str]:
    """Return the names of the permission bits set in ``value`` (CUSTOM is a marker, not a right)."""
    return [word for bit, word in PERMISSION_WORDS.items() if value & bit]


def describe_permissions(attendee: Attendee, room: Room) -> str:
    """Return the attendee's effective permissions in words, saying where they come from."""
    words = ", ".join(permission_words(attendee.effective_permissions(room))) or "none"
    if attendee.participant_type in MODERATOR_TYPES:
        source = "moderator"
    elif attendee.permissions:
        source = "custom"
    elif room.default_permissions:
        source = "room default"
    else:
        source = "instance default"
    return f"{words} ({source})"


def flag_badges(value: int):
    """Return the in-call flags as icon + word badges, or "not in call"."""
    if not value & InCallFlag.IN_CALL:
        return format_html('<span class="talk-flag talk-flag-off">{}</span>', "not in call")
    return format_html_join(
        " ",
        '<span class="talk-flag" title="{1}">{0} {1}</span>',
        (icon_word for bit, icon_word in FLAG_ICONS.items() if value & bit),
    )


def ping_state(session: Session, now=None) -> tuple[int, str]:
    """Return seconds since the last ping and ``fresh`` / ``not fresh`` / ``stale`` (models' cut-offs)."""
    now = now or timezone.now()
    seconds = max(0, int((now - session.last_ping).total_seconds()))
    if session.last_ping < kill_cutoff(now):
        return seconds, "stale"
    if session.last_ping < ping_cutoff(now):
        return seconds, "not fresh"
    return seconds, "fresh"


def ping_badge(session: Session, now=None):
    seconds, state = ping_state(session, now)
    if state == "fresh":
        return format_html('<span class="talk-ping">{} s</span>', seconds)
    label = "stale: expire to remove" if state == "stale" else "not fresh: not counted in the call"
    return format_html('<span class="talk-ping talk-{}">{} s ({})</span>', state.replace(" ", "-"), seconds, label)


def live_count_subquery(now=None):
    """Count of the room's sessions in the call with a fresh ping (uses the partial in-call index)."""
    sessions = (
        Session.objects.filter(
            room=OuterRef("pk"), in_call__gt=InCallFlag.DISCONNECTED, last_ping__gte=ping_cutoff(now)
        )
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sessions, output_field=IntegerField()), 0)


def attendee_label(attendee: Attendee) -> str:
    """Return the name an operator knows the attendee by: the display name, or "Guest" and a short id."""
    name = attendee.resolved_display_name()
    if name:
        return name
    if attendee.is_guest or attendee.actor_type in ("guests", "emails"):
        return f"Guest {attendee.actor_id[:6]}"
    return attendee.actor_id


def device_summary(session: Session) -> str:
    """Return the session's client address and a short user agent, or "-"."""
    agent = session.user_agent
    if len(agent) > 80:  # keep the end, where browsers and apps name themselves
        agent = agent[:30] + "…" + agent[-45:]
    return " · ".join(part for part in (session.client_address or "", agent) if part) or "-"


def event_summary(event: CallEvent) -> str:
    """Return an event's parameters in words (duration, users, guests, silent)."""
    params = event.parameters if isinstance(event.parameters, dict) else {}
    parts = []
    if "duration" in params:
        parts.append(f"{params['duration']} s")
    if params.get("users"):
        parts.append("users: " + ", ".join(str(u) for u in params["users"]))
    if params.get("guests"):
        parts.append(f"guests: {params['guests']}")
    if params.get("silent"):
        parts.append("silent")
    return "; ".join(parts) or "-"
