"""Hello v2 tokens (talk-signaling.md C4): with a key configured, ``signaling/settings`` offers a
JWT in ``helloAuthParams["2.0"]`` that verifies with the public key the capabilities publish,
as a newer signaling server checks it; without a key only hello v1 is offered."""

import base64
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.management import call_command

from talk_calls.checks import check_settings
from talk_calls.signaling.tokens import TOKEN_LIFETIME, new_private_key
from tests.factories import AttendeeFactory, RoomFactory, UserFactory
from tests.helpers import OCSClient, ocs_data

SETTINGS = "/ocs/v2.php/apps/spreed/api/v3/signaling/settings"
CAPABILITIES = "/ocs/v2.php/cloud/capabilities"
SECRET = "external-mode-secret-0123456789"
SERVERS = [{"server": "https://signaling.example/", "verify": True}]


def external(settings, *, key="", algorithm="ES256", **extra):
    settings.TALK_CALLS = {
        "SIGNALING_SERVERS": SERVERS,
        "SIGNALING_SECRET": SECRET,
        "SIGNALING_TOKEN_PRIVATE_KEY": key,
        "SIGNALING_TOKEN_ALGORITHM": algorithm,
        **extra,
    }


def published_key(client) -> str:
    return ocs_data(client.get(CAPABILITIES))["capabilities"]["spreed"]["config"]["signaling"]["hello-v2-token-key"]


def verifying_key(text: str, algorithm: str):
    """Load the published key as the signaling server does (EdDSA: base64 of the raw key)."""
    if algorithm == "EdDSA":
        return ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
    return serialization.load_pem_public_key(text.encode())


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "EdDSA"])
def test_the_token_verifies_with_the_key_of_the_capabilities(db, settings, algorithm):
    external(
        settings, key=new_private_key(algorithm), algorithm=algorithm, SIGNALING_BACKEND_URL="https://app.example/"
    )
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    attendee = AttendeeFactory(room=RoomFactory(), user=user)
    client = OCSClient(user)
    before = int(time.time())
    data = ocs_data(client.get(SETTINGS, {"token": attendee.room.token}))
    token = data["helloAuthParams"]["2.0"]["token"]
    key = verifying_key(published_key(client), algorithm)
    claims = jwt.decode(token, key, algorithms=[algorithm])
    assert claims["iss"] == "https://app.example/"
    assert claims["sub"] == user.get_username()
    assert claims["userdata"] == {"displayname": "Ada Lovelace"}
    assert claims["exp"] - claims["iat"] == TOKEN_LIFETIME and claims["iat"] >= before
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    # Hello v1 stays offered: Debian's 0.4.1 knows nothing else.
    assert data["helloAuthParams"]["1.0"]["ticket"] == data["ticket"]


def test_a_token_signed_by_another_key_does_not_verify(db, settings):
    external(settings, key=new_private_key())
    room = RoomFactory(public=True)
    client = OCSClient()
    token = ocs_data(client.get(SETTINGS, {"token": room.token}))["helloAuthParams"]["2.0"]["token"]
    other = serialization.load_pem_private_key(new_private_key().encode(), password=None).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["ES256"])
    claims = jwt.decode(token, verifying_key(published_key(client), "ES256"), algorithms=["ES256"])
    # A guest's token names no user; the issuer is the site's own base URL.
    assert "sub" not in claims and "userdata" not in claims
    assert claims["iss"] == "http://testserver/"


def test_without_a_key_only_hello_v1_is_offered_and_no_key_published(db, settings):
    external(settings)
    room = RoomFactory(public=True)
    client = OCSClient()
    assert set(ocs_data(client.get(SETTINGS, {"token": room.token}))["helloAuthParams"]) == {"1.0"}
    assert published_key(client) == ""


def test_conversation_cluster_without_a_room_token_is_refused(db, settings):
    external(
        settings,
        SIGNALING_SERVERS=[*SERVERS, {"server": "https://two.example/"}],
        SIGNALING_MODE="conversation_cluster",
    )
    response = OCSClient(UserFactory()).get(SETTINGS)
    assert response.status_code == 400
    assert ocs_data(response) == {"error": "token"}
    # With one server (external mode) a room-less request still names it.
    external(settings)
    assert ocs_data(OCSClient(UserFactory()).get(SETTINGS))["server"] == "https://signaling.example/"


@pytest.mark.parametrize(
    "key, algorithm, problem",
    [
        ("not a key", "ES256", "not a readable"),
        (None, "RS256", "needs an rsa key"),
        (None, "HS256", "must be one of"),
    ],
)
def test_an_unusable_key_is_a_system_check_error(settings, key, algorithm, problem):
    external(settings, key=key or new_private_key("ES256"), algorithm=algorithm)
    errors = [error for error in check_settings() if error.id == "talk_calls.E025"]
    assert len(errors) == 1 and problem in errors[0].msg


def test_the_management_command_writes_a_key_the_check_accepts(settings, tmp_path):
    path = tmp_path / "token-key.pem"
    call_command("talk_calls_hpb_config", "token-key", "--algorithm", "ES384", "-o", str(path))
    external(settings, key=path.read_text(), algorithm="ES384")
    assert not [error for error in check_settings() if error.id == "talk_calls.E025"]
