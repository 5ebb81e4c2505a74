"""Parameters from the query string, a form body or a JSON body, for every method.

Talk clients send the same parameter in different places: Android puts ``?all=true`` on a
DELETE, the web client a JSON body, iOS ``silentFor[]=a&silentFor[]=b`` in a form
(CONTRACT section 3). ``Params`` merges them (body wins over query) and converts with
Talk's rules; a value of the wrong type raises ``InvalidParameter`` (400
``{"error": <name>}``), never a 500. Unknown parameters are ignored.
"""

import re
from collections.abc import Mapping

from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from .exceptions import InvalidParameter

PARSER_CLASSES = [JSONParser, FormParser, MultiPartParser]

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
