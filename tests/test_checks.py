"""System checks for TALK_CALLS and the required middleware."""

import pytest
from django.core.checks import run_checks

pytestmark = pytest.mark.django_db


def check_ids(settings, talk_calls=None, **overrides):
    if talk_calls is not None:
        settings.TALK_CALLS = talk_calls
    for name, value in overrides.items():
        setattr(settings, name, value)
    return sorted(e.id for e in run_checks() if e.id and e.id.startswith("talk_calls."))


def test_demo_settings_pass(settings):
    assert check_ids(settings) == []


def test_every_default_passes(settings):
    assert check_ids(settings, {}) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([("START_CALLS", 0)], ["talk_calls.E001"]),
        ({"START_CALL": 0}, ["talk_calls.E002"]),
        ({"START_CALLS": 4}, ["talk_calls.E003"]),
        ({"START_CALLS": "0"}, ["talk_calls.E003"]),
        ({"START_CALLS": True}, ["talk_calls.E003"]),
        ({"DEFAULT_PERMISSIONS": 256}, ["talk_calls.E003"]),
        ({"RECORDING_CONSENT": -1}, ["talk_calls.E003"]),
        ({"SESSION_PING_TIMEOUT": 0}, ["talk_calls.E003"]),
        ({"MAX_CALL_DURATION": 1.5}, ["talk_calls.E003"]),
        ({"START_CALLS_GROUPS": "staff"}, ["talk_calls.E004"]),
        ({"START_CALLS_GROUPS": ["staff", 3]}, ["talk_calls.E004"]),
        ({"SIP_DIALOUT_BACKEND": "no.such.Backend"}, ["talk_calls.E005"]),
        ({"SIP_DIALOUT_BACKEND": "talk_calls.conf.AppSettings"}, ["talk_calls.E005"]),
        ({"SESSION_PING_TIMEOUT": 60, "SESSION_KILL_TIMEOUT": 30}, ["talk_calls.E006"]),
        ({"GUEST_USERS_GROUP": None}, ["talk_calls.E007"]),
    ],
)
def test_bad_settings_are_reported(settings, value, expected):
    assert check_ids(settings, value) == expected


def test_valid_custom_settings_pass(settings):
    value = {
        "START_CALLS": 2,
        "START_CALLS_GROUPS": ["staff"],
        "DEFAULT_PERMISSIONS": 255,
        "RECORDING_CONSENT": 2,
        "SESSION_PING_TIMEOUT": 20,
        "SESSION_KILL_TIMEOUT": 60,
        "MAX_CALL_DURATION": 3600,
        "GUEST_USERS_GROUP": "",
    }
    assert check_ids(settings, value) == []


def test_missing_middleware_is_reported(settings):
    middleware = [
        m for m in settings.MIDDLEWARE if "SessionMiddleware" not in m and "AuthenticationMiddleware" not in m
    ]
    assert check_ids(settings, MIDDLEWARE=middleware) == ["talk_calls.E008", "talk_calls.E009"]


def test_app_config():
    from django.apps import apps

    config = apps.get_app_config("talk_calls")
    assert config.label == "talk_calls"
    assert config.default_auto_field == "django.db.models.BigAutoField"
