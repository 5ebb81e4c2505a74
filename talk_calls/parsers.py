"""Parameters from the query string, a form body or a JSON body, for every method.

Talk clients send the same parameter in different places: Android puts ``?all=true`` on a
DELETE, the web client a JSON body, iOS ``silentFor[]=a&silentFor[]=b`` in a form
(CONTRACT section 3). ``Params`` merges them (body wins over query) and converts with
Talk's rules; a value of the wrong type raises ``InvalidParameter`` (400
``{"error": <name>}``), never a 500. Unknown parameters are ignored.

Every string that reaches a view passes ``check_values`` first, in one place
(``Params.from_request``): query, form and JSON values, dictionary keys and list items at
any depth must be valid UTF-8 text (no lone surrogate), contain no NUL or other control
character (tab, line feed and carriage return are text) and stay within
``MAX_STRING_LENGTH``; a body nests at most ``MAX_JSON_DEPTH`` levels (checked on the raw
bytes before the JSON is parsed) and holds at most ``MAX_VALUES`` values. The typed getters
then apply each parameter's own length.
"""

import re
from collections.abc import Mapping
from io import BytesIO

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, FormParser, JSONParser, MultiPartParser

from .exceptions import InvalidParameter

#: No Talk parameter is longer; the getters apply the tighter per-parameter limits.
MAX_STRING_LENGTH = 65536
#: Parameters that carry a whole JSON document as a string, bounded by the body limit
#: instead: internal signaling's ``messages`` (its decoded strings pass ``check_values``).
DOCUMENT_PARAMETERS = frozenset({"messages"})
#: Deepest JSON nesting accepted: Talk bodies nest two levels (``participants.users``).
MAX_JSON_DEPTH = 32
#: Most strings, numbers and containers a body or query may hold.
MAX_VALUES = 10000

#: JSON string literals, to be blanked out before brackets are counted.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
#: Lone surrogates cannot be encoded as UTF-8 (PostgreSQL refuses them); NUL and the other C0
#: controls (but tab, line feed, carriage return) and DEL are no text a Talk client shows.
_BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Return whether the JSON text ``raw`` nests deeper than ``limit``. Runs in C-speed
    passes, without parsing: strings are blanked, then the innermost ``[]``/``{}`` pairs are
    removed ``limit`` times; anything left is deeper. Unbalanced text is left to the parser
    (which refuses it; a ``RecursionError`` on it is caught as a parse error)."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, bytes(set(range(256)) - set(b"[]{}")))
    for _ in range(limit):
        if not brackets:
            return False
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if shorter == brackets:
            return False  # unbalanced: the parser refuses it, with its own message
        brackets = shorter
    return bool(brackets)


class BoundedJSONParser(JSONParser):
    """JSON bodies whose nesting is checked before ``json.loads`` sees them (400 ``body``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if json_depth_exceeds(raw):
            raise ParseError(f"JSON nesting deeper than {MAX_JSON_DEPTH} levels")
        try:
            return super().parse(BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nesting too deep")


class _DiscardFiles(FileUploadHandler):
    """An upload handler that keeps no file part: nothing is buffered or written to disk."""

    def new_file(self, *args, **kwargs):
        raise SkipFile()

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None


class FieldsOnlyMultiPartParser(MultiPartParser):
    """Multipart forms read for their fields only: file parts are skipped, never stored
    (no Talk endpoint takes a file); the whole body is bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    in ``views.base.OCSView`` before this runs."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = parser_context.get("encoding", "utf-8")
        try:
            parser = DjangoMultiPartParser(meta, stream, [_DiscardFiles()], encoding)
            data, files = parser.parse()
            return DataAndFiles(data, files)
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}")


PARSER_CLASSES = [BoundedJSONParser, FormParser, FieldsOnlyMultiPartParser]


