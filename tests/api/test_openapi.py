"""The API description the app serves: generated cleanly, complete, readable, and compatible
with the reference's description of the call paths.

(Every response of the API tests is validated against it by ``tests/api/conftest.py``.)
"""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import URLPattern, re_path, reverse
from drf_spectacular.management.commands.spectacular import Command as SpectacularCommand

from talk_calls import urls
from talk_calls.openapi.schema import TalkSchemaGenerator, get_description
from talk_calls.renderers import OCSResponse
from talk_calls.views.base import OCSNotFoundView, OCSView

REFERENCE = json.loads(Path(__file__).with_name("talk-call-openapi.json").read_text())
#: CONTRACT section 2: dial-out answers 200 on success where the reference documents 201.
REFERENCE_DEVIATIONS = {("/ocs/v2.php/apps/spreed/api/v4/call/{token}/dialout/{attendeeId}", "post"): {"201": "200"}}
METHODS = ("get", "post", "put", "delete", "patch")


@pytest.fixture(scope="module")
def description():
    return get_description()


def test_generation_is_clean_and_valid(tmp_path):
    # ``manage.py spectacular --validate --fail-on-warn``, with the app's generator (drf-spectacular
    # is not in INSTALLED_APPS: the app needs no host setting for its description).
    out = tmp_path / "openapi.yaml"
    call_command(
        SpectacularCommand(),
        "--validate",
        "--fail-on-warn",
        "--generator-class=talk_calls.openapi.schema.TalkSchemaGenerator",
        "--urlconf=talk_calls.urls",
        f"--file={out}",
    )
    assert "/ocs/v2.php/apps/spreed/api/v4/call/{token}:" in out.read_text()


def test_the_description_is_served_as_json_outside_ocs(client):
    path = reverse("talk_calls_docs:schema")
    assert not path.startswith("/ocs/")
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["openapi"] == "3.0.3"
    assert body == json.loads(json.dumps(get_description()))


def test_the_docs_page_reads_the_description_with_the_bundled_redoc(client):
    page = client.get(reverse("talk_calls_docs:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'spec-url="{reverse("talk_calls_docs:schema")}"' in html
    script = client.get(reverse("talk_calls_docs:redoc"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("text/javascript")
    assert b"Redoc" in b"".join(script.streaming_content)
    assert "http://" not in html and "https://" not in html  # offline: nothing from a CDN


def _served_operations():
    """``(path, method)`` of every route of ``talk_calls.urls`` but the OCS catch-all."""
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        cls = getattr(pattern.callback, "cls", None)
        if cls is None or issubclass(cls, OCSNotFoundView):
            continue  # a plain Django view, or an OCS 404
        # A viewset's actions; a view that names its methods (signaling/{token}: GET and POST).
        actions = getattr(pattern.callback, "actions", None) or vars(cls).get("http_method_names") or {"get": "get"}
        yield pattern.name, set(actions) - {"head"}  # DRF maps HEAD onto GET at the first request


def test_every_route_and_method_is_described(description):
    described = {
        (operation["operationId"], method)
        for path_item in description["paths"].values()
        for method, operation in path_item.items()
    }
    served = list(_served_operations())
    assert len(described) == sum(len(methods) for _, methods in served) + 2, served  # v1 and v2 of cloud/*
    for path_item in description["paths"].values():
        for operation in path_item.values():
            assert operation["summary"] != "(not described)"
            assert operation["responses"], operation["operationId"]


def test_every_failure_answer_requires_a_message(description):
    for path, path_item in description["paths"].items():
        if path.startswith("/ocs/v1.php/"):
            continue
        for method, operation in path_item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or "application/json" not in response.get("content", {}):
                    continue
                schema = response["content"]["application/json"]["schema"]
                for alternative in schema.get("anyOf", [schema]):
                    if "ocs" in alternative["properties"]:
                        meta = alternative["properties"]["ocs"]["properties"]["meta"]
                        assert meta["properties"]["message"]["minLength"] == 1, (path, method, status)


def _reference_operations():
    for path, path_item in REFERENCE["paths"].items():
        for method in METHODS:
            if method in path_item:
                yield path.replace("{apiVersion}", "v4"), method, path_item[method]


def _parameters(operation):
    """``{(name, in)}`` of an operation's parameters and JSON body fields (the reference's ``apiVersion`` aside)."""
    names = {(p["name"], p["in"]) for p in operation.get("parameters", []) if p["name"] != "apiVersion"}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return names | {(name, "body") for name in body.get("properties", {})}


def test_call_paths_are_those_of_the_reference(description):
    ours = {path for path in description["paths"] if "/api/v4/call/" in path}
    assert ours == {path for path, _, _ in _reference_operations()}


@pytest.mark.parametrize(
    ("path", "method", "reference"), list(_reference_operations()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_call_operations_are_compatible_with_the_reference(description, path, method, reference):
    ours = description["paths"][path]
    assert set(ours) == {m for m in METHODS if m in REFERENCE["paths"][path.replace("/v4/", "/{apiVersion}/")]}
    operation = ours[method]
    assert _parameters(reference) == _parameters(operation)
    renamed = REFERENCE_DEVIATIONS.get((path, method), {})
    reference_statuses = {renamed.get(status, status) for status in reference["responses"]}
    assert reference_statuses <= set(operation["responses"])
    for name, location in _parameters(reference) - {("OCS-APIRequest", "header")}:
        if location == "body":
            ref_schema = reference["requestBody"]["content"]["application/json"]["schema"]["properties"][name]
            our_schema = operation["requestBody"]["content"]["application/json"]["schema"]["properties"][name]
        else:
            ref_schema = next(p["schema"] for p in reference["parameters"] if p["name"] == name)
            our_schema = next(p["schema"] for p in operation["parameters"] if p["name"] == name)
        assert our_schema["type"] == ref_schema["type"], name


@pytest.mark.django_db
def test_the_landing_page_links_the_docs(client):
    html = client.get("/").content.decode()
    assert f'href="{reverse("talk_calls_docs:docs")}"' in html
    assert f'href="{reverse("talk_calls_docs:schema")}"' in html


def test_the_description_names_no_host_setting(description, settings):
    # The app sets its schema class per view: the host's REST_FRAMEWORK stays as it was.
    assert not hasattr(settings, "REST_FRAMEWORK")
    assert not hasattr(settings, "SPECTACULAR_SETTINGS")
    assert description["info"]["title"].startswith("talk_calls")


def test_an_endpoint_without_an_operation_makes_generation_warn(capsys):
    class UndescribedView(OCSView):
        def get(self, request):
            return OCSResponse([])

    generator = TalkSchemaGenerator(
        patterns=[re_path(r"^ocs/v2\.php/apps/spreed/api/v4/undescribed$", UndescribedView.as_view())]
    )
    operation = generator.get_schema()["paths"]["/ocs/v2.php/apps/spreed/api/v4/undescribed"]["get"]
    assert operation["summary"] == "(not described)"
    assert "UndescribedView.get has no operation" in capsys.readouterr().err
