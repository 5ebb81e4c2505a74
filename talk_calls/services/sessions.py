"""Talk sessions: joining and leaving a conversation, and removing dead sessions
(reference sections 4.4-4.6, CONTRACT section 4).

A session is created by ``join_room`` and recorded in the caller's Django session
(``access.TalkSessionMap``). Every way a session ends (``leave_room``, logout, expiry,
replacement by a newer join) goes through ``remove_session``, which takes the session
out of the call, deletes it, removes a self-joined user left without sessions and ends
a call nobody fresh is in, with the system actor.
"""

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import throttling
from ..access import Actor, Participant, TalkSessionMap, find_room, listable_filter, map_token
from ..conf import app_settings
from ..constants import (
    GROUP_TYPES,
    SESSION_ID_ALPHABET,
    SESSION_ID_LENGTH,
    ActorType,
    ParticipantType,
    RoomType,
)
from ..exceptions import ForbiddenError, NotFound, RoomNotFound, SessionInCall
from ..models import Attendee, Room, Session, attendee_display_name, kill_cutoff
from .calls import disconnect, end_call_if_empty
from .events import participants_changed
from .locking import lock_room

#: 404 of a join: the same words whether the room is missing or closed to the caller.
CANNOT_JOIN = "Conversation not found, or you may not join it"
WRONG_PASSWORD = "Wrong password for this conversation"


def new_session_id() -> str:
    """Return 255 random characters of the URL-safe alphabet."""
    return "".join(secrets.choice(SESSION_ID_ALPHABET) for _ in range(SESSION_ID_LENGTH))


def _create_session(room: Room, attendee: Attendee, django_session_key: str, **device) -> Session:
    for _ in range(5):
        try:
            with transaction.atomic():
                return Session.objects.create(
                    session_id=new_session_id(),
                    attendee=attendee,
                    room=room,
                    django_session_key=django_session_key,
                    **device,
                )
        except IntegrityError:  # pragma: no cover - a 255-character collision
            continue
    raise RuntimeError("Could not generate a unique Talk session id")


def remove_session(
    session: Session, *, attendee: Attendee | None = None, stale_before=None, keep_attendee: bool = False
) -> None:
    """End one Talk session through the leave path (reference section 4.5, last bullet).

    Locks the room. Records ``call_left`` if the session was in the call (actor: its
    attendee), deletes the session, removes a self-joined attendee left without
    sessions (not with ``keep_attendee``: the session is replaced by a new one of the
    same attendee, the reference's "duplicate session"), and ends the call with the
    system actor when no fresh session remains. With ``stale_before`` the session is only
    removed if it was still not pinged since then when the lock was taken (expiry must not
    remove a client that came back). Does nothing if the session or its room is gone.
    """
    with transaction.atomic():
        try:
            room = lock_room(session.room)
        except RoomNotFound:
            return  # the room was deleted, and its sessions with it
        attendee = attendee or session.attendee
        current = Session.objects.filter(pk=session.pk)
        if stale_before is not None:
            current = current.filter(last_ping__lt=stale_before)
        if not current.exists():
            return
        disconnect(room, attendee, session)
        Session.objects.filter(pk=session.pk).delete()
        if (
            not keep_attendee
            and attendee.participant_type == ParticipantType.USER_SELF_JOINED
            and not Session.objects.filter(attendee=attendee).exists()
        ):
            Attendee.objects.filter(pk=attendee.pk).delete()
        end_call_if_empty(room)
        participants_changed(room, [session.session_id])


def _previous_session(room: Room, actor: Actor) -> Session | None:
    """Return this browser's own session of ``room`` (with its attendee), if it still has one."""
    session_id = actor.sessions.session_id(room.token)
    if not session_id:
        return None
    session = Session.objects.select_related("attendee").filter(session_id=session_id, room=room).first()
    if session is None or not actor.owns(session.attendee, room.token):
        return None
    return session


def _listable_to(room: Room, actor: Actor) -> bool:
    return room.type in GROUP_TYPES and (Room.objects.filter(listable_filter(actor.user), pk=room.pk).exists())


