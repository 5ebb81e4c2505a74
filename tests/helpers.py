"""The one helpers module of the tests: speak OCS like a Talk client, put people in rooms
and calls, run requests in parallel, drive a browser.

Fixtures live in ``conftest.py`` files (``tests/conftest.py``: users, rooms, clients;
``tests/browser/conftest.py``: Chromium); data comes from ``tests/factories.py``.
"""

import base64
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from talk_calls.constants import InCallFlag
from talk_calls.exceptions import BadRequest
from talk_calls.models import Session
from tests.factories import PASSWORD, AttendeeFactory

# --- OCS paths and clients ----------------------------------------------------------------

V4 = "/ocs/v2.php/apps/spreed/api/v4"


def room_url(token, suffix=""):
    return f"{V4}/room/{token}{suffix}"


def call_url(token, suffix=""):
    return f"{V4}/call/{token}{suffix}"


def basic_header(username, password=PASSWORD):
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {raw}"


class OCSClient(Client):
    """A Django test client that sends ``OCS-APIRequest: true`` and reads OCS envelopes.

    ``OCSClient(user)`` authenticates with HTTP Basic like API clients; ``OCSClient()`` is
    an anonymous guest with its own cookie jar. CSRF checks stay on (as in production).
    """

    def __init__(self, user=None, *, basic=True, ocs_header=True, **kwargs):
        kwargs.setdefault("enforce_csrf_checks", True)
        super().__init__(**kwargs)
        self.user = user
        if ocs_header:
            self.defaults["HTTP_OCS_APIREQUEST"] = "true"
        if user is not None:
            if basic:
                self.defaults["HTTP_AUTHORIZATION"] = basic_header(user.get_username())
            else:
                self.force_login(user)

    def ocs(self, method, path, data=None, *, json=True, **extra):
        """Send a request (JSON body by default; ``json=False`` sends a form) and return the response."""
        method = method.lower()
        if data is not None and json:
            return getattr(self, method)(path, data=data, content_type="application/json", **extra)
        if data is not None and method in ("put", "delete", "patch"):
            return getattr(self, method)(
                path, data=urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded", **extra
            )
        if data is None:
            return getattr(self, method)(path, **extra)
        return getattr(self, method)(path, data=data, **extra)

    def join_room(self, token, **data):
        return self.ocs("POST", room_url(token, "/participants/active"), data or None)


def ocs_data(response):
    return response.json()["ocs"]["data"]


def ocs_meta(response):
    return response.json()["ocs"]["meta"]


# --- people in rooms and calls ------------------------------------------------------------
# Clients log in with Django's session (``user_client``) rather than HTTP Basic: the same
# code path after authentication, without a password hash per client. Basic auth is
# covered by the authentication and client-library tests.


def user_client(user):
    """Return an OCS client logged in as ``user`` through the session cookie."""
    return OCSClient(user, basic=False)


def in_room(room, **attendee_kwargs):
    """Return ``(client, attendee)``: a new user attendee of ``room`` whose client joined the room."""
    attendee = AttendeeFactory(room=room, **attendee_kwargs)
    client = user_client(attendee.user)
    response = client.join_room(room.token)
    assert response.status_code == 200, response.content
    return client, attendee


def guest_in_room(room):
    """Return ``(client, attendee)`` for an anonymous guest who joined public ``room``."""
    client = OCSClient()
    response = client.join_room(room.token)
    assert response.status_code == 200, response.content
    session = Session.objects.select_related("attendee").get(session_id=response.json()["ocs"]["data"]["sessionId"])
    return client, session.attendee


def in_call(room, flags=None, **attendee_kwargs):
    """Return ``(client, attendee)`` of a new user attendee who joined ``room`` and its call."""
    client, attendee = in_room(room, **attendee_kwargs)
    data = {} if flags is None else {"flags": int(flags)}
    response = client.ocs("POST", call_url(room.token), data)
    assert response.status_code == 200, response.content
    return client, attendee


def clients_in_call(room, *attendees, flags=InCallFlag.IN_CALL | InCallFlag.WITH_AUDIO):
    """Join existing ``attendees`` to the room and its call through the API; return their clients."""
    clients = []
    for attendee in attendees:
        client = user_client(attendee.user)
        assert client.join_room(room.token).status_code == 200
        assert client.ocs("POST", call_url(room.token), {"flags": int(flags)}).status_code == 200
        clients.append(client)
    return clients


def sessions_of(attendee):
    return Session.objects.filter(attendee=attendee)


# --- threads (PostgreSQL race tests) ------------------------------------------------------


def run_in_parallel(requests):
    """Send ``(client, method, path)`` requests at once, one thread each; return their statuses in order."""
    return run_together([lambda r=request: r[0].generic(r[1], r[2]).status_code for request in requests])[0]


def run_together(actions, *, tolerated=(BadRequest,)):
    """Run each callable in its own thread, all released at once (each thread closes its own
    connection); return ``(results, errors)``: results in order (None for a raised exception)
    and the exceptions raised, except the ``tolerated`` ones (answers a client can get)."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)
    errors: list = []

    def worker(index, action):
        try:
            barrier.wait(timeout=30)
            results[index] = action()
        except tolerated:
            pass
        except Exception as exc:  # collected: a deadlock or a bug must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


# --- browser (Debian Chromium through Playwright; the fixture is in tests/browser/conftest.py)

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def needs_tool(name: str) -> str:
    """Return the path of ``name``; skip without it, fail without it under ``CI=true``."""
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (apt-get install -y {name}; .ci/ensure-services does it)"
        if in_ci():
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    return found


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot (the whole page unless ``full_page=False``) to ``artifacts/``; return its path.

    The timeout is generous: on a loaded 2-core machine a long page takes Chromium seconds to paint.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(target), full_page=full_page, timeout=60000)
    return target


def admin_login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "/admin/login/" not in page.url, "admin login failed"
