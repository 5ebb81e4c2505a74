"""The app's API description and a page to read it: ``docs_urls`` routes these.

``schema`` answers the OpenAPI 3 description (``openapi.schema.get_description``, JSON),
``docs`` a Redoc page that reads it, ``redoc`` the Redoc script from
drf-spectacular-sidecar: all offline, no CDN, no ``INSTALLED_APPS`` entry for the sidecar.
Public, read-only, and outside ``/ocs/``.
"""

from pathlib import Path

import drf_spectacular_sidecar
from django.http import FileResponse, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from ..openapi.schema import get_description

REDOC_SCRIPT = (
    Path(drf_spectacular_sidecar.__file__).parent
    / "static"
    / "drf_spectacular_sidecar"
    / "redoc"
    / "bundles"
    / "redoc.standalone.js"
)


#: The docs page: no template, so it works in hosts without a template engine.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <style>body {{ margin: 0; padding: 0; font-family: system-ui, sans-serif; }}</style>
</head>
<body>
  <noscript><p>This page shows the API description with Redoc, which needs JavaScript.
    The description itself: <a href="{schema_url}">{schema_url}</a> (OpenAPI 3, JSON).</p></noscript>
  <redoc spec-url="{schema_url}"></redoc>
  <script src="{redoc_url}"></script>
</body>
</html>
"""


DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; worker-src 'self' blob:"
)


@require_safe
def schema(request):
    """Answer the OpenAPI 3 description of everything the app serves."""
    return JsonResponse(get_description(), json_dumps_params={"ensure_ascii": False})


@require_safe
def docs(request):
    """Answer a page that renders the description with Redoc."""
    namespace = request.resolver_match.namespace
    page = format_html(
        PAGE,
        title=get_description()["info"]["title"],
        schema_url=reverse(f"{namespace}:schema"),
        redoc_url=reverse(f"{namespace}:redoc"),
    )
    response = HttpResponse(page)
    # Everything comes from this server; Redoc's one remote image (its logo) is not fetched.
    response["Content-Security-Policy"] = DOCS_CSP
    return response


@require_safe
@cache_control(max_age=86400, public=True)
def redoc(request):
    """Answer the Redoc script shipped by drf-spectacular-sidecar."""
    return FileResponse(REDOC_SCRIPT.open("rb"), content_type="text/javascript; charset=utf-8")