def _check_password(room: Room, actor: Actor, *, password: str, previous: Session | None) -> bool:
    """Verify the room password where this join needs it (reference section 4.4 steps 6-8);
    return whether one was verified. Raise ``NotFound`` for a guest outside a public room,
    ``ForbiddenError("password")`` for a wrong password. Runs before the room lock: the
    password hasher is slow by design."""
    if actor.is_user:
        if Attendee.objects.filter(room=room, actor_type=ActorType.USERS, actor_id=actor.user_id).exists():
            return False
        if _listable_to(room, actor) or not room.has_password:
            return False
    else:
        if room.type != RoomType.PUBLIC:
            raise NotFound(None, CANNOT_JOIN)
        if previous is not None or not room.has_password:
            return False
    # Guessing is throttled per client address and per room, before the hasher runs.
    throttling.check("room_password_address", actor.address)
    throttling.check("room_password_room", room.pk)
    with throttling.password_hash_slot():
        correct = room.check_password(password)
    if not correct:
        throttling.hit("room_password_address", actor.address)
        throttling.hit("room_password_room", room.pk)
        raise ForbiddenError("password", WRONG_PASSWORD)
    return True


def _user_attendee(room: Room, actor: Actor, *, verified: bool) -> Attendee:
    """Return the user's attendee, added as USER or USER_SELF_JOINED if needed (room lock held)."""
    attendee = Attendee.objects.filter(room=room, actor_type=ActorType.USERS, actor_id=actor.user_id).first()
    if attendee is not None:
        return attendee
    listable = _listable_to(room, actor)
    if not listable and room.has_password and not verified:
        # The attendee was removed after the password check was skipped for it.
        raise ForbiddenError("password", WRONG_PASSWORD)
    if listable:
        participant_type = ParticipantType.USER
    elif room.type == RoomType.PUBLIC:
        participant_type = ParticipantType.USER_SELF_JOINED
    else:
        raise NotFound(None, CANNOT_JOIN)
    user = actor.user
    attendee, _ = Attendee.objects.get_or_create(
        room=room,
        actor_type=ActorType.USERS,
        actor_id=actor.user_id,
        defaults={
            "participant_type": participant_type,
            "user": user,
            "display_name": attendee_display_name(user),
        },
    )
    return attendee


def _check_guest_cap(room: Room) -> None:
    """Raise ``ForbiddenError("guests")`` when the room already holds ``MAX_GUESTS_PER_ROOM``
    live guest sessions (room lock held; stale ones are the sweeper's, and do not count)."""
    cap = app_settings.MAX_GUESTS_PER_ROOM
    if not cap:
        return
    live = Session.objects.filter(
        room=room, attendee__actor_type=ActorType.GUESTS, last_ping__gte=kill_cutoff()
    ).count()
    if live >= cap:
        raise ForbiddenError("guests", "This conversation has no room for more guests")


def _guest_attendee(room: Room, actor: Actor) -> tuple[Attendee, str]:
    """Return the guest attendee and the id of the session to create for it (room lock held)."""
    _check_guest_cap(room)
    session_id = new_session_id()
    guest_id = actor.sessions.guest_id(room.token)
    attendee = None
    if guest_id:
        attendee = Attendee.objects.filter(room=room, actor_type=ActorType.GUESTS, actor_id=guest_id).first()
    if attendee is None:
        actor_id = hashlib.sha1(session_id.encode()).hexdigest()
        attendee, _ = Attendee.objects.get_or_create(
            room=room,
            actor_type=ActorType.GUESTS,
            actor_id=actor_id,
            defaults={"participant_type": ParticipantType.GUEST, "permissions": 0},
        )
    return attendee, session_id


