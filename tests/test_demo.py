"""The demo data loads, and the README's curl line works against it."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from talk_calls.constants import SESSION_ID_LENGTH
from talk_calls.models import Room

from .ocs import OCSClient, basic_header, ocs_data, room_url

pytestmark = pytest.mark.django_db


def test_demo_command_loads_the_data_and_prints_the_logins():
    out = StringIO()
    call_command("demo", stdout=out)
    call_command("demo", stdout=StringIO())  # safe to run again
    text = out.getvalue()
    assert "alice" in text and "talk-demo" in text and "admin-demo" in text
    assert "demogroup" in text
    assert Room.objects.filter(token="demogroup").count() == 1


def test_demo_user_joins_the_demo_room_with_basic_auth():
    call_command("demo", stdout=StringIO())
    client = OCSClient()
    response = client.post(
        room_url("demogroup", "/participants/active"), HTTP_AUTHORIZATION=basic_header("alice", "talk-demo")
    )
    assert response.status_code == 200
    assert len(ocs_data(response)["sessionId"]) == SESSION_ID_LENGTH
    assert settings.SESSION_COOKIE_NAME in response.cookies