def check_values(values: dict, *, error: str = "body") -> None:
    """Raise ``InvalidParameter`` unless every string in ``values`` (keys, values, list items,
    at any depth) is UTF-8 text without NUL within ``MAX_STRING_LENGTH``, the nesting stays
    within ``MAX_JSON_DEPTH`` and there are at most ``MAX_VALUES`` values. The answer is 400
    ``{"error": error}`` (``body``: the key every endpoint's description lists for a refused
    request) and ``meta.message`` names the parameter. Iterative: no recursion to exhaust."""
    stack: list[tuple[str | None, object, int]] = [(None, values, 0)]
    seen = 0
    while stack:
        name, value, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise InvalidParameter(error, f"more than {MAX_VALUES} values")
        if depth > MAX_JSON_DEPTH:
            raise InvalidParameter(error, f"{name or 'the body'} is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            _check_string(name or "body", value, error, long=depth == 1 and name in DOCUMENT_PARAMETERS)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str):
                    _check_string(name or "body", key, error)
                stack.append((name if name is not None else str(key), item, depth + 1))
        elif isinstance(value, (list, tuple)):
            for item in value:
                stack.append((name or "body", item, depth + 1))


def _check_string(name: str, value: str, error: str, *, long: bool = False) -> None:
    if not long and len(value) > MAX_STRING_LENGTH:
        raise InvalidParameter(error, f"{name} is longer than {MAX_STRING_LENGTH} characters")
    match = _BAD_CHARACTERS.search(value)
    if match is not None:
        what = (
            "characters that are not valid UTF-8 text"
            if "\ud800" <= match.group() <= "\udfff"
            else "control characters"
        )
        raise InvalidParameter(error, f"{name} must not contain {what}")


_TRUE = ("true", "1")
_FALSE = ("false", "0")
_MISSING = object()
_INTEGER = re.compile(r"-?[0-9]{1,19}")
#: Integers outside a signed 64-bit column are never valid parameters.
_INT_LIMIT = 2**63 - 1


def _flatten(source) -> dict:
    """Return a plain dict of ``source``: ``name[]`` keys give lists; a repeated plain key keeps
    its last value, as PHP reads it."""
    result: dict = {}
    if source is None:
        return result
    if hasattr(source, "lists"):
        for key, values in source.lists():
            name = key[:-2] if key.endswith("[]") else key
            if key.endswith("[]"):
                result.setdefault(name, [])
                if isinstance(result[name], list):
                    result[name].extend(values)
            else:
                result[name] = values[-1] if values else ""
        return result
    if isinstance(source, Mapping):
        for key, value in source.items():
            result[key[:-2] if isinstance(key, str) and key.endswith("[]") else key] = value
    return result


def _as_integer(value) -> int | None:
    """Return ``value`` as a signed 64-bit integer (a JSON number or numeric text), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) <= _INT_LIMIT:
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if _INTEGER.fullmatch(text) else None
    if not isinstance(value, int) or abs(value) > _INT_LIMIT:
        return None
    return value


def _string_item(name: str, item, item_max_length: int) -> str:
    """Return one item of a list parameter as text; raise 400 ``name`` for anything else."""
    if isinstance(item, bool) or not isinstance(item, (str, int)):
        raise InvalidParameter(name, f"{name} must be a list of strings")
    item = str(item)
    if "\x00" in item:
        raise InvalidParameter(name, f"{name} has an item with a NUL character")
    if len(item) > item_max_length:
        raise InvalidParameter(name, f"{name} has an item longer than {item_max_length} characters")
    return item


class Params:
    """Typed access to the merged request parameters."""

    def __init__(self, values: dict):
        self.values = values

    @classmethod
    def from_request(cls, request) -> "Params":
        values = _flatten(request.query_params)
        data = request.data
        if data is None or data == []:
            # ``null`` or ``[]`` (PHP's encoding of an empty array): no parameters.
            data = {}
        if not isinstance(data, Mapping):
            raise InvalidParameter("body", "The JSON body must be an object")
        values.update(_flatten(data))
        check_values(values)
        return cls(values)

    def __contains__(self, name):
        return name in self.values

    def raw(self, name, default=None):
        return self.values.get(name, default)

    def boolean(self, name: str, default: bool = False) -> bool:
        """Return a boolean given as JSON ``true/false/1/0`` or one of those strings."""
        value = self.values.get(name, _MISSING)
        if value is _MISSING or value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise InvalidParameter(name, f"{name} must be a boolean")

    def integer(self, name: str, default=None, *, minimum=None, maximum=None, error: str | None = None):
        """Return an integer (a JSON number or a numeric string); enforce the range if given."""
        value = self.values.get(name, _MISSING)
        key = error or name
        if value is _MISSING or value is None or value == "":
            return default
        value = _as_integer(value)
        if value is None:
            raise InvalidParameter(key, f"{name} must be an integer")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise InvalidParameter(key, f"{name} must be between {minimum} and {maximum}")
        return value

    def string(self, name: str, default: str = "", *, max_length: int | None = None, error: str | None = None) -> str:
        """Return a string; numbers are accepted as their text, anything else is an error."""
        value = self.values.get(name, _MISSING)
        key = error or name
        if value is _MISSING or value is None:
            return default
        if isinstance(value, bool):
            raise InvalidParameter(key, f"{name} must be a string")
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise InvalidParameter(key, f"{name} must be a string")
        if "\x00" in value:
            raise InvalidParameter(key, f"{name} must not contain NUL characters")
        if max_length is not None and len(value) > max_length:
            raise InvalidParameter(key, f"{name} is longer than {max_length} characters")
        return value

    def strings(self, name: str, *, item_max_length: int = 255, max_items: int = 1000) -> list[str]:
        """Return a list of strings from a JSON list, repeated ``name[]`` keys or one value."""
        value = self.values.get(name, _MISSING)
        if value is _MISSING or value is None or value == "":
            return []
        if isinstance(value, str):
            value = [value]
        if isinstance(value, Mapping):
            value = list(value.values())
        if not isinstance(value, list) or len(value) > max_items:
            raise InvalidParameter(name, f"{name} must be a list of strings")
        return [_string_item(name, item, item_max_length) for item in value]
