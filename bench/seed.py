"""Bench data, written with bulk inserts: rooms whose call has N live sessions, and clients.

A *client* is a user logged in through a Django session (the cookie a browser would
hold) whose Talk session of the room is recorded there, exactly as
``POST /room/{token}/participants/active`` leaves it. Peers are attendees with a live
Talk session in the call and no cookie. Every row is made with ``bulk_create``.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session as DjangoSession
from django.utils import timezone
from django.utils.crypto import get_random_string

from talk_calls.access import SESSION_MAP_KEY
from talk_calls.constants import SESSION_ID_LENGTH, ActorType, InCallFlag, ParticipantType
from talk_calls.models import Attendee, Room, Session

IN_CALL = int(InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO | InCallFlag.WITH_VIDEO)
BATCH = 1000
DB_SESSION_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


@dataclass
class BenchRoom:
    room: Room
    #: Cookie header values of the room's clients, in attendee order; the first is the owner.
    cookies: list[str] = field(default_factory=list)
    #: Primary keys of the Talk sessions of the clients, in the same order.
    client_sessions: list[int] = field(default_factory=list)
    #: Live sessions of the room (clients and peers).
    size: int = 0


def talk_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_LENGTH)[:SESSION_ID_LENGTH]


def _users(prefix: str, count: int, password: str) -> list:
    User = get_user_model()
    User.objects.bulk_create(
        [
            User(username=f"{prefix}{i}", first_name="Bench", last_name=f"{prefix}{i}", password=password)
            for i in range(count)
        ],
        batch_size=BATCH,
    )
    return list(User.objects.filter(username__startswith=prefix).order_by("pk"))


def _django_sessions(users, token_of_user: dict) -> list[str]:
    """Log ``users`` in: one Django session each, holding the Talk session of the room; return the keys."""
    engine = import_module(settings.SESSION_ENGINE)
    expire = timezone.now() + timedelta(days=1)
    keys, rows = [], []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            SESSION_MAP_KEY: token_of_user[user.pk],
        }
        if settings.SESSION_ENGINE in DB_SESSION_ENGINES:
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            rows.append(
                DjangoSession(session_key=key, session_data=engine.SessionStore().encode(data), expire_date=expire)
            )
        else:
            store = engine.SessionStore()
            store.update(data)
            store.create()
            key = store.session_key
        keys.append(key)
    DjangoSession.objects.bulk_create(rows, batch_size=BATCH)
    return keys


def seed_room(token: str, *, clients: int, peers: int, in_call: bool = True) -> BenchRoom:
    """Create room ``token`` with ``clients`` logged-in users (the first is its owner) and
    ``peers`` more attendees, each with one Talk session, all in the call when ``in_call``."""
    now = timezone.now()
    room = Room.objects.create(token=token, name=f"Bench {token}")
    password = make_password(None)
    users = _users(f"{token}_c", clients, password) + _users(f"{token}_p", peers, password)
    attendees = Attendee.objects.bulk_create(
        [
            Attendee(
                room=room,
                actor_type=ActorType.USERS,
                actor_id=user.username,
                display_name=f"{user.first_name} {user.last_name}",
                participant_type=ParticipantType.OWNER if index == 0 else ParticipantType.USER,
                user=user,
                last_joined_call=now if in_call else None,
            )
            for index, user in enumerate(users)
        ],
        batch_size=BATCH,
    )
    session_ids = {user.pk: talk_session_id() for user in users}
    keys = _django_sessions(users[:clients], {user.pk: {token: session_ids[user.pk]} for user in users[:clients]})
    keys += [""] * peers
    Session.objects.bulk_create(
        [
            Session(
                session_id=session_ids[user.pk],
                attendee=attendee,
                room=room,
                in_call=IN_CALL if in_call else 0,
                last_ping=now,
                django_session_key=key,
            )
            for user, attendee, key in zip(users, attendees, keys, strict=True)
        ],
        batch_size=BATCH,
    )
    if in_call:
        Room.objects.filter(pk=room.pk).update(active_since=now, call_flag=IN_CALL, call_started_by=attendees[0])
    client_sessions = list(
        Session.objects.filter(attendee__in=attendees[:clients]).order_by("attendee_id").values_list("pk", flat=True)
    )
    cookie = settings.SESSION_COOKIE_NAME
    return BenchRoom(
        room=room,
        cookies=[f"{cookie}={key}" for key in keys[:clients]],
        client_sessions=client_sessions,
        size=clients + peers,
    )


def refresh_calls(rooms) -> None:
    """Make every session that is in a call of ``rooms`` fresh again (the ping timeout is 30 s)."""
    Session.objects.filter(room__in=[bench.room for bench in rooms], in_call__gt=0).update(last_ping=timezone.now())


def restart_call(bench: BenchRoom, *, in_call: int | None = None) -> None:
    """Put the room's first ``in_call`` sessions (all when None) back in a running call, the others out."""
    now = timezone.now()
    room = bench.room
    sessions = Session.objects.filter(room=room)
    if in_call is None:
        sessions.update(in_call=IN_CALL, last_ping=now)
    else:
        first = list(sessions.order_by("attendee_id").values_list("pk", flat=True)[:in_call])
        sessions.filter(pk__in=first).update(in_call=IN_CALL, last_ping=now)
        sessions.exclude(pk__in=first).update(in_call=0)
    Attendee.objects.filter(room=room).update(last_joined_call=now)
    owner = Attendee.objects.filter(room=room).order_by("pk").first()
    Room.objects.filter(pk=room.pk).update(
        active_since=now - timedelta(minutes=1), call_flag=IN_CALL, call_started_by=owner
    )
