"""The base view of every endpoint of the app: OCS wire rules in one place.

``OCSView`` sets authentication, parsers, renderer, content negotiation and the
exception handler per view, so a host never edits its ``REST_FRAMEWORK`` setting. It
applies Talk's CSRF rule, rejects ``format=xml``, exposes the merged parameters as
``self.params`` and wraps every response in the OCS envelope of its path (v1 or v2).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..access import Actor, Participant, find_participant
from ..authentication import BasicAuthentication, SessionAuthentication
from ..exceptions import CSRFCheckFailed, InvalidParameter, NotLoggedIn, ocs_exception_handler
from ..parsers import PARSER_CLASSES, Params
from ..renderers import OCSJSONRenderer, api_version, ocs_envelope

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Always answer JSON; ``Accept`` and ``format=json`` are accepted and ignored."""

    def select_parser(self, request, parsers):
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        for parser in parsers:
            if parser.media_type == media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def enforce_csrf(request) -> None:
    """Raise ``CSRFCheckFailed`` unless the request may change state (reference section 2.4)."""
    if request.method not in UNSAFE_METHODS:
        return
    if isinstance(request.successful_authenticator, BasicAuthentication):
        return
    if request.META.get("HTTP_OCS_APIREQUEST", "").lower() == "true":
        return
    django_request = request._request
    check = _CsrfCheck(lambda req: None)
    check.process_request(django_request)
    if check.process_view(django_request, None, (), {}) is not None:
        raise CSRFCheckFailed()


def check_body_size(request) -> None:
    """Raise 413 for a body announced over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, whatever its content
    type: Django bounds only non-file data, so a multipart file part would pass unchecked."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        length = 0
    if limit is not None and length > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")


class OCSView(APIView):
    authentication_classes = [BasicAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]
    parser_classes = PARSER_CLASSES
    renderer_classes = [OCSJSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation
    throttle_classes: list = []
    versioning_class = None

    def get_exception_handler(self):
        return ocs_exception_handler

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise NotLoggedIn()
        super().permission_denied(request, message=message, code=code)

    def get_authenticate_header(self, request):
        if request.META.get("HTTP_OCS_APIREQUEST", "").lower() == "true":
            return None
        return BasicAuthentication().authenticate_header(request)

    def initial(self, request, *args, **kwargs):
        """Check, in this order: method (405), ``format`` (400), credentials (401), CSRF
        (412), the body (400/413), then the view's permission classes."""
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method)
        if request.query_params.get("format", "json").lower() not in ("json", ""):
            raise InvalidParameter("format", "Only format=json is supported")
        super().initial(request, *args, **kwargs)

    def perform_authentication(self, request):
        # DRF runs this before the permission classes: CSRF and the body are checked
        # here so that a forged or malformed request never reaches a room lookup.
        super().perform_authentication(request)
        enforce_csrf(request)
        check_body_size(request)
        self.params  # noqa: B018 - parse the body now: errors answer before any state change

    @property
    def params(self) -> Params:
        if not hasattr(self, "_params"):
            self._params = Params.from_request(self.request)
        return self._params

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and not getattr(response, "ocs_raw", False):
            if response.status_code in (204, 304):
                response.data = None
            else:
                body, http_status = ocs_envelope(
                    response.data,
                    response.status_code,
                    version=api_version(request.path),
                    message=getattr(response, "ocs_message", None),
                    statuscode=getattr(response, "ocs_statuscode", None),
                )
                response.data, response.status_code = body, http_status
        return super().finalize_response(request, response, *args, **kwargs)


class OCSNotFoundView(OCSView):
    """Any ``/ocs/`` path that matches nothing: an OCS 404 in JSON, whatever the method."""

    authentication_classes: list = []

    def initial(self, request, *args, **kwargs):
        pass

    def dispatch(self, request, *args, **kwargs):
        self.http_method_names = [m.lower() for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")]
        return super().dispatch(request, *args, **kwargs)

    def _not_found(self, request, *args, **kwargs):
        return Response([], status=404)

    get = post = put = patch = delete = options = _not_found


class ParticipantView(OCSView):
    """A view of ``/room/{token}`` or ``/call/{token}``: ``self.actor`` and ``self.participant``.

    ``participant`` is resolved on first use (404 when the caller is not an attendee) and
    reused by the permission classes and the handler.
    """

    @property
    def actor(self) -> Actor:
        if not hasattr(self, "_actor"):
            self._actor = Actor.from_request(self.request)
        return self._actor

    @property
    def participant(self) -> Participant:
        if not hasattr(self, "_participant"):
            self._participant = find_participant(self.kwargs["token"], self.actor)
        return self._participant
