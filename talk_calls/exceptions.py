"""One exception class per error of the spec, and the OCS exception handler.

The reference has two error shapes (talk-reference.md section 2.3), and the class tree
shows which one an error answers:

- ``CheckFailed`` and its subclasses: a check that failed before the endpoint ran (the
  reference's middleware, our permission classes) answers ``data: []`` with an empty
  ``meta.message``: ``RoomNotFound``, ``ParticipantNotFound``, ``ReadOnlyRoom``,
  ``LobbyActive``, ``NotAModerator``, ``CheckForbidden``, ``DownloadRefused``.
- ``EndpointError`` and its subclasses: the endpoint itself refused, answering
  ``data: null`` or ``{"error": key[, "message"]}``: ``BadRequest``, ``NotFound``,
  ``ForbiddenError``, ``PreconditionFailed``, ``NotImplementedError_``,
  ``InvalidParameter``; ``Conflict`` answers a payload of its own.
- ``ThrottleExceeded`` (429) and ``ServiceUnavailable`` (503, a lost database connection)
  answer ``data: []`` with ``Retry-After``.
- ``NotLoggedIn`` is the one 401 (``meta.statuscode`` 997); ``CSRFCheckFailed`` is the
  plain 412 ``{"message": "CSRF check failed"}``, outside the envelope.

Services and permission classes raise these; ``ocs_exception_handler`` renders them, and
turns the errors of Django and DRF themselves into OCS 4xx answers (``FOREIGN_ERRORS``).
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response

from .renderers import OCSResponse


class OCSError(drf.APIException):
    """Base: an OCS answer with ``status_code``, a payload and a ``meta.message``."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail = ""
    default_code = "ocs"
    #: ``meta.statuscode`` when it is not the HTTP status.
    ocs_statuscode: int | None = None
    #: HTTP headers of the answer (``Retry-After``).
    headers: dict | None = None

    def __init__(self, detail=None, *, data=None):
        super().__init__(detail if detail is not None else self.default_detail)
        self.data = data

    def payload(self):
        """Return ``ocs.data`` of the answer."""
        return self.data

    def message(self) -> str:
        """Return ``meta.message`` of the answer."""
        return str(self.detail or "")


class CheckFailed(OCSError):
    """A failed precondition (the reference's middleware): ``data: []``, empty message."""

    def payload(self):
        return []

    def message(self) -> str:
        return ""


class RoomNotFound(CheckFailed):
    status_code = status.HTTP_404_NOT_FOUND


class ParticipantNotFound(CheckFailed):
    status_code = status.HTTP_404_NOT_FOUND


class ReadOnlyRoom(CheckFailed):
    status_code = status.HTTP_403_FORBIDDEN


class LobbyActive(CheckFailed):
    status_code = status.HTTP_412_PRECONDITION_FAILED


class NotAModerator(CheckFailed):
    status_code = status.HTTP_403_FORBIDDEN


class CheckForbidden(CheckFailed):
    """Missing permission bit, start-call restriction, calls disabled: 403 ``data: []``."""

    status_code = status.HTTP_403_FORBIDDEN


class DownloadRefused(CheckFailed):
    """The call's participant list cannot be downloaded (no call, nobody joined, not CSV): 400 ``[]``."""

    status_code = status.HTTP_400_BAD_REQUEST


class NotLoggedIn(OCSError):
    """401 with ``meta.statuscode`` 997, as Nextcloud answers for anonymous calls to user-only endpoints."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Current user is not logged in"
    ocs_statuscode = 997

    def payload(self):
        return []


class EndpointError(OCSError):
    """An error the endpoint returns: ``{"error": key}`` (optionally with ``message``) or ``null``."""

    def __init__(self, error: str | None = None, *, message: str | None = None, status_code: int | None = None):
        if status_code is not None:
            self.status_code = status_code
        data = None if error is None else {"error": error}
        if data is not None and message:
            data["message"] = message
        super().__init__(data=data)


class BadRequest(EndpointError):
    status_code = status.HTTP_400_BAD_REQUEST


class NotFound(EndpointError):
    status_code = status.HTTP_404_NOT_FOUND


class ForbiddenError(EndpointError):
    status_code = status.HTTP_403_FORBIDDEN


class PreconditionFailed(EndpointError):
    status_code = status.HTTP_412_PRECONDITION_FAILED


class NotImplementedError_(EndpointError):
    status_code = status.HTTP_501_NOT_IMPLEMENTED


class InvalidParameter(BadRequest):
    """A parameter has the wrong type or range: 400 ``{"error": <name>}``."""

    def __init__(self, name: str, message: str | None = None):
        super().__init__(name, message=message)


class Conflict(OCSError):
    """409 with the payload given as ``data``."""

    status_code = status.HTTP_409_CONFLICT


class SessionInCall(Conflict):
    """A join without ``force`` would replace this browser's session that is in a call (409).

    The view answers it with the session's shape (``serializers.conflict_payload``).
    """

    def __init__(self, session):
        super().__init__()
        self.session = session


class ThrottleExceeded(OCSError):
    """429 with ``Retry-After``: a throttle of ``throttling`` is used up (``data: []``)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, *, wait: int, scope: str = ""):
        super().__init__(f"Too many requests, retry after {wait} seconds")
        self.wait = int(wait)
        self.scope = scope
        self.headers = {"Retry-After": str(self.wait)}

    def payload(self):
        return []