def join_room(
    token: str,
    actor: Actor,
    *,
    password: str = "",
    force: bool = True,
    user_agent: str = "",
    client_address: str | None = None,
) -> Participant:
    """Create a Talk session for ``actor`` in room ``token`` (reference section 4.4).

    The session records ``user_agent`` and ``client_address`` (``access.client_device``),
    so operators can tell one user's devices apart.

    Raise ``NotFound`` (404 null) for rooms the actor may not join, ``ForbiddenError
    ("password")`` (403) for a wrong password, ``ThrottleExceeded`` (429) past the
    ``guest_join_address`` or room-password throttles, ``ForbiddenError("guests")`` (403)
    when a guest would pass ``MAX_GUESTS_PER_ROOM``, ``SessionInCall`` (409) when ``force`` is false
    and this browser's previous session of the room is in a call. A previous session of
    the same browser is otherwise ended first (which may end the call; its attendee stays,
    so a self-joined user who reloads keeps its attendee id). Checks the password before,
    and creates the attendee and session under, the room lock. Records the new
    session id (and a guest's actor id) in the caller's Django session, and gives that
    Django session a new key after a successful password check.
    """
    try:
        room = find_room(token, actor)
    except RoomNotFound as exc:
        raise NotFound(None, CANNOT_JOIN) from exc
    if not actor.is_user:
        # Anonymous floods: every guest join counts, refused or not.
        throttling.count("guest_join_address", actor.address)
    previous = _previous_session(room, actor)
    if previous is not None and not force and previous.in_call:
        raise SessionInCall(previous)
    verified = _check_password(room, actor, password=password, previous=previous)
    with transaction.atomic():
        # The room lock orders this join after a leave of the same attendee: a self-joined
        # attendee removed with its last session is then re-created, never reused half-deleted.
        try:
            room = lock_room(room)
        except RoomNotFound as exc:
            raise NotFound(None, "This conversation was deleted") from exc
        if previous is not None:
            remove_session(previous, attendee=previous.attendee, keep_attendee=True)
        if actor.is_user:
            attendee = _user_attendee(room, actor, verified=verified)
        else:
            attendee, session_id = _guest_attendee(room, actor)
        if verified:
            # Session fixation (talk-known-problems S2): a password unlocks the room for
            # this browser, so the key it had before the check must stop working.
            actor.sessions.rotate()
        device = {"user_agent": user_agent[:255], "client_address": client_address}
        if actor.is_user:
            session = _create_session(room, attendee, actor.sessions.key, **device)
        else:
            session = Session.objects.create(
                session_id=session_id, attendee=attendee, room=room, django_session_key=actor.sessions.key, **device
            )
            actor.sessions.set_guest_id(room.token, attendee.actor_id)
        participants_changed(room, [session.session_id])
    actor.sessions.set_session_id(room.token, session.session_id)
    return Participant(room=room, attendee=attendee, session=session)


def leave_room(token: str, actor: Actor) -> None:
    """End the caller's Talk session of room ``token``, if it has one (reference section 4.6). Never raise.

    Without a tab id this ends the sessions of every tab of this browser in the room.
    """
    for session_id in actor.sessions.forget_token(token):
        session = Session.objects.select_related("attendee", "room").filter(session_id=session_id).first()
        if session is None or session.room.token != token or not actor.owns(session.attendee, token):
            continue
        remove_session(session)


def end_talk_sessions(actor: Actor) -> int:
    """End every Talk session recorded in the actor's Django session (Django logout); return how many."""
    ended = 0
    for session_id in actor.sessions.session_ids().values():
        if isinstance(session_id, str) and Session.objects.filter(session_id=session_id).exists():
            ended += 1
    all_tabs = Actor(user=actor.user, sessions=TalkSessionMap(actor.sessions.django_session))
    for token in {map_token(key) for key in actor.sessions.session_ids()}:
        leave_room(token, all_tabs)
    return ended


def touch_session(session: Session, *, now=None) -> None:
    """Refresh ``last_ping`` (one UPDATE by primary key)."""
    now = now or timezone.now()
    Session.objects.filter(pk=session.pk).update(last_ping=now)
    session.last_ping = now


def expire_stale_sessions(*, room: Room | None = None, now=None) -> int:
    """Remove sessions not pinged for ``SESSION_KILL_TIMEOUT`` through the leave path; return how many.

    A session pinged again while the sweep runs is kept. Nameless plain guests left
    without sessions are deleted too (reference section 4.5), under the room lock; then
    any call nobody fresh is in is ended with the system actor.
    """
    now = now or timezone.now()
    cutoff = kill_cutoff(now)
    stale = Session.objects.filter(last_ping__lt=cutoff).select_related("attendee", "room")
    if room is not None:
        stale = stale.filter(room=room)
    removed = 0
    rooms = {}
    for session in stale:
        remove_session(session, stale_before=cutoff)
        rooms[session.room_id] = session.room
        removed += 1
    for swept in rooms.values():
        with transaction.atomic():
            try:
                lock_room(swept)
            except RoomNotFound:
                continue
            Attendee.objects.filter(
                room=swept,
                actor_type=ActorType.GUESTS,
                participant_type=ParticipantType.GUEST,
                display_name="",
                permissions__in=(0, 1),
                sessions__isnull=True,
            ).delete()
    calls = Room.objects.with_call()
    if room is not None:
        calls = calls.filter(pk=room.pk)
    for running in calls:
        with transaction.atomic():
            try:
                end_call_if_empty(lock_room(running), now=now)
            except RoomNotFound:
                continue
    return removed
