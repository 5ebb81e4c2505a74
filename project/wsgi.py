"""WSGI entry point of the demo site (gunicorn project.wsgi), behind the request-head guard."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_application = get_wsgi_application()

from talk_calls.guard import GuardedWSGI  # noqa: E402 - needs the settings module set

application = GuardedWSGI(django_application)
