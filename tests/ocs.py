"""Test helpers that speak OCS like a Talk client: paths, clients, envelope readers."""

import base64

from django.test import Client

from .factories import PASSWORD

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
            from urllib.parse import urlencode

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
