"""The API description and its docs page, for hosts that want them served.

Optional, and mounted wherever the host likes (not under ``/ocs/``)::

    path("api/", include("talk_calls.docs_urls")),

gives ``api/openapi.json`` (OpenAPI 3, JSON) and ``api/docs/`` (Redoc, offline). The
description covers ``talk_calls.urls`` as the host includes it: at the site root.
"""

from django.urls import path

from .views import docs

app_name = "talk_calls_docs"

urlpatterns = [
    path("openapi.json", docs.schema, name="schema"),
    path("docs/", docs.docs, name="docs"),
    path("docs/redoc.standalone.js", docs.redoc, name="redoc"),
]
