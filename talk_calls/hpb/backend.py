"""Answers to the signaling server's backend requests (talk-signaling.md section C3).

``handle(message)`` takes the verified JSON body of ``POST .../signaling/backend`` and
returns the OCS ``data`` the server expects: ``auth`` (hello v1 tickets), ``room`` (join and
leave) and ``ping``; anything else is ``unknown_type``. Errors are answers of type
``error`` (the reference's codes), never exceptions, except ``MalformedRequest`` for a
signed body that is not shaped like any request. Checksums and their throttle are the
view's (``views/hpb.py``).
"""

import logging

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..access import Participant
from ..constants import IN_CALL_FLAGS_MAX, ActorType, InCallFlag
from ..exceptions import OCSError
from ..models import Attendee, Room, Session, user_display_name
from ..services.calls import join_call, leave_call
from ..services.sessions import remove_session, touch_session
from ..signaling.tickets import check_ticket
from .payloads import NO_SESSION_ID, room_properties, signaling_permissions

logger = logging.getLogger(__name__)

#: Session ids per UPDATE of a ping (keeps every database's parameter limit).
PING_CHUNK = 500


class MalformedRequest(ValueError):
    """A signed request whose body is not a backend request of the protocol."""


def error(code: str, message: str) -> dict:
    return {"type": "error", "error": {"code": code, "message": message}}


NO_SUCH_ROOM = ("no_such_room", "The user is not invited to this room.")


def _object(message: dict, name: str) -> dict:
    value = message.get(name)
    if not isinstance(value, dict):
        raise MalformedRequest(f"{name!r} must be an object")
    return value


def _optional_string(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedRequest(f"{name!r} must be a string")
    return value


def handle(message) -> dict:
    """Return the answer to one backend request (the OCS ``data``); raise ``MalformedRequest``."""
    if not isinstance(message, dict):
        raise MalformedRequest("the body must be a JSON object")
    kind = message.get("type")
    if kind == "auth":
        return authenticate(_object(message, "auth"))
    if kind == "room":
        return room_request(_object(message, "room"))
    if kind == "ping":
        return ping(_object(message, "ping"))
    return error("unknown_type", f"The given type {str(kind)[:64]!r} is not supported.")


def authenticate(auth: dict) -> dict:
    """Check a hello v1 ticket; return the user id and display name (none for guests)."""
    params = _object(auth, "params")
    user_id = _optional_string(params, "userid")
    ticket = _optional_string(params, "ticket")
    if not check_ticket(user_id, ticket):
        return error("invalid_ticket", "The given ticket is not valid for this user.")
    answer: dict = {"version": "1.0"}
    if user_id:
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: user_id}).first()
        if user is None or not getattr(user, "is_active", True):
            return error("no_such_user", "The given user does not exist.")
        answer["userid"] = user.get_username()
        answer["user"] = {"displayname": user_display_name(user)}
    return {"type": "auth", "auth": answer}


def _find_participant(room: Room, request: dict, session_id: str, action: str) -> Participant | None:
    sessions = Session.objects.select_related("attendee").filter(room=room)
    actor_id, actor_type = request.get("actorid"), request.get("actortype")
    if isinstance(actor_id, str) and isinstance(actor_type, str):
        # Internal clients (SIP bridge, virtual sessions) name their actor.
        attendee = Attendee.objects.filter(room=room, actor_type=actor_type, actor_id=actor_id).first()
        if attendee is None:
            return None
        session = sessions.filter(session_id=session_id).first() if session_id else None
        if session is not None:
            return Participant(room=room, attendee=session.attendee, session=session)
        if session_id and action != "join":
            return None
        return Participant(room=room, attendee=attendee)
    if session_id:
        session = sessions.filter(session_id=session_id).first()
        return Participant(room=room, attendee=session.attendee, session=session) if session else None
    user_id = _optional_string(request, "userid")
    if user_id:
        attendee = Attendee.objects.filter(room=room, actor_type=ActorType.USERS, actor_id=user_id).first()
        return Participant(room=room, attendee=attendee) if attendee else None
    return None


def _change_in_call(participant: Participant, in_call) -> None:
    if isinstance(in_call, bool) or not isinstance(in_call, int):
        raise MalformedRequest("'incall' must be an integer")
    try:
        if in_call & InCallFlag.IN_CALL:
            join_call(participant, flags=in_call)
        elif participant.session is not None and participant.session.in_call:
            leave_call(participant)
    except OCSError as exc:  # the same refusals a client gets; the room answer still goes out
        logger.info("Signaling server's in-call change for %s refused: %r", participant.room.token, exc)


def room_request(request: dict) -> dict:
    """Join or leave room ``roomid`` as Talk session ``sessionid`` (reference ``backendRoom``).

    Join: create the session an internal client names (``duplicate_session`` if the id is
    taken), apply ``incall`` when given, refresh ``last_ping``. Leave: end the session
    through the normal leave path (``services.sessions.remove_session``). Answer the room's
    properties and the participant's signaling permissions; ``no_such_room`` for unknown
    rooms and for non-participants alike, so rooms do not leak.
    """
    token = _optional_string(request, "roomid")
    session_id = _optional_string(request, "sessionid")
    action = _optional_string(request, "action") or "join"
    if action not in ("join", "leave"):
        raise MalformedRequest("'action' must be 'join' or 'leave'")
    in_call = request.get("incall")
    if in_call is not None and (
        isinstance(in_call, bool) or not isinstance(in_call, int) or not 0 <= in_call <= IN_CALL_FLAGS_MAX
    ):
        # Refused before anything is written: a malformed request creates no session.
        raise MalformedRequest(f"'incall' must be an integer from 0 to {IN_CALL_FLAGS_MAX}")
    room = Room.objects.filter(token=token).first() if token else None
    if room is None:
        return error(*NO_SUCH_ROOM)
    participant = _find_participant(room, request, session_id, action)
    if participant is None:
        return error(*NO_SUCH_ROOM)
    if action == "join":
        if session_id and session_id != NO_SESSION_ID and participant.session is None:
            try:
                with transaction.atomic():
                    participant.session = Session.objects.create(
                        session_id=session_id, attendee=participant.attendee, room=room
                    )
            except IntegrityError:
                return error("duplicate_session", "The given session is already in use.")
        if participant.session is not None:
            if request.get("incall") is not None:
                _change_in_call(participant, request["incall"])
            touch_session(participant.session)
    elif participant.session is not None:
        remove_session(participant.session, attendee=participant.attendee)
    room.refresh_from_db()
    user_id = _optional_string(request, "userid")
    return {
        "type": "room",
        "room": {
            "version": "1.0",
            "roomid": room.token,
            "properties": room_properties(room, user_id),
            "permissions": signaling_permissions(participant.attendee, room),
        },
    }


def ping(request: dict) -> dict:
    """Refresh ``last_ping`` of every listed Talk session (one UPDATE per ``PING_CHUNK`` ids)."""
    entries = request.get("entries")
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise MalformedRequest("'entries' must be a list of objects")
    session_ids = {
        entry["sessionid"]
        for entry in entries
        if isinstance(entry.get("sessionid"), str) and entry["sessionid"] not in ("", NO_SESSION_ID)
    }
    now = timezone.now()
    ordered = sorted(session_ids)
    for start in range(0, len(ordered), PING_CHUNK):
        Session.objects.filter(session_id__in=ordered[start : start + PING_CHUNK]).update(last_ping=now)
    return {"type": "room", "room": {"version": "1.0"}}
