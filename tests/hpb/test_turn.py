"""coturn with the TURN REST secret accepts the credentials the reference hands out
(talk-signaling.md section D): username ``"<expiry>:<16 random characters>"``, credential
``base64(HMAC-SHA1(secret, username))``; an expired or wrongly keyed one is refused.
Proven with coturn's own ``turnutils_uclient`` relaying between two clients on loopback.
"""

import base64
import hashlib
import hmac
import secrets
import subprocess
import time

import pytest

from .processes import UCLIENT, require, start_coturn

pytestmark = [pytest.mark.hpb]

SECRET = "turn-rest-secret-of-the-tests"


def turn_credentials(secret: str, *, lifetime: int = 86400) -> tuple[str, str]:
    """Return ``(username, credential)`` computed as the reference's ``Config::getTurnSettings``."""
    username = f"{int(time.time()) + lifetime}:{secrets.token_urlsafe(12)[:16]}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


@pytest.fixture
def coturn(tmp_path):
    process = start_coturn(tmp_path / "coturn", SECRET)
    yield process
    process.stop()


def relay(coturn, username: str, credential: str) -> subprocess.CompletedProcess:
    require(UCLIENT)
    argv = [UCLIENT, "-y", "-c", "-n", "10", "-l", "100", "-z", "5", "-X"]
    argv += ["-u", username, "-w", credential, "-p", str(coturn.ports["listening"]), "127.0.0.1"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def test_reference_credentials_relay_between_two_clients(coturn):
    result = relay(coturn, *turn_credentials(SECRET))
    output = result.stdout + result.stderr
    assert "Total lost packets 0 (0.000000%)" in output, output[-3000:]
    assert "Cannot complete Allocation" not in output


@pytest.mark.parametrize(
    "credentials",
    [
        lambda: turn_credentials("another secret"),
        lambda: turn_credentials(SECRET, lifetime=-60),
    ],
    ids=["wrong secret", "expired"],
)
def test_other_credentials_are_refused(coturn, credentials):
    result = relay(coturn, *credentials())
    output = result.stdout + result.stderr
    assert "Cannot complete Allocation" in output or result.returncode != 0, output[-3000:]
    assert "Total lost packets 0" not in output
