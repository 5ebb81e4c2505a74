"""The call page: a Django template and plain JavaScript (``static/talk_calls/call.js``).

The page only renders; everything it does goes through the public Talk API in the
browser, so it is one more client of the app. It is served by the optional URLconf
``talk_calls.call_urls``.
"""

from django.conf import settings
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from ..conf import app_settings
from ..models import user_display_name


def _context(request, **extra) -> dict:
    user = request.user if request.user.is_authenticated else None
    return {
        "username": user.get_username() if user else "",
        "display_name": user_display_name(user) if user else "",
        "login_url": f"{resolve_url(settings.LOGIN_URL)}?next={request.path}",
        **extra,
    }


def room_picker(request):
    """List the visitor's rooms (fetched by the page from ``GET /room``), or ask for a token."""
    return render(request, "talk_calls/rooms.html", _context(request))


def signaling_backend_url(request) -> str:
    """Return the absolute backend URL a page names in its hello to the signaling server.

    The server calls that URL back and accepts only the backends of its ``server.conf``:
    behind several app servers it is ``SIGNALING_BACKEND_URL`` (the base URL the server
    knows), not necessarily the address this page came from.
    """
    path = reverse("talk_calls:signaling-backend")
    base = app_settings.SIGNALING_BACKEND_URL
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@ensure_csrf_cookie
def call_page(request, token):
    """Render the call page of room ``token`` (the page checks access through the API)."""
    return render(
        request, "talk_calls/call.html", _context(request, token=token, backend_url=signaling_backend_url(request))
    )
