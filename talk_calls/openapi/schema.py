"""The OpenAPI 3 description of the app, generated from its views by drf-spectacular.

``OCSAutoSchema`` is the ``schema`` of every view (set per view: the host's
``REST_FRAMEWORK`` stays untouched). For the action a request path maps to, it reads the
``operations.Operation`` of the viewset's table and the view itself:

- parameters: the path's (``token``, ``attendeeId``, ``mode``), query parameters for GET
  and DELETE, a JSON body for POST and PUT (``parsers.Params`` also reads the other
  places), and the ``OCS-APIRequest`` header Talk clients send;
- answers, each in the OCS envelope of its status: the operation's successful ones, one
  per permission class of the action (``exception_class`` gives status and shape), the
  errors the operation's code raises, the 400 of each parameter, and what every endpoint
  can answer (401 for wrong credentials, 400 ``format``, the body's 400/413/415, the plain
  412 of the CSRF check on unsafe methods). Answers that share a status are alternatives
  (``anyOf``); failures always carry a ``meta.message``.

``TalkSchemaGenerator`` describes ``talk_calls.urls`` with the app's own drf-spectacular
settings, whatever the host's ``SPECTACULAR_SETTINGS``; ``get_description()`` returns the
(cached) description the app serves.
"""

import inspect
import re
import threading

from django.conf import settings
from drf_spectacular.drainage import warn
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.settings import patched_settings

from ..exceptions import CheckFailed, Conflict, EndpointError, NotLoggedIn, OCSError
from ..permissions import IsLoggedIn
from .operations import Operation, Param
from .shapes import (
    ATTENDEE_ID,
    COMPONENTS,
    CSRF_FAILED,
    EMPTY_LIST,
    NULL,
    TOKEN,
    V1_META,
    choice,
    envelope,
    error_object,
    meta,
)

#: Path parameters of the app's URLs (the regex groups), named as Talk's description names them.
PATH_PARAMETERS = {
    "token": TOKEN,
    "attendeeId": ATTENDEE_ID,
    "mode": choice(["default", "call"], base={"type": "string"}),
}
#: What every endpoint can answer, whatever it does: (status, data, meta.statuscode).
COMMON_ERRORS = (
    (400, error_object(["format", "body"]), None),
    (401, EMPTY_LIST, NotLoggedIn.ocs_statuscode),
    (413, error_object(["body"]), None),
    (415, error_object(["content-type"]), None),
    # Throttles and the password-hash bound (talk_calls.throttling), with Retry-After.
    (429, EMPTY_LIST, None),
    # The database connection was lost mid-request; nothing was committed (Retry-After).
    (503, EMPTY_LIST, None),
)
UNSAFE_METHODS = ("POST", "PUT", "DELETE")
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Bad request",
    401: "Not logged in, or wrong credentials",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many requests (throttled; see Retry-After)",
    501: "Not implemented",
    503: "Service unavailable (retry; see Retry-After)",
}
FALLBACK = Operation("(not described)", ok=((200, {}),))


def component(schema):
    """Return ``schema`` with component names (``"Room"``, also as array items) turned into refs."""
    if isinstance(schema, str):
        return {"$ref": f"#/components/schemas/{schema}"}
    if schema.get("type") == "array" and isinstance(schema.get("items"), str):
        return {**schema, "items": component(schema["items"])}
    return schema


def exception_shape(exc) -> tuple[int, dict, int | None]:
    """Return ``(status, data schema, meta.statuscode)`` of the answer to exception ``exc``."""
    if isinstance(exc, tuple):
        return exc[0], exc[1], None
    if isinstance(exc, type):
        exc = exc()
    if isinstance(exc, CheckFailed | NotLoggedIn):
        return exc.status_code, EMPTY_LIST, exc.ocs_statuscode
    if isinstance(exc, Conflict):
        return exc.status_code, component("SessionConflict"), None
    if isinstance(exc, EndpointError):
        return exc.status_code, NULL if exc.error is None else error_object([exc.error]), None
    raise TypeError(f"no answer shape for {exc!r}")


def merge(data_schemas: list[dict]) -> dict:
    """Return one schema for the alternative payloads of a status (error keys merged into one enum)."""
    keys: set[str] = set()
    others: list[dict] = []
    for schema in data_schemas:
        error_enum = schema.get("properties", {}).get("error", {}).get("enum")
        if error_enum and set(schema["properties"]) == {"error"}:
            keys.update(error_enum)
        elif schema not in others:
            others.append(schema)
    if keys:
        others.append(error_object(keys))
    return others[0] if len(others) == 1 else {"anyOf": others}