class ServiceUnavailable(OCSError):
    """503: the database went away in the middle of the request; nothing was committed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable, retry"

    def __init__(self):
        super().__init__()
        self.headers = {"Retry-After": "1"}

    def payload(self):
        return []


class CSRFCheckFailed(drf.APIException):
    """412 with the plain JSON body ``{"message": "CSRF check failed"}``, not OCS-wrapped."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "CSRF check failed"


def _throttled_headers(exc) -> dict | None:
    return {"Retry-After": str(int(exc.wait))} if exc.wait else None


def _detail(exc) -> str:
    return str(getattr(exc, "detail", exc))


#: Errors of Django and DRF themselves, first match wins (subclasses before their bases):
#: ``(class, HTTP status or None for the exception's own, data(exc), message(exc), meta.statuscode)``.
FOREIGN_ERRORS: tuple[
    tuple[type[Exception], int | None, Callable[[Any], Any], Callable[[Any], str], int | None], ...
] = (
    (RequestDataTooBig, 413, lambda e: {"error": "body", "message": str(e)}, lambda e: "Request body too large", None),
    (TooManyFieldsSent, 400, lambda e: {"error": "body", "message": str(e)}, lambda e: "Too many fields", None),
    (SuspiciousOperation, 400, lambda e: {"error": "request"}, lambda e: "Bad request", None),
    (Http404, 404, lambda e: [], lambda e: "", None),
    (DjangoPermissionDenied, 403, lambda e: [], lambda e: "", None),
    (drf.ParseError, 400, lambda e: {"error": "body", "message": _detail(e)}, _detail, None),
    (drf.UnsupportedMediaType, 415, lambda e: {"error": "content-type", "message": _detail(e)}, _detail, None),
    (drf.NotAuthenticated, 401, lambda e: [], _detail, NotLoggedIn.ocs_statuscode),
    (drf.AuthenticationFailed, 401, lambda e: [], _detail, NotLoggedIn.ocs_statuscode),
    (drf.MethodNotAllowed, 405, lambda e: [], lambda e: "", None),
    (drf.Throttled, 429, lambda e: [], _detail, None),
    (drf.APIException, None, lambda e: [], _detail, None),
)


def ocs_exception_handler(exc, context):
    """Render ``exc`` as an OCS response; return None (a real 500) only for bugs."""
    if isinstance(exc, CSRFCheckFailed):
        return Response({"message": str(exc.detail)}, status=exc.status_code)
    if isinstance(exc, OCSError):
        return OCSResponse(
            exc.payload(), exc.status_code, message=exc.message(), statuscode=exc.ocs_statuscode, headers=exc.headers
        )
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database dropped the connection (or refused it): the transaction is gone,
        # nothing was committed. Close the broken connection so the rest of this request
        # (the session middleware) and the next one reconnect.
        close_old_connections()
        unavailable = ServiceUnavailable()
        return OCSResponse([], 503, message=unavailable.message(), headers=unavailable.headers)
    for exc_class, status_code, data, message, statuscode in FOREIGN_ERRORS:
        if isinstance(exc, exc_class):
            headers = _throttled_headers(exc) if isinstance(exc, drf.Throttled) else None
            return OCSResponse(
                data(exc), status_code or exc.status_code, message=message(exc), statuscode=statuscode, headers=headers
            )
    return None


class PayloadTooLarge(EndpointError):
    """413 ``{"error": key}``: a signaling request over its size limits."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


class TooManyRequests(EndpointError):
    """429 ``{"error": key}``: a signaling session over its message rate."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
