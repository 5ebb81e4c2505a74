"""ASGI entry point of the demo site: ``uvicorn project.asgi:application``.

Internal signaling's long polls are async views, so serve the site with an ASGI server
(``make demo`` runs uvicorn; production: ``gunicorn -k uvicorn_worker.UvicornWorker`` or
``uvicorn --workers N`` with ``REDIS_URL`` set). With DEBUG on, static files (the admin's)
are served here too, as ``runserver`` does.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_asgi_application()

from django.conf import settings  # noqa: E402 - settings are configured by get_asgi_application()

if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

    application = ASGIStaticFilesHandler(application)

from talk_calls.guard import GuardedASGI  # noqa: E402 - needs the settings module set

# Outermost: request heads Django would fail on, and bodies past the limit, never reach it.
application = GuardedASGI(application)
