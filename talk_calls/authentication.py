"""Who is calling: HTTP Basic (API clients) and the Django session cookie (browsers).

Basic credentials are checked once per Django session (CONTRACT section 4): after a
successful check the session keeps an HMAC of them (keyed with ``SECRET_KEY``) and of
the user's session auth hash, and a later request with the same cookie and the same
credentials skips the password hasher. Different credentials, or a password changed
since, are checked afresh. A fresh check runs only within the throttles (``login_address``,
``login_user``: 429 before any hash) and in one of the bounded password-hash slots; an
unknown user name costs the same hash (Django's ModelBackend hashes a dummy), so timing
tells nothing. A successful check gives the Django session a new key (a cookie planted
before the login is worthless after it). CSRF is not enforced here;
``views.base.OCSView`` applies Talk's rule (412) to every cookie-only unsafe request,
anonymous guests included.
"""

import base64
import binascii
import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.utils.encoding import force_bytes
from rest_framework.authentication import BaseAuthentication

from . import throttling
from .access import TalkSessionMap
from .exceptions import NotLoggedIn

SESSION_BASIC_DIGEST = "_talk_calls_basic_digest"
SESSION_BASIC_USER = "_talk_calls_basic_user"


def _credentials_digest(username: str, password: str, user) -> str:
    """Return the HMAC of the credentials and of the user's current password hash."""
    message = f"{username}\x00{password}\x00{user.pk}\x00{user.get_session_auth_hash()}".encode()
    return hmac.new(force_bytes(settings.SECRET_KEY), message, hashlib.sha256).hexdigest()


class BasicAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Basic``; remember the check in the Django session."""

    www_authenticate_realm = "Nextcloud"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise NotLoggedIn("Invalid basic header") from exc
        username, sep, password = decoded.partition(":")
        if not sep or "\x00" in username or "\x00" in password:
            # NUL never is in a valid login, and PostgreSQL refuses it in a query.
            raise NotLoggedIn("Invalid basic header")
        user = self._cached_user(request, username, password)
        if user is None:
            user = self._check_credentials(request, username, password)
            session = getattr(request._request, "session", None)
            if session is not None:
                # Session fixation: the key the client came with stops working at login.
                TalkSessionMap(session).rotate()
                session[SESSION_BASIC_DIGEST] = _credentials_digest(username, password, user)
                session[SESSION_BASIC_USER] = user._meta.pk.value_to_string(user)
        return user, None

    def _check_credentials(self, request, username, password):
        """Run the password hasher within the throttles and a hash slot; return the user."""
        address = throttling.client_address(request)
        name = username.casefold()
        throttling.check("login_address", address)
        throttling.check("login_user", name)
        with throttling.password_hash_slot():
            user = authenticate(request._request, username=username, password=password)
        if user is None or not user.is_active:
            throttling.hit("login_address", address)
            throttling.hit("login_user", name)
            raise NotLoggedIn("Invalid username or password")
        return user

    def _cached_user(self, request, username, password):
        session = getattr(request._request, "session", None)
        if session is None:
            return None
        digest = session.get(SESSION_BASIC_DIGEST)
        user_pk = session.get(SESSION_BASIC_USER)
        if not isinstance(digest, str) or user_pk is None:
            return None
        user = get_user_model()._default_manager.filter(pk=user_pk, is_active=True).first()
        if user is None or not hmac.compare_digest(digest, _credentials_digest(username, password, user)):
            return None
        return user

    def authenticate_header(self, request):
        return f'Basic realm="{self.www_authenticate_realm}"'


class SessionAuthentication(BaseAuthentication):
    """Authenticate by Django's session cookie (after a normal Django login); no CSRF here."""

    def authenticate(self, request):
        user = getattr(request._request, "user", None)
        if user is None or not user.is_active:
            return None
        return user, None
