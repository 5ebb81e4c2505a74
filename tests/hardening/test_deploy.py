"""Deployment footguns (issue 11): the demo's public key with DEBUG off, ``check --deploy``,
and the Django session key rotating when Basic auth logs a user into a session."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session as DjangoSession
from django.test import override_settings

from talk_calls.models import Session

from ..factories import AttendeeFactory
from ..helpers import OCSClient, basic_header, room_url

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "talk.example.org",
    "SESSION_COOKIE_SECURE": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "CACHE_URL": "dbcache://talk_calls_cache",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("TALK_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_with_the_demo_key_refuses_to_start():
    result = manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is the demo's public key" in result.stderr


def test_check_deploy_is_clean_when_configured_for_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_about_a_per_process_throttle_cache():
    result = manage("check", "--deploy", env={**PRODUCTION, "CACHE_URL": "locmemcache://"})
    assert "talk_calls.W001" in result.stdout + result.stderr


@pytest.mark.django_db
def test_basic_login_gives_a_planted_session_a_new_key(public_room):
    """A cookie planted before the login (session fixation) is worthless after it."""
    attendee = AttendeeFactory(room=public_room)
    client = OCSClient()
    assert client.join_room(public_room.token).status_code == 200  # an anonymous session exists
    planted = client.cookies["sessionid"].value
    client.defaults["HTTP_AUTHORIZATION"] = basic_header(attendee.user.get_username())
    response = client.join_room(public_room.token)
    assert response.status_code == 200
    rotated = client.cookies["sessionid"].value
    assert rotated != planted
    assert not DjangoSession.objects.filter(session_key=planted).exists()
    assert Session.objects.get(session_id=response.json()["ocs"]["data"]["sessionId"]).django_session_key == rotated
    # The next request with the same credentials and cookie keeps the key (no hash, no rotation).
    assert client.get(room_url(public_room.token)).status_code == 200
    assert client.cookies["sessionid"].value == rotated


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
def test_rotation_works_with_the_cache_session_engine(public_room):
    attendee = AttendeeFactory(room=public_room)
    client = OCSClient(attendee.user)
    assert client.join_room(public_room.token).status_code == 200
    assert client.get(room_url(public_room.token)).status_code == 200
