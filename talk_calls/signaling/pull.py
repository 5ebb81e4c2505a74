"""The database steps of ``GET signaling/{token}`` (talk-signaling A5), around the wait.

``start`` finds the caller's session and refreshes its ``last_ping``; the view then
waits on the channel layer with no database connection open; ``finish`` builds the
answer: the messages, then ``usersInRoom`` at the end, or 404/409 when the session went
away meanwhile. Both run a fixed number of queries whatever the room size.
"""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from ..access import Actor
from ..constants import ActorType
from ..models import Room, Session
from ..services.sessions import touch_session

#: Sessions pinged within this many seconds are listed in ``usersInRoom`` (reference: 40 s).
USERS_IN_ROOM_WINDOW = 40


def empty_users() -> dict:
    return {"type": "usersInRoom", "data": []}


def find_session(token: str, actor: Actor) -> Session | None:
    """Return the caller's live Talk session of room ``token`` (attendee and room loaded), or None."""
    session_id = actor.sessions.session_id(token)
    if not session_id:
        return None
    session = (
        Session.objects.select_related("attendee", "room").filter(session_id=session_id, room__token=token).first()
    )
    if session is None or not actor.owns(session.attendee, token):
        return None
    return session


def start(token: str, actor: Actor) -> Session | None:
    """Return the caller's session with ``last_ping`` refreshed (None: 404), then close the
    database connection so the wait holds none (outside a transaction only)."""
    session = find_session(token, actor)
    if session is not None:
        touch_session(session)
    if not connection.in_atomic_block:
        connection.close()
    return session


def user_entry(session: Session, room: Room) -> dict:
    attendee = session.attendee
    return {
        "userId": attendee.actor_id if attendee.actor_type == ActorType.USERS else "",
        "roomId": room.pk,
        "lastPing": int(session.last_ping.timestamp()),
        "sessionId": session.session_id,
        "inCall": session.in_call,
        "participantPermissions": attendee.effective_permissions(room),
        "actorType": attendee.actor_type,
        "actorId": attendee.actor_id,
    }


def users_in_room(room: Room, *, pinged_at) -> list[dict]:
    """Return the ``usersInRoom`` entries: every session pinged in the last 40 s (one query)."""
    since = min(timezone.now() - timedelta(seconds=USERS_IN_ROOM_WINDOW), pinged_at) - timedelta(seconds=1)
    sessions = Session.objects.filter(room=room, last_ping__gt=since).select_related("attendee").order_by("pk")
    return [user_entry(session, room) for session in sessions]


def finish(session: Session, messages: list[str]) -> tuple[list, int]:
    """Return ``(data, status)`` of the answer after the wait (reference A5 step 5)."""
    entries: list = [{"type": "message", "data": text} for text in messages]
    current = Session.objects.select_related("room").filter(pk=session.pk).first()
    if current is not None:
        return [
            *entries,
            {"type": "usersInRoom", "data": users_in_room(current.room, pinged_at=session.last_ping)},
        ], 200
    entries.append(empty_users())
    return entries, 409 if replaced(session) else 404


def replaced(session: Session) -> bool:
    """Return whether the attendee of a vanished session holds another one in the room (409),
    the reference's "duplicate session"; a session that left or was removed answers 404."""
    return Session.objects.filter(room_id=session.room_id, attendee_id=session.attendee_id).exists()
