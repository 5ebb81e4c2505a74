"""ASGI entry point of the demo site (uvicorn project.asgi:application), behind the request-head guard."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_application = get_asgi_application()

from talk_calls.guard import GuardedASGI  # noqa: E402 - needs the settings module set

application = GuardedASGI(django_application)
