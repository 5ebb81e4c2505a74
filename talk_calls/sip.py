"""SIP dial-out: the interface a host implements to place phone calls (CONTRACT section 6).

``TALK_CALLS["SIP_DIALOUT_BACKEND"]`` names a class (dotted path) with one method,
``dial_out(request) -> str``, that places the call and returns the bridge's call id, or
raises ``DialOutError``. The app ships ``ConsoleDialOutBackend``, the dial-out twin of
Django's console e-mail backend: it logs the request and answers a generated call id.
No backend configured: ``POST /call/{token}/dialout/{attendeeId}`` answers 501.

A number being dialed cannot be dialed again until the backend reports the outcome with
``talk_calls.services.dialout.report_dialout_outcome(call_id, outcome)`` or
``DIALOUT_TIMEOUT`` passes (docs/dialout.md); the console backend reports nothing.

A backend is instantiated once per dial-out and called inside the request; keep it fast
(give the bridge a short connect timeout) since the caller waits for it.
"""

import logging
import secrets
from dataclasses import dataclass

from django.utils.module_loading import import_string

from .conf import app_settings

logger = logging.getLogger("talk_calls.sip")


class DialOutError(Exception):
    """Raise from ``dial_out`` when the bridge refuses or fails: the client gets 501
    ``{"error": code, "message": message}``."""

    def __init__(self, code: str = "dialout", message: str = ""):
        super().__init__(message or code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DialOutRequest:
    """What a backend needs to place one call."""

    room_token: str
    attendee_id: int
    phone_number: str
    caller_actor_type: str
    caller_actor_id: str


class BaseDialOutBackend:
    """Subclass and implement ``dial_out``; point ``SIP_DIALOUT_BACKEND`` at your class."""

    def dial_out(self, request: DialOutRequest) -> str:
        """Place the call and return the bridge's call id; raise ``DialOutError`` on failure."""
        raise NotImplementedError


class ConsoleDialOutBackend(BaseDialOutBackend):
    """Log the dial-out request and answer a generated call id (development and tests)."""

    def dial_out(self, request: DialOutRequest) -> str:
        call_id = secrets.token_hex(16)
        logger.info(
            "Dial-out from %s/%s in room %s to attendee %s (%s): call id %s",
            request.caller_actor_type,
            request.caller_actor_id,
            request.room_token,
            request.attendee_id,
            request.phone_number,
            call_id,
        )
        return call_id


def get_dialout_backend() -> BaseDialOutBackend | None:
    """Return an instance of the configured backend, or None when dial-out is not configured."""
    path = app_settings.SIP_DIALOUT_BACKEND
    if not path:
        return None
    return import_string(path)()
