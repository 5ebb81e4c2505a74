"""A guard around the site's WSGI or ASGI application: request heads Django would choke on
are answered before Django builds a request.

Django parses ``Content-Type`` while it constructs the request object, outside any
middleware: a charset with a NUL (``ValueError``), an unparsable header or a codec that is
not a text encoding (``rot13``, ``base64``, then failing on the first ``request.GET``)
becomes a 500. And bodies without ``Content-Length`` (``Transfer-Encoding: chunked``) are
buffered whole by the ASGI handler, spilling to disk, whatever ``DATA_UPLOAD_MAX_MEMORY_SIZE``
says. The guard answers, as an OCS JSON envelope:

- 400 for a ``Content-Type`` that does not parse, holds control characters or names a
  charset other than UTF-8, US-ASCII or ISO-8859-1; 400 for a malformed ``Content-Length``;
- 413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, announced or (chunked) counted while
  it is read; a chunked body within the limit is handed on in memory with its length set.

Wrap the application once, in the host's ``wsgi.py`` / ``asgi.py``::

    application = GuardedWSGI(get_wsgi_application())   # or GuardedASGI(get_asgi_application())

The app's own views apply the same size rule (``views.base.OCSView``) for hosts that do
not wrap, and Django's test client, which bypasses the WSGI callable.
"""

import codecs
import json
from io import BytesIO

from django.conf import settings
from django.utils.http import parse_header_parameters

from .renderers import api_version, ocs_envelope

#: Encodings a request body may declare; everything Talk clients send is UTF-8.
ALLOWED_CHARSETS = frozenset({"utf-8", "ascii", "iso8859-1"})


class HeadError(Exception):
    """A request head the guard answers itself: ``status`` and an OCS error key."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def upload_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def check_head(content_type: str, content_length: str, *, chunked: bool) -> int | None:
    """Raise ``HeadError`` for a head Django must not see; return the declared body length."""
    if content_type:
        if any(ord(c) < 32 or ord(c) == 127 for c in content_type):
            raise HeadError(400, "content-type", "Content-Type holds control characters")
        try:
            _, params = parse_header_parameters(content_type)
        except ValueError:
            raise HeadError(400, "content-type", "Content-Type does not parse")
        charset = params.get("charset")
        if charset is not None:
            try:
                name = codecs.lookup(charset).name
            except (LookupError, ValueError):
                name = None
            if name not in ALLOWED_CHARSETS:
                raise HeadError(400, "content-type", "Unsupported charset; send UTF-8")
    length = None
    if content_length:
        if not content_length.isdigit() or len(content_length) > 18:
            raise HeadError(400, "content-length", "Content-Length is not a number")
        length = int(content_length)
    limit = upload_limit()
    if limit is not None and length is not None and length > limit:
        raise HeadError(413, "body", "Request body exceeded DATA_UPLOAD_MAX_MEMORY_SIZE")
    if chunked and length is None:
        return None
    return length


def error_body(path: str, error: HeadError) -> tuple[int, bytes]:
    body, status = ocs_envelope(
        {"error": error.error, "message": error.message}, error.status, version=api_version(path), message=error.message
    )
    return status, json.dumps(body).encode()


_REASONS = {200: "OK", 400: "Bad Request", 413: "Request Entity Too Large"}


class GuardedWSGI:
    """WSGI wrapper: check the head, bound and buffer chunked bodies, then call ``app``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            length = check_head(environ.get("CONTENT_TYPE", ""), environ.get("CONTENT_LENGTH", ""), chunked=chunked)
            if chunked and length is None:
                body = _read_bounded(environ["wsgi.input"].read)
                environ["wsgi.input"] = BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
        except HeadError as error:
            status, body = error_body(environ.get("PATH_INFO", ""), error)
            start_response(
                f"{status} {_REASONS.get(status, 'Error')}",
                [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.app(environ, start_response)


def _read_bounded(read) -> bytes:
    """Read a body of unknown length; raise 413 as soon as it passes the limit."""
    limit = upload_limit()
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if limit is not None and size > limit:
            raise HeadError(413, "body", "Request body exceeded DATA_UPLOAD_MAX_MEMORY_SIZE")
        chunks.append(chunk)


class GuardedASGI:
    """ASGI wrapper: check the head of HTTP requests, read the body within the limit (413
    past it, without buffering more), then replay it to ``app``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        try:
            check_head(
                headers.get("content-type", ""),
                headers.get("content-length", ""),
                chunked="chunked" in headers.get("transfer-encoding", "").lower(),
            )
            messages = await _receive_bounded(receive)
        except HeadError as error:
            status, body = error_body(scope.get("path", ""), error)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return None
        except _Disconnected:
            return None

        if "content-length" not in headers:
            # A chunked body, read whole: announce its length, as the WSGI guard does, so
            # Django and DRF read it like any other body.
            size = sum(len(m.get("body", b"")) for m in messages)
            scope = {
                **scope,
                "headers": [
                    *(h for h in scope.get("headers", []) if h[0].lower() != b"transfer-encoding"),
                    (b"content-length", str(size).encode()),
                ],
            }

        async def replay():
            if messages:
                return messages.pop(0)
            return await receive()

        return await self.app(scope, replay, send)


class _Disconnected(Exception):
    pass


async def _receive_bounded(receive) -> list:
    """Return the request's body messages; raise 413 once they pass the limit."""
    limit = upload_limit()
    messages: list[dict] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected()
        size += len(message.get("body", b""))
        if limit is not None and size > limit:
            raise HeadError(413, "body", "Request body exceeded DATA_UPLOAD_MAX_MEMORY_SIZE")
        messages.append(message)
        if not message.get("more_body", False):
            return messages
