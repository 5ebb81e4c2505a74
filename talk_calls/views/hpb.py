"""``POST /ocs/v2.php/apps/spreed/api/v3/signaling/backend``: the signaling server asks the
app about tickets, rooms and pings (talk-signaling.md section C3).

The request is authenticated by its checksum (C2), not by cookies or CSRF tokens. Like the
reference, every answer is HTTP 200 in the OCS envelope, errors included (a bad or missing
checksum is ``invalid_request``); on top of it a client address with repeated checksum
failures gets 429, and a signed body that is no backend request gets 400.
"""

import json

from rest_framework.response import Response

from ..conf import app_settings
from ..hpb import backend
from ..hpb.checksum import CHECKSUM_HEADER, RANDOM_HEADER, verify
from .base import OCSView

UNAUTHENTICATED = backend.error("invalid_request", "The request could not be authenticated.")


def _header(request, name: str) -> str | None:
    return request.META.get("HTTP_" + name.upper().replace("-", "_"))


class SignalingBackendView(OCSView):
    authentication_classes: list = []
    http_method_names = ["post"]

    def perform_authentication(self, request):
        pass  # the checksum authenticates the request; the raw body is read in post()

    def post(self, request, *args, **kwargs):
        address = request.META.get("REMOTE_ADDR", "")
        if backend.is_throttled(address):
            return Response(UNAUTHENTICATED, status=429)
        body = request._request.body
        secret = app_settings.SIGNALING_SECRET
        if not verify(secret, _header(request, RANDOM_HEADER), _header(request, CHECKSUM_HEADER), body):
            backend.record_failure(address)
            return Response(UNAUTHENTICATED)
        try:
            message = json.loads(body)
        except ValueError:  # also undecodable bytes
            return Response(backend.error("invalid_request", "The body is not JSON."), status=400)
        try:
            return Response(backend.handle(message))
        except backend.MalformedRequest as exc:
            return Response(backend.error("invalid_request", f"Malformed backend request: {exc}"), status=400)
