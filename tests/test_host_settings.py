"""Installing the app needs no REST_FRAMEWORK edits, and a host's own REST_FRAMEWORK does not change it."""

import pytest

from tests.factories import AttendeeFactory
from tests.helpers import ocs_data, ocs_meta, room_url

pytestmark = pytest.mark.django_db

HOSTILE_REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.AcceptHeaderVersioning",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
    "EXCEPTION_HANDLER": "tests.test_host_settings.broken_handler",
    "UNAUTHENTICATED_USER": None,
}


def broken_handler(exc, context):
    raise AssertionError("the host's exception handler must not be used")


@pytest.mark.parametrize("rest_framework", [None, HOSTILE_REST_FRAMEWORK])
def test_app_behaves_the_same_whatever_the_host_rest_framework_says(settings, client_for, public_room, rest_framework):
    if rest_framework is None:
        del settings.REST_FRAMEWORK
    else:
        settings.REST_FRAMEWORK = rest_framework
    guest = client_for()
    assert ocs_meta(guest.get("/ocs/v2.php/cloud/capabilities"))["statuscode"] == 200
    assert guest.join_room(public_room.token).status_code == 200
    assert guest.join_room(public_room.token, force="maybe").status_code == 400
    assert guest.get("/ocs/v2.php/cloud/user").status_code == 401
    attendee = AttendeeFactory(room=public_room)
    response = client_for(attendee.user).ocs("POST", room_url(public_room.token, "/participants/active"), {"force": 1})
    assert ocs_data(response)["actorId"] == attendee.actor_id
