"""Basic and session authentication; Basic credentials are checked once per Django session."""

import base64

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.hashers import CountingPasswordHasher
from tests.helpers import OCSClient, basic_header, ocs_data, ocs_meta

pytestmark = pytest.mark.django_db

USER_URL = "/ocs/v2.php/cloud/user"


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingPasswordHasher"]
    CountingPasswordHasher.calls = 0
    return CountingPasswordHasher


@pytest.fixture
def alice(counting_hasher):
    user = UserFactory(username="alice")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_second_request_with_the_same_cookie_skips_the_hasher(alice, counting_hasher):
    client = OCSClient(alice)
    assert ocs_data(client.get(USER_URL))["id"] == "alice"
    assert counting_hasher.calls == 1
    assert ocs_data(client.get(USER_URL))["id"] == "alice"
    assert ocs_data(client.get(USER_URL))["id"] == "alice"
    assert counting_hasher.calls == 1


def test_a_new_cookie_jar_checks_again(alice, counting_hasher):
    OCSClient(alice).get(USER_URL)
    OCSClient(alice).get(USER_URL)
    assert counting_hasher.calls == 2


def test_wrong_password_with_a_known_cookie_is_checked_and_refused(alice, counting_hasher):
    client = OCSClient(alice)
    assert client.get(USER_URL).status_code == 200
    response = client.get(USER_URL, HTTP_AUTHORIZATION=basic_header("alice", "not the password"))
    assert response.status_code == 401
    assert ocs_meta(response)["statuscode"] == 997
    assert counting_hasher.calls == 2


def test_other_user_with_a_known_cookie_is_checked_as_that_user(alice, counting_hasher):
    bob = UserFactory(username="bob")
    bob.set_password(PASSWORD)
    bob.save()
    client = OCSClient(alice)
    client.get(USER_URL)
    response = client.get(USER_URL, HTTP_AUTHORIZATION=basic_header("bob"))
    assert ocs_data(response)["id"] == "bob"
    assert counting_hasher.calls == 2


def test_a_changed_password_ends_the_shortcut(alice, counting_hasher):
    client = OCSClient(alice)
    assert client.get(USER_URL).status_code == 200
    alice.set_password("new password")
    alice.save()
    response = client.get(USER_URL)
    assert response.status_code == 401
    assert ocs_meta(response)["statuscode"] == 997


def test_a_deactivated_user_is_refused_even_with_a_known_cookie(alice):
    client = OCSClient(alice)
    assert client.get(USER_URL).status_code == 200
    alice.is_active = False
    alice.save()
    assert client.get(USER_URL).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic " + base64.b64encode(b"nobody:secret").decode(),
    ],
)
def test_bad_basic_credentials_are_401_997(client_for, header):
    response = client_for().get(USER_URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert ocs_meta(response)["statuscode"] == 997
    assert ocs_data(response) == []


def test_other_authorization_schemes_are_ignored(client_for):
    response = client_for().get("/ocs/v2.php/cloud/capabilities", HTTP_AUTHORIZATION="Bearer abc")
    assert response.status_code == 200


def test_session_login_works_without_basic(alice):
    client = OCSClient(alice, basic=False)
    assert ocs_data(client.get(USER_URL))["id"] == "alice"


def test_current_user_fields(alice):
    alice.first_name, alice.last_name = "Alice", "Liddell"
    alice.save()
    data = ocs_data(OCSClient(alice).get("/ocs/v1.php/cloud/user"))
    assert data["id"] == "alice"
    assert data["display-name"] == "Alice Liddell"
    assert data["email"] == alice.email
    assert data["enabled"] is True
