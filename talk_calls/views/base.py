"""The base views of every endpoint of the app: OCS wire rules in one place.

``OCSView`` sets authentication, parsers, renderer, content negotiation and the
exception handler per view, so a host never edits its ``REST_FRAMEWORK`` setting. It
applies Talk's CSRF rule, rejects ``format=xml``, exposes the merged parameters as
``self.params``, raises the OCS error a refusing permission class names, and wraps
every ``OCSResponse`` in the OCS envelope of its path (v1 or v2). ``OCSViewSet`` is the
same as a DRF ``ViewSet``; ``TokenViewSet`` adds the caller (``self.actor``) and its
participant in the room of the ``token`` path argument.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from ..access import Actor, Participant, find_participant
from ..authentication import BasicAuthentication, SessionAuthentication
from ..exceptions import CSRFCheckFailed, InvalidParameter, ParticipantNotFound, RoomNotFound, ocs_exception_handler
from ..openapi.schema import OCSAutoSchema
from ..parsers import PARSER_CLASSES, Params
from ..renderers import OCSJSONRenderer, OCSResponse, api_version
from ..serializers import participant_room_payload

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


def _never_called(request) -> HttpResponse:
    raise AssertionError("the CSRF check never calls the view or the next middleware")


class CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF middleware as a check: answers the reason instead of a 403 page."""

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
    check = CsrfCheck(_never_called)
    check.process_request(django_request)
    if check.process_view(django_request, _never_called, (), {}) is not None:
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
    #: The API description of the view (``openapi.schema``); a view without its own table
    #: is described as "(not described)" and makes generation warn.
    schema = OCSAutoSchema()

    def get_exception_handler(self):
        return ocs_exception_handler

    def check_permissions(self, request):
        """Run the permission classes in order; the first that refuses answers its error."""
        for permission in self.get_permissions():
            if not permission.has_permission(request, self):
                self.permission_denied(
                    request,
                    message=getattr(permission, "message", None),
                    code=getattr(permission, "code", None),
                    exception_class=getattr(permission, "exception_class", None),
                )

    def permission_denied(self, request, message=None, code=None, exception_class=None):
        """Raise the OCS error the refusing class names; DRF's own classes answer DRF's 401/403."""
        if exception_class is not None:
            raise exception_class(detail=message) if message else exception_class()
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
        self.check_format(request)
        super().initial(request, *args, **kwargs)

    def check_format(self, request) -> None:
        """Raise 400 ``format`` unless the requested OCS format is JSON (CONTRACT section 2)."""
        if request.query_params.get("format", "json").lower() not in ("json", ""):
            raise InvalidParameter("format", "Only format=json is supported: this server answers JSON only")

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

    def options(self, request, *args, **kwargs):
        """Answer DRF's metadata inside the OCS envelope."""
        response = super().options(request, *args, **kwargs)
        return OCSResponse(response.data, response.status_code)

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, OCSResponse):
            response.wrap(api_version(request.path))
        return super().finalize_response(request, response, *args, **kwargs)


class OCSNotFoundView(OCSView):
    """Any ``/ocs/`` path that matches nothing: an OCS 404 in JSON, whatever the method."""

    authentication_classes: list = []
    schema = OCSAutoSchema(exclude=True)

    def initial(self, request, *args, **kwargs):
        pass

    def dispatch(self, request, *args, **kwargs):
        self.http_method_names = [m.lower() for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")]
        return super().dispatch(request, *args, **kwargs)

    def _not_found(self, request, *args, **kwargs):
        return OCSResponse([], 404, message="This server has no endpoint at this path")

    get = post = put = patch = delete = options = _not_found


class OCSViewSet(ViewSetMixin, OCSView):
    """A DRF ``ViewSet`` with the OCS wire rules; route it with ``as_view({"get": "list", ...})``.

    ``permission_classes_by_action`` gives each action its own check list (in the
    reference's order); actions not named there use ``permission_classes``.
    """

    permission_classes_by_action: dict[str, list] = {}

    def get_permissions(self):
        classes = self.permission_classes_by_action.get(self.action or "", self.permission_classes)
        return [permission() for permission in classes]


class TokenViewSet(OCSViewSet):
    """A viewset of ``/room/{token}/...`` or ``/call/{token}/...``: ``self.actor`` and ``self.participant``.

    The participant is looked up once per request, on first use, and reused by the
    permission classes and the handler.
    """

    @property
    def actor(self) -> Actor:
        if not hasattr(self, "_actor"):
            self._actor = Actor.from_request(self.request)
        return self._actor

    def find_participant(self) -> Participant | None:
        """Return the caller's participant in the room of ``token``, or None when it is not one."""
        if not hasattr(self, "_participant"):
            try:
                self._participant: Participant | None = find_participant(self.kwargs["token"], self.actor)
            except (RoomNotFound, ParticipantNotFound):
                self._participant = None
        return self._participant

    @property
    def participant(self) -> Participant:
        """Return the caller's participant; raise 404 ``[]`` when it is not one (``IsParticipant`` checks first)."""
        participant = self.find_participant()
        if participant is None:
            raise ParticipantNotFound()
        return participant

    def room_response(self, status: int = 200) -> OCSResponse:
        """Answer the room object as the caller sees it (the room setters' answer)."""
        return OCSResponse(participant_room_payload(self.participant), status)
