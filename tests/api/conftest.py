"""Every response of the API tests validates against the description the app serves.

The autouse fixture wraps Django's test client: each answer to an ``/ocs/`` request whose
path and method the description has is validated with openapi-core (status documented,
body and headers of its schema). Paths and methods the description does not have (the
OCS 404 and 405 answers) are left alone. ``described_answers`` records what was checked.
"""

from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.urls import reverse
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

#: ``(path template, method, status)`` of every response validated in this run.
described_answers: set[tuple[str, str, int]] = set()


@pytest.fixture(scope="session")
def api_description():
    response = Client().get(reverse("talk_calls_docs:schema"))
    assert response.status_code == 200
    return OpenAPI.from_dict(response.json())


def validate_answer(description: OpenAPI, environ: dict, response) -> None:
    """Validate ``response`` to the request ``environ`` against ``description``; raise when it does not match."""
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/ocs/") or response.resolver_match.url_name == "ocs-not-found":
        # Not an endpoint of the description (a token outside its pattern, say): the OCS 404.
        return
    if response.status_code == 405:
        # A method the route does not serve. Its path may still match a template that has
        # the method (GET signaling/backend looks like GET signaling/{token}).
        return
    method = environ["REQUEST_METHOD"].lower()
    query = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    request = MockRequest("http://testserver", method, path, args=query)
    content_type = response.get("Content-Type", "application/json").split(";")[0]
    answer = MockResponse(
        response.content, response.status_code, headers=dict(response.items()), content_type=content_type
    )
    try:
        description.validate_response(request, answer)
    except (PathNotFound, OperationNotFound):
        return
    except Exception as exc:
        raise AssertionError(
            f"{method.upper()} {path} answered {response.status_code} {response.content[:500]!r}, "
            f"which the API description does not allow: {exc!r} {getattr(exc, '__cause__', '')!r}"
        ) from exc
    described_answers.add((path, method, response.status_code))


@pytest.fixture(autouse=True)
def answers_match_the_description(monkeypatch, api_description):
    original = Client.request

    def request(self, **environ):
        response = original(self, **environ)
        validate_answer(api_description, environ, response)
        return response

    monkeypatch.setattr(Client, "request", request)