class OCSAutoSchema(AutoSchema):
    """drf-spectacular's ``AutoSchema`` for OCS views, from a table of ``Operation`` per action."""

    def __init__(
        self, operations: dict[str, Operation] | None = None, *, tag: str = "", name: str = "", exclude: bool = False
    ):
        super().__init__()
        self.operations = operations or {}
        #: Not described at all (the OCS 404 of paths that match nothing).
        self.exclude = exclude
        self.tag = tag
        #: The first word of the operation ids (default: the tag).
        self.name = name or tag

    # --- which operation ----------------------------------------------------------------------

    def is_excluded(self) -> bool:
        return self.exclude or super().is_excluded()

    @property
    def action(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    @property
    def operation(self) -> Operation:
        try:
            return self.operations[self.action]
        except KeyError:
            warn(f"{type(self.view).__name__}.{self.action} has no operation in its OCSAutoSchema table")
            return FALLBACK

    @property
    def is_v1(self) -> bool:
        return self.path.startswith("/ocs/v1.php/")

    def get_operation_id(self) -> str:
        return f"{self.name}-{self.action.replace('_', '-')}" + ("-v1" if self.is_v1 else "")

    def get_tags(self) -> list[str]:
        return [self.tag]

    def get_summary(self) -> str:
        return self.operation.summary

    def get_description(self) -> str:  # type: ignore[override]
        return inspect.getdoc(getattr(self.view, self.action, None)) or ""

    def get_auth(self) -> list[dict]:
        """HTTP Basic or the Django session cookie; anonymous guests too unless the action needs a user."""
        schemes: list[dict] = [{"basicAuth": []}, {"cookieAuth": []}]
        if IsLoggedIn not in self._check_classes():
            schemes.append({})
        return schemes

    def _check_classes(self) -> list:
        by_action = getattr(self.view, "permission_classes_by_action", {})
        return list(by_action.get(self.action, self.view.permission_classes))

    # --- request ------------------------------------------------------------------------------

    def _params_in_query(self) -> bool:
        return self.method in ("GET", "DELETE")

    def _get_parameters(self) -> list[dict]:
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS[name]}
            for name in re.findall(r"{(\w+)}", self.path)
        ]
        if self._params_in_query():
            parameters += [self._query_parameter(param) for param in self.operation.params]
        parameters.append(
            {
                "name": "OCS-APIRequest",
                "in": "header",
                "required": True,
                "schema": {"type": "boolean", "default": True},
                "description": "Sent by Talk clients; without it an unsafe request authenticated by the "
                "session cookie alone needs Django's CSRF token",
            }
        )
        return parameters

    def _query_parameter(self, param: Param) -> dict:
        schema = param.schema
        if schema.get("type") == "boolean":
            # As Nextcloud describes boolean query parameters (true and false are read too).
            schema = {"type": "integer", "enum": [0, 1], "default": int(schema.get("default", False))}
        parameter = {"name": param.name, "in": "query", "required": param.required, "schema": schema}
        if param.schema.get("type") == "array":
            parameter.update({"name": f"{param.name}[]", "style": "form", "explode": True})
        if param.description:
            parameter["description"] = param.description
        return parameter

    def _get_request_body(self, direction="request"):
        params = self.operation.params
        if self._params_in_query() or not params:
            return None
        properties = {}
        for param in params:
            properties[param.name] = {
                **param.schema,
                **({"description": param.description} if param.description else {}),
            }
        body: dict = {"type": "object", "properties": properties}
        required = [param.name for param in params if param.required]
        if required:
            body["required"] = required
        return {"content": {"application/json": {"schema": body}}, "required": bool(required)}

    # --- answers ------------------------------------------------------------------------------

    def _answers(self) -> dict[int, list[tuple[dict, int | None]]]:
        """Return ``{status: [(data schema, meta.statuscode), ...]}`` of every answer of the operation."""
        answers: dict[int, list] = {}

        def add(status_code: int, data: dict | str, statuscode: int | None = None) -> None:
            answers.setdefault(status_code, []).append((component(data), statuscode))

        operation = self.operation
        for status_code, data in operation.ok:
            add(status_code, data)
        for check in self._check_classes():
            exception_class = getattr(check, "exception_class", None)
            if exception_class is not None and issubclass(exception_class, OCSError):
                add(*exception_shape(exception_class))
        for exc in operation.raises:
            add(*exception_shape(exc))
        for param in operation.params:
            if param.error_key:
                add(400, error_object([param.error_key]))
        for status_code, data, statuscode in COMMON_ERRORS:
            add(status_code, data, statuscode)
        return answers

    def _get_response_bodies(self, direction="response") -> dict:
        if self.is_v1:
            return self._v1_responses()
        responses = {}
        operation = self.operation
        for status_code, alternatives in sorted(self._answers().items()):
            statuscodes = {code or status_code for _, code in alternatives}
            data = merge([schema for schema, _ in alternatives])
            if operation.media_type and 200 <= status_code < 300:
                content = {operation.media_type: {"schema": data}}
            else:
                content = {"application/json": {"schema": envelope(data, meta(status_code, statuscodes=statuscodes))}}
            responses[str(status_code)] = {"description": STATUS_TEXT.get(status_code, ""), "content": content}
        if self.method in UNSAFE_METHODS:
            self._add_csrf_answer(responses)
        for status_code, _ in operation.ok:
            if operation.headers and str(status_code) in responses:
                responses[str(status_code)]["headers"] = {
                    name: {"description": text, "schema": {"type": "string"}}
                    for name, text in operation.headers.items()
                }
        return responses

    def _add_csrf_answer(self, responses: dict) -> None:
        """The 412 of a failed CSRF check: plain ``{"message": ...}``, besides an OCS 412 of the endpoint."""
        response = responses.setdefault("412", {"description": STATUS_TEXT[412], "content": {}})
        content = response["content"].get("application/json")
        if content is None:
            response["content"]["application/json"] = {"schema": CSRF_FAILED}
        else:
            content["schema"] = {"anyOf": [content["schema"], CSRF_FAILED]}

    def _v1_responses(self) -> dict:
        """v1: every answer is HTTP 200 (``meta.statuscode`` tells), except 401."""
        answers = self._answers()
        ok = [
            schema for status_code, alternatives in answers.items() if status_code != 401 for schema, _ in alternatives
        ]
        return {
            "200": {
                "description": "OK, or the failure in meta",
                "content": {"application/json": {"schema": envelope(merge(ok), V1_META)}},
            },
            "401": {
                "description": STATUS_TEXT[401],
                "content": {"application/json": {"schema": envelope(EMPTY_LIST, V1_META)}},
            },
        }


