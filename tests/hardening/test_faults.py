"""Faults (issue 11): PostgreSQL drops the request's own connection in the middle of a
request; the client gets an OCS 503, nothing is half-done, and the next request works."""

import psycopg
import pytest
from django.db import connection
from django.db.models.signals import pre_save

from talk_calls.models import Attendee, CallEvent, Session

from ..factories import AttendeeFactory, RoomFactory
from ..helpers import OCSClient, call_url, ocs_meta, room_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def terminate_on(model, *, times=1):
    """Connect a pre_save receiver that has a second connection terminate the backend of
    the request's own connection, ``times`` times; return the disconnect function."""
    left = {"n": times}
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}

    def kill(sender, **kwargs):
        if left["n"] <= 0:
            return
        left["n"] -= 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with psycopg.connect(**dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    pre_save.connect(kill, sender=model, weak=False)
    return lambda: pre_save.disconnect(kill, sender=model)


def test_a_dropped_connection_during_a_join_answers_503_and_changes_nothing():
    room = RoomFactory(public=True)
    guest = OCSClient()
    stop = terminate_on(Session)
    try:
        response = guest.join_room(room.token)
    finally:
        stop()
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert ocs_meta(response)["statuscode"] == 503
    assert not Session.objects.exists()
    assert not Attendee.objects.filter(room=room).exists()
    # The next request works, on a new connection.
    assert guest.join_room(room.token).status_code == 200
    assert Session.objects.count() == 1


def test_a_dropped_connection_during_a_call_join_answers_503_and_the_retry_joins():
    room = RoomFactory()
    attendee = AttendeeFactory(room=room, owner=True)
    client = OCSClient(attendee.user, basic=False)
    assert client.join_room(room.token).status_code == 200
    # The call start is recorded after active_since and the session flags were written.
    stop = terminate_on(CallEvent)
    try:
        response = client.ocs("POST", call_url(room.token))
    finally:
        stop()
    assert response.status_code == 503
    room.refresh_from_db()
    assert room.active_since is None and room.call_flag == 0
    assert not Session.objects.exclude(in_call=0).exists()
    assert not CallEvent.objects.exists()
    assert client.ocs("POST", call_url(room.token)).status_code == 200
    assert client.get(room_url(room.token)).json()["ocs"]["data"]["hasCall"] is True
