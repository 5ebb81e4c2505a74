"""Shared pytest fixtures: users, rooms, OCS clients."""

import pytest
from django.core.cache import caches
from django.db import connection

from tests.factories import AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import OCSClient


def pytest_collection_modifyitems(config, items):
    # Concurrency tests only mean something on PostgreSQL.
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    for item in items:
        if "postgres" in item.keywords and "postgresql" not in engine:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Basic auth runs the hasher once per Django session; keep that cheap in tests.
    settings.PASSWORD_HASHERS = ["tests.hashers.FastPBKDF2PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_throttles():
    # Throttle counters live in the cache; every test starts with none used up.
    caches["default"].clear()
    yield


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def room(db):
    return RoomFactory()


@pytest.fixture
def public_room(db):
    return RoomFactory(public=True)


@pytest.fixture
def owner(db, room):
    return AttendeeFactory(room=room, owner=True)


@pytest.fixture
def client_for():
    """Return a factory of OCS clients: ``client_for(user)`` (Basic auth) or ``client_for()`` (guest)."""

    def make(user=None, **kwargs):
        return OCSClient(user, **kwargs)

    return make
