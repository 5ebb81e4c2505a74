"""One exception class per error of the spec, and the OCS exception handler.

The reference has two error shapes (talk-reference.md section 2.3): checks that fail
before the endpoint runs answer ``data: []`` (``CheckFailed`` and its subclasses), the
endpoints themselves answer ``data: null`` or ``data: {"error": "<key>"}``
(``EndpointError``). Services raise these; ``ocs_exception_handler`` renders them. The
envelope itself is added by ``views.base.OCSView.finalize_response``.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response


class OCSError(drf.APIException):
    """Base: an OCS answer with ``status_code``, a payload and a ``meta.message``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = ""
    default_code = "ocs"

    def __init__(self, detail=None, *, data=None):
        super().__init__(detail if detail is not None else self.default_detail)
        self.data = data

    def payload(self):
        return self.data


class CheckFailed(OCSError):
    """A failed precondition (the reference's middleware): ``data: []``, empty message."""

    def payload(self):
        return []


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


class Forbidden(CheckFailed):
    """Missing permission bit, start-call restriction, calls disabled, not allowed."""

    status_code = status.HTTP_403_FORBIDDEN


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


class Conflict(OCSError):
    status_code = status.HTTP_409_CONFLICT


class PreconditionFailed(EndpointError):
    status_code = status.HTTP_412_PRECONDITION_FAILED


class NotImplementedError_(EndpointError):
    status_code = status.HTTP_501_NOT_IMPLEMENTED


class InvalidParameter(BadRequest):
    """A parameter has the wrong type or range: 400 ``{"error": <name>}``."""

    def __init__(self, name: str, message: str | None = None):
        super().__init__(name, message=message)


class TooManyRequests(OCSError):
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


def _response(status_code, data, message="", *, ocs_statuscode=None, headers=None):
    response = Response(data, status=status_code, headers=headers)
    response.ocs_message = message
    if ocs_statuscode is not None:
        response.ocs_statuscode = ocs_statuscode
    return response


def ocs_exception_handler(exc, context):
    """Render ``exc`` as an OCS response; return None (a real 500) only for bugs."""
    if isinstance(exc, CSRFCheckFailed):
        response = Response({"message": str(exc.detail)}, status=exc.status_code)
        response.ocs_raw = True
        return response
    if isinstance(exc, OCSError):
        return _response(
            exc.status_code,
            exc.payload(),
            "" if isinstance(exc, CheckFailed) else str(exc.detail or ""),
            ocs_statuscode=getattr(exc, "ocs_statuscode", None),
            headers=getattr(exc, "headers", None),
        )
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database dropped the connection (or refused it): the transaction is gone,
        # nothing was committed. Close the broken connection so the rest of this request
        # (the session middleware) and the next one reconnect.
        close_old_connections()
        unavailable = ServiceUnavailable()
        return _response(503, unavailable.payload(), str(unavailable.detail), headers=unavailable.headers)
    if isinstance(exc, RequestDataTooBig):
        return _response(413, {"error": "body", "message": str(exc)}, "Request body too large")
    if isinstance(exc, TooManyFieldsSent):
        return _response(400, {"error": "body", "message": str(exc)}, "Too many fields")
    if isinstance(exc, SuspiciousOperation):
        return _response(400, {"error": "request"}, "Bad request")
    if isinstance(exc, Http404):
        return _response(404, [], "")
    if isinstance(exc, DjangoPermissionDenied):
        return _response(403, [], "")
    if isinstance(exc, drf.ParseError):
        return _response(400, {"error": "body", "message": str(exc.detail)}, str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return _response(415, {"error": "content-type", "message": str(exc.detail)}, str(exc.detail))
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return _response(401, [], str(exc.detail), ocs_statuscode=NotLoggedIn.ocs_statuscode)
    if isinstance(exc, drf.MethodNotAllowed):
        return _response(405, [], "")
    if isinstance(exc, drf.Throttled):
        headers = {"Retry-After": str(int(exc.wait))} if exc.wait else None
        return _response(429, [], str(exc.detail), headers=headers)
    if isinstance(exc, drf.APIException):
        return _response(exc.status_code, [], str(exc.detail))
    return None