def expand_talk_paths(endpoints):
    """Preprocessing hook: Talk's path shapes from the app's URL regexes.

    Writes ``v[12]`` paths once per version, drops the
    optional trailing slash and names ``attendee_id`` as Talk does (``attendeeId``).
    """
    result = []
    for path, path_regex, method, callback in endpoints:
        path = path.rstrip("/").replace("{attendee_id}", "{attendeeId}")
        versions = ("v1", "v2") if "/v[12].php/" in path else (None,)
        for version in versions:
            result.append((path.replace("v[12]", version) if version else path, path_regex, method, callback))
    return result


def settings_patch() -> dict:
    """Return the drf-spectacular settings of the app's description (read when generating)."""
    return {
        "TITLE": "talk_calls: the Nextcloud Talk call API",
        "DESCRIPTION": (
            "The Nextcloud Talk call API (v4) and the conversation endpoints around it, as served by the "
            "talk_calls Django app. Every answer is JSON in the OCS envelope; failures carry a "
            "human-readable `ocs.meta.message`. Parameters are read from the query string, a form body or "
            "a JSON body for every method; this description lists them as query parameters (GET, DELETE) "
            "or a JSON body (POST, PUT)."
        ),
        "VERSION": "4",
        "OAS_VERSION": "3.0.3",
        "PREPROCESSING_HOOKS": ["talk_calls.openapi.schema.expand_talk_paths"],
        "POSTPROCESSING_HOOKS": [],
        "SCHEMA_PATH_PREFIX": "",
        "SORT_OPERATIONS": True,
        "COMPONENT_SPLIT_REQUEST": False,
        "CAMELIZE_NAMES": False,
        "SCHEMA_PATH_PREFIX_INSERT": "",
        "SERVERS": [],
        "TAGS": [
            {"name": "call", "description": "The call of a conversation"},
            {"name": "room", "description": "Conversations and their settings"},
            {"name": "participant", "description": "Joining, leaving and the attendees of a conversation"},
            {"name": "cloud", "description": "Nextcloud core: capabilities and the current user"},
            {
                "name": "signaling",
                "description": "Signaling: settings, internal signaling, the signaling server's backend",
            },
        ],
        "APPEND_COMPONENTS": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME},
            },
        },
    }


class TalkSchemaGenerator(SchemaGenerator):
    """The description of ``talk_calls.urls`` with the app's settings (``settings_patch``).

    Usable as ``manage.py spectacular --generator-class talk_calls.openapi.schema.TalkSchemaGenerator``
    (and ``--urlconf talk_calls.urls``) on a host that installs drf-spectacular.
    """

    def __init__(self, *args, **kwargs):
        if not kwargs.get("urlconf"):
            kwargs["urlconf"] = "talk_calls.urls"
        super().__init__(*args, **kwargs)

    def get_schema(self, request=None, public=False):
        with _generating, patched_settings(settings_patch()):
            return super().get_schema(request=request, public=True)


#: drf-spectacular patches its settings process-wide while generating: one at a time.
_generating = threading.Lock()
_cache: dict = {}


def get_description() -> dict:
    """Return the app's description, generated once per process."""
    if "schema" not in _cache:
        _cache["schema"] = TalkSchemaGenerator().get_schema()
    return _cache["schema"]
