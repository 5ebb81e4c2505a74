"""The OCS envelope (talk-reference.md section 2.1), the response type that carries it, and
its JSON renderer.

Views and the exception handler answer ``OCSResponse(payload, status=..., message=...,
statuscode=...)``: the payload only. ``views.base.OCSView.finalize_response`` wraps it
in ``{"ocs": {"meta": ..., "data": ...}}`` for the v1 or v2 path of the request
(``ocs_envelope``); any other response (the plain CSRF answer, a CSV file) goes out as
it is. ``OCSJSONRenderer`` escapes ``<`` and ``>`` like PHP's ``JSON_HEX_TAG``.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

#: v2 maps these raw OCS status codes onto HTTP statuses.
_V2_HTTP_MAP = {997: 401, 998: 404, 996: 500, 999: 500}


def api_version(path: str) -> int:
    """Return 1 for ``/ocs/v1.php`` paths and 2 otherwise."""
    return 1 if "/ocs/v1.php/" in path else 2


def _v1_meta(ok: bool, raw: int, status_code: int, message: str | None) -> tuple[dict, int]:
    """v1: HTTP 200 (401 stays 401), ``statuscode`` 100 on success, the raw code otherwise."""
    meta = {
        "status": "ok" if ok else "failure",
        "statuscode": 100 if ok else raw,
        "message": message if message is not None else ("OK" if ok else ""),
        "totalitems": "",
        "itemsperpage": "",
    }
    return meta, 401 if status_code == 401 else 200


def _v2_meta(ok: bool, raw: int, status_code: int, message: str | None) -> tuple[dict, int]:
    """v2: the HTTP status mirrors the code (raw OCS codes mapped, nonsense turned into 400)."""
    meta = {"status": "ok" if ok else "failure", "statuscode": raw, "message": "OK" if ok else (message or "")}
    http_status = _V2_HTTP_MAP.get(raw, status_code)
    return meta, http_status if 200 <= http_status <= 600 else 400


def ocs_envelope(data, status_code: int, *, version: int, message: str | None = None, statuscode: int | None = None):
    """Return ``(body, http_status)`` for a payload answered with ``status_code``."""
    ok = 200 <= status_code < 300
    raw = statuscode if statuscode is not None else status_code
    meta, http_status = (_v1_meta if version == 1 else _v2_meta)(ok, raw, status_code, message)
    return {"ocs": {"meta": meta, "data": data}}, http_status


class OCSResponse(Response):
    """A payload answered in the OCS envelope.

    ``message`` is ``meta.message`` of a failure (None: the default for the version);
    ``statuscode`` is ``meta.statuscode`` when it is not the HTTP status (997: not logged in).
    """

    def __init__(
        self, data=None, status: int = 200, *, message: str | None = None, statuscode: int | None = None, headers=None
    ):
        super().__init__(data, status=status, headers=headers)
        self.ocs_message = message
        self.ocs_statuscode = statuscode

    def wrap(self, version: int) -> None:
        """Put the payload into the envelope of API ``version`` (1 or 2), setting the HTTP status."""
        if self.status_code in (204, 304):
            self.data = None
            return
        self.data, self.status_code = ocs_envelope(
            self.data, self.status_code, version=version, message=self.ocs_message, statuscode=self.ocs_statuscode
        )


def encode_json(data) -> bytes:
    """Return ``data`` as the compact UTF-8 JSON the app answers, ``<`` and ``>`` escaped."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003C").replace(">", "\\u003E").encode("utf-8")


class EncodedJSON:
    """A payload encoded beforehand (``encode_json``): ``OCSJSONRenderer`` puts its bytes into
    the envelope as they are. For answers that are encoded once and served many times
    (``peerlist``)."""

    __slots__ = ("content",)

    def __init__(self, content: bytes):
        self.content = content


class OCSJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        ocs = data.get("ocs") if isinstance(data, dict) else None
        if isinstance(ocs, dict) and isinstance(ocs.get("data"), EncodedJSON):
            # The envelope is {"ocs": {"meta": ..., "data": ...}}, in this order.
            return b'{"ocs":{"meta":' + encode_json(ocs["meta"]) + b',"data":' + ocs["data"].content + b"}}"
        return encode_json(data)
