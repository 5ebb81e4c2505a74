"""One exception class per error of the spec, and the OCS exception handler.

The reference has two error shapes (talk-reference.md section 2.3), and the class tree
shows which one an error answers:

- ``CheckFailed`` and its subclasses: a check that failed before the endpoint ran (the
  reference's middleware, our permission classes) answers ``data: []``:
  ``RoomNotFound``, ``ParticipantNotFound``, ``ReadOnlyRoom``, ``LobbyActive``,
  ``NotAModerator``, ``CheckForbidden``, ``DownloadRefused``.
- ``EndpointError`` and its subclasses: the endpoint itself refused, answering
  ``data: null`` or ``{"error": key[, "message"]}``: ``BadRequest``, ``NotFound``,
  ``ForbiddenError``, ``PreconditionFailed``, ``NotImplementedError_``,
  ``InvalidParameter``; ``Conflict`` answers a payload of its own.
- ``ThrottleExceeded`` (429) and ``ServiceUnavailable`` (503, a lost database connection)
  answer ``data: []`` with ``Retry-After``.
- ``NotLoggedIn`` is the one 401 (``meta.statuscode`` 997); ``CSRFCheckFailed`` is the
  plain 412 ``{"message": "CSRF check failed"}``, outside the envelope.

Every answer explains itself in ``meta.message`` (where Talk mostly leaves it empty):
the class's ``default_detail``, or the raise site's own words when it knows better
(``BadRequest("type", "Only group and public conversations have a lobby")``).

Services and permission classes raise these; ``ocs_exception_handler`` renders them, and
turns the errors of Django and DRF themselves into OCS 4xx answers (``FOREIGN_ERRORS``).
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response

from .renderers import OCSResponse


class OCSError(drf.APIException):
    """Base: an OCS answer with ``status_code``, a payload and a ``meta.message``.

    ``meta.message`` is ``detail``: the raise site's own words when it knows better, else
    the class's ``default_detail``. Every 4xx the app answers carries one.
    """

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail = "The request cannot be answered"
    default_code = "ocs"
    #: ``meta.statuscode`` when it is not the HTTP status.
    ocs_statuscode: int | None = None
    #: HTTP headers of the answer (``Retry-After``).
    headers: dict | None = None

    def __init__(self, detail=None, *, data=None):
        super().__init__(detail if detail else self.default_detail)
        self.data = data

    def payload(self):
        """Return ``ocs.data`` of the answer."""
        return self.data

    def message(self) -> str:
        """Return ``meta.message`` of the answer."""
        return str(self.detail)


class CheckFailed(OCSError):
    """A failed precondition (the reference's middleware): ``data: []``."""

    def payload(self):
        return []


class RoomNotFound(CheckFailed):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Conversation not found"


class ParticipantNotFound(CheckFailed):
    status_code = status.HTTP_404_NOT_FOUND
    # One message for both cases, as one status: the answer does not tell outsiders
    # whether a conversation with this token exists.
    default_detail = "Conversation not found, or you are not a participant of it"


class ReadOnlyRoom(CheckFailed):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "This conversation is read-only"


class LobbyActive(CheckFailed):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "You are in the lobby of this conversation: wait until a moderator opens it"


class NotAModerator(CheckFailed):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Only moderators of this conversation can do this"


class CheckForbidden(CheckFailed):
    """Missing permission bit, start-call restriction, calls disabled: 403 ``data: []``."""

    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You are not allowed to do this in this conversation"


class DownloadRefused(CheckFailed):
    """The call's participant list cannot be downloaded (no call, nobody joined, not CSV): 400 ``[]``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "There is no call to download the participants of"


class NotLoggedIn(OCSError):
    """401 with ``meta.statuscode`` 997, as Nextcloud answers for anonymous calls to user-only endpoints."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Current user is not logged in"
    ocs_statuscode = 997

    def payload(self):
        return []


class EndpointError(OCSError):
    """An error the endpoint returns: ``{"error": key}`` or ``null`` (no key).

    ``detail`` is the ``meta.message``. ``data_message`` adds a ``message`` to the
    payload where the reference has one there too (``{"error": key, "message": ...}``:
    dial-out failures).
    """

    def __init__(
        self,
        error: str | None = None,
        detail: str | None = None,
        *,
        status_code: int | None = None,
        data_message: str | None = None,
    ):
        if status_code is not None:
            self.status_code = status_code
        data = None if error is None else {"error": error}
        if data is not None and data_message:
            data["message"] = data_message
        super().__init__(detail, data=data)
        self.error = error


class BadRequest(EndpointError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request is not valid for this conversation"


class NotFound(EndpointError):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Not found"


class ForbiddenError(EndpointError):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You are not allowed to do this"


class PreconditionFailed(EndpointError):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "This is not possible with the server's configuration"


class NotImplementedError_(EndpointError):
    status_code = status.HTTP_501_NOT_IMPLEMENTED
    default_detail = "This server does not implement this"


class NoTalkSession(NotFound):
    """404 ``null``: the caller has no Talk session in the room (never joined, or it expired)."""

    def __init__(self, token: str = "{token}", *, detail: str | None = None):
        super().__init__(
            None,
            detail
            or "You have not joined this conversation, or your Talk session expired: join it again "
            f"(POST /ocs/v2.php/apps/spreed/api/v4/room/{token}/participants/active)",
        )


#: ``meta.message`` of answers several raise sites share.
NO_CALL = "There is no call in this conversation"
NOT_IN_CALL = "You are not in the call of this conversation: join it first"
FLAGS_WITHOUT_IN_CALL = "flags must contain IN_CALL (1)"


class InvalidParameter(BadRequest):
    """A parameter has the wrong type or range: 400 ``{"error": <key>}``, the message names the parameter."""

    default_detail = "A parameter is not valid"

    def __init__(self, name: str, detail: str | None = None):
        super().__init__(name, detail or f"{name} is not valid")


class Conflict(OCSError):
    """409 with the payload given as ``data``."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Your browser is already in a call in this conversation: join again with force=true to leave it"


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


def _too_big(exc) -> str:
    return f"The request body is larger than this server accepts ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)"


def _too_many_fields(exc) -> str:
    return f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields"


def _unsupported_media_type(exc) -> str:
    return f"{_detail(exc)} Send JSON (application/json) or a form."


def _method_not_allowed(exc) -> str:
    return f"{_detail(exc)} See the Allow header for the methods of this path."


def _throttled(exc) -> str:
    return f"Too many requests: try again in {int(exc.wait)} seconds" if exc.wait else "Too many requests"


#: Errors of Django and DRF themselves, first match wins (subclasses before their bases):
#: ``(class, HTTP status or None for the exception's own, data(exc), message(exc), meta.statuscode)``.
FOREIGN_ERRORS: tuple[
    tuple[type[Exception], int | None, Callable[[Any], Any], Callable[[Any], str], int | None], ...
] = (
    (RequestDataTooBig, 413, lambda e: {"error": "body"}, _too_big, None),
    (TooManyFieldsSent, 400, lambda e: {"error": "body"}, _too_many_fields, None),
    (SuspiciousOperation, 400, lambda e: {"error": "request"}, lambda e: "The request was refused as suspicious", None),
    (Http404, 404, lambda e: [], lambda e: "Not found", None),
    (DjangoPermissionDenied, 403, lambda e: [], lambda e: "Permission denied", None),
    (drf.ParseError, 400, lambda e: {"error": "body"}, _detail, None),
    (drf.UnsupportedMediaType, 415, lambda e: {"error": "content-type"}, _unsupported_media_type, None),
    (drf.NotAuthenticated, 401, lambda e: [], _detail, NotLoggedIn.ocs_statuscode),
    (drf.AuthenticationFailed, 401, lambda e: [], _detail, NotLoggedIn.ocs_statuscode),
    (drf.MethodNotAllowed, 405, lambda e: [], _method_not_allowed, None),
    (drf.Throttled, 429, lambda e: [], _throttled, None),
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
    default_detail = "The signaling request is larger than this server accepts"


class TooManyRequests(EndpointError):
    """429 ``{"error": key}``: a signaling session over its message rate."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many signaling messages: slow down"
