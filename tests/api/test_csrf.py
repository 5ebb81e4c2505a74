"""Talk's CSRF rule: cookie-only unsafe requests need ``OCS-APIRequest: true`` or a Django
CSRF token, else 412 with the plain JSON body (reference section 2.4, CONTRACT section 4)."""

import pytest
from django.middleware.csrf import get_token
from django.test import RequestFactory

from talk_calls.models import Session
from tests.factories import AttendeeFactory
from tests.helpers import OCSClient, call_url, room_url

pytestmark = pytest.mark.django_db

CSRF_FAILED = {"message": "CSRF check failed"}


def active(token):
    return room_url(token, "/participants/active")


def csrf_token_for(client):
    """Give ``client`` a CSRF cookie and return a matching masked token."""
    request = RequestFactory().get("/")
    token = get_token(request)
    client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    return token


@pytest.fixture
def browser_user(room):
    """A user of ``room`` logged in with Django's session cookie, no OCS header."""
    attendee = AttendeeFactory(room=room)
    return OCSClient(attendee.user, basic=False, ocs_header=False)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "active"), ("DELETE", "active"), ("POST", "call"), ("PUT", "call"), ("DELETE", "call")],
)
def test_cookie_only_unsafe_request_is_412_plain_json(browser_user, room, method, path):
    url = active(room.token) if path == "active" else call_url(room.token)
    response = browser_user.generic(method, url)
    assert response.status_code == 412
    assert response.json() == CSRF_FAILED
    assert not Session.objects.exists()


def test_csrf_is_checked_before_the_room_is_looked_up(browser_user):
    response = browser_user.post(active("nosuchroom"))
    assert response.status_code == 412
    assert response.json() == CSRF_FAILED


def test_ocs_header_passes(browser_user, room):
    response = browser_user.post(active(room.token), HTTP_OCS_APIREQUEST="true")
    assert response.status_code == 200
    assert Session.objects.count() == 1


def test_ocs_header_other_than_true_does_not_pass(browser_user, room):
    response = browser_user.post(active(room.token), HTTP_OCS_APIREQUEST="1")
    assert response.status_code == 412


def test_django_csrf_token_passes(browser_user, room):
    token = csrf_token_for(browser_user)
    response = browser_user.post(active(room.token), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert Session.objects.count() == 1


def test_wrong_django_csrf_token_is_412(browser_user, room):
    csrf_token_for(browser_user)
    response = browser_user.post(active(room.token), HTTP_X_CSRFTOKEN="x" * 64)
    assert response.status_code == 412
    assert response.json() == CSRF_FAILED


def test_basic_auth_needs_neither(room):
    attendee = AttendeeFactory(room=room)
    response = OCSClient(attendee.user, ocs_header=False).post(active(room.token))
    assert response.status_code == 200


def test_anonymous_guest_is_held_to_the_same_rule(public_room):
    guest = OCSClient(ocs_header=False)
    assert guest.post(active(public_room.token)).status_code == 412
    assert not Session.objects.exists()
    assert guest.post(active(public_room.token), HTTP_OCS_APIREQUEST="true").status_code == 200


def test_safe_methods_need_no_token(browser_user):
    response = browser_user.get("/ocs/v2.php/cloud/user")
    assert response.status_code == 200
