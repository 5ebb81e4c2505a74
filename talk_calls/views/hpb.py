"""``POST /ocs/v2.php/apps/spreed/api/v3/signaling/backend``: the signaling server asks the
app about tickets, rooms and pings (talk-signaling.md section C3).

The request is authenticated by its checksum (C2), not by cookies or CSRF tokens. Like the
reference, every answer is HTTP 200 in the OCS envelope, errors included (a bad or missing
checksum is ``invalid_request``); on top of it a client address with repeated checksum
failures gets 429 with ``Retry-After`` (``throttling`` scope ``signaling_backend_address``,
counted in the shared throttle cache), and a signed body that is no backend request gets 400:
not JSON, nested deeper than ``parsers.MAX_JSON_DEPTH``, or holding a string no parameter
may hold (``parsers.check_values``: lone surrogates, NUL and control characters, over-long).
"""

import json

from .. import parsers, throttling
from ..conf import app_settings
from ..exceptions import InvalidParameter, ThrottleExceeded
from ..hpb import backend
from ..hpb.checksum import CHECKSUM_HEADER, RANDOM_HEADER, verify
from ..openapi.operations import SIGNALING_BACKEND_OPERATIONS
from ..openapi.schema import OCSAutoSchema
from ..renderers import OCSResponse
from .base import OCSView

UNAUTHENTICATED = backend.error("invalid_request", "The request could not be authenticated.")
THROTTLE_SCOPE = "signaling_backend_address"


def _header(request, name: str) -> str | None:
    return request.META.get("HTTP_" + name.upper().replace("-", "_"))


def _malformed(problem: str) -> OCSResponse:
    return OCSResponse(backend.error("invalid_request", problem), 400, message=problem)


class SignalingBackendView(OCSView):
    authentication_classes: list = []
    schema = OCSAutoSchema(SIGNALING_BACKEND_OPERATIONS, tag="signaling", name="signaling-backend")
    http_method_names = ["post"]

    def perform_authentication(self, request):
        pass  # the checksum authenticates the request; the raw body is read in post()

    def post(self, request, *args, **kwargs):
        address = throttling.client_address(request)
        try:
            throttling.check(THROTTLE_SCOPE, address)
        except ThrottleExceeded as exc:
            # The answer keeps the backend's shape: the signaling server reads ocs.data.
            message = "Too many requests that could not be authenticated"
            return OCSResponse(UNAUTHENTICATED, 429, message=message, headers=exc.headers)
        body = request._request.body
        secret = app_settings.SIGNALING_SECRET
        if not verify(secret, _header(request, RANDOM_HEADER), _header(request, CHECKSUM_HEADER), body):
            throttling.hit(THROTTLE_SCOPE, address)
            return OCSResponse(UNAUTHENTICATED, 200)
        if parsers.json_depth_exceeds(body):
            return _malformed(f"The body nests deeper than {parsers.MAX_JSON_DEPTH} levels.")
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):  # also undecodable bytes
            return _malformed("The body is not JSON.")
        try:
            # The strings the app's parameters may hold, as for every other endpoint.
            parsers.check_values({"body": message})
        except InvalidParameter as exc:
            return _malformed(exc.message())
        try:
            return OCSResponse(backend.handle(message), 200)
        except backend.MalformedRequest as exc:
            problem = f"Malformed backend request: {exc}"
            return OCSResponse(backend.error("invalid_request", problem), 400, message=problem)
