"""factory-boy factories for the app's models. Read ids from created objects; never hard-code them."""

import hashlib
import secrets
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from talk_calls.constants import (
    DEFAULT_JOIN_FLAGS,
    ActorType,
    ParticipantType,
    RoomType,
)
from talk_calls.models import Attendee, CallEvent, CallNotification, RecordingConsent, Room, Session
from talk_calls.services.sessions import new_session_id

PASSWORD = "secret-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.LazyFunction(lambda: _hashed_password())


_PASSWORD_HASH = None


def _hashed_password():
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password(PASSWORD)
    return _PASSWORD_HASH


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group{n}")


def _token():
    alphabet = "abcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room
        skip_postgeneration_save = True

    token = factory.LazyFunction(_token)
    name = factory.Sequence(lambda n: f"Room {n}")
    type = RoomType.GROUP

    class Params:
        public = factory.Trait(type=RoomType.PUBLIC)
        one_to_one = factory.Trait(type=RoomType.ONE_TO_ONE)
        with_call = factory.Trait(active_since=factory.LazyFunction(timezone.now), call_flag=int(DEFAULT_JOIN_FLAGS))

    @factory.post_generation
    def room_password(obj, create, extracted, **kwargs):
        if extracted:
            obj.password = make_password(extracted)
            if create:
                obj.save(update_fields=["password"])


class AttendeeFactory(factory.django.DjangoModelFactory):
    """A user attendee by default; traits ``owner``, ``moderator``, ``self_joined``, ``guest``, ``guest_moderator``."""

    class Meta:
        model = Attendee

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)
    actor_type = ActorType.USERS
    actor_id = factory.LazyAttribute(lambda o: o.user.get_username() if o.user else secrets.token_hex(20))
    display_name = factory.LazyAttribute(lambda o: (o.user.get_full_name() or o.user.get_username()) if o.user else "")
    participant_type = ParticipantType.USER

    class Params:
        owner = factory.Trait(participant_type=ParticipantType.OWNER)
        moderator = factory.Trait(participant_type=ParticipantType.MODERATOR)
        self_joined = factory.Trait(participant_type=ParticipantType.USER_SELF_JOINED)
        guest = factory.Trait(
            user=None,
            actor_type=ActorType.GUESTS,
            actor_id=factory.LazyFunction(lambda: hashlib.sha1(secrets.token_bytes(16)).hexdigest()),
            display_name="",
            participant_type=ParticipantType.GUEST,
        )
        guest_moderator = factory.Trait(
            user=None,
            actor_type=ActorType.GUESTS,
            actor_id=factory.LazyFunction(lambda: hashlib.sha1(secrets.token_bytes(16)).hexdigest()),
            display_name="",
            participant_type=ParticipantType.GUEST_MODERATOR,
        )


class SessionFactory(factory.django.DjangoModelFactory):
    """A Talk session; traits ``joined`` (in the call with flags 7) and ``stale`` (pinged past the kill timeout)."""

    class Meta:
        model = Session

    attendee = factory.SubFactory(AttendeeFactory)
    room = factory.LazyAttribute(lambda o: o.attendee.room)
    session_id = factory.LazyFunction(new_session_id)
    last_ping = factory.LazyFunction(timezone.now)

    class Params:
        joined = factory.Trait(in_call=int(DEFAULT_JOIN_FLAGS))
        stale = factory.Trait(last_ping=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=600)))
        not_fresh = factory.Trait(last_ping=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=45)))


class CallEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallEvent

    room = factory.SubFactory(RoomFactory)
    kind = "call_started"
    actor_type = ActorType.USERS
    actor_id = "someone"


# --- issue 3: conversations ----------------------------------------------------------------


def one_to_one_room(user_a, user_b, **kwargs):
    """Return a one-to-one room of two users, both OWNER, named like the reference."""
    import json

    room = RoomFactory(
        type=RoomType.ONE_TO_ONE, name=json.dumps(sorted([user_a.get_username(), user_b.get_username()])), **kwargs
    )
    AttendeeFactory(room=room, user=user_a, owner=True)
    AttendeeFactory(room=room, user=user_b, owner=True)
    return room


class PhoneAttendeeFactory(AttendeeFactory):
    """A ``phones`` attendee (added with ``source=phones``), as dial-out targets are."""

    user = None
    actor_type = ActorType.PHONES
    actor_id = factory.Sequence(lambda n: f"phone-{n}")
    display_name = factory.Sequence(lambda n: f"+49 30 {n:07d}")
    phone_number = factory.Sequence(lambda n: f"+4930{n:07d}")


class CallNotificationFactory(factory.django.DjangoModelFactory):
    """A ringing record for a user attendee of a room (processed: pass ``processed_at``)."""

    class Meta:
        model = CallNotification

    attendee = factory.SubFactory(AttendeeFactory)
    room = factory.LazyAttribute(lambda o: o.attendee.room)
    user = factory.LazyAttribute(lambda o: o.attendee.user)
    caller_actor_type = ActorType.USERS
    caller_actor_id = "caller"
    call_started_at = factory.LazyFunction(timezone.now)


class RecordingConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordingConsent

    room = factory.SubFactory(RoomFactory)
    actor_type = ActorType.USERS
    actor_id = factory.Sequence(lambda n: f"consenting{n}")
