"""The call page: a Django template and plain JavaScript (``static/talk_calls/call.js``).

The page only renders; everything it does goes through the public Talk API in the
browser, so it is one more client of the app. It is served by the optional URLconf
``talk_calls.call_urls``.
"""

from django.conf import settings
from django.shortcuts import render, resolve_url
from django.views.decorators.csrf import ensure_csrf_cookie

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


@ensure_csrf_cookie
def call_page(request, token):
    """Render the call page of room ``token`` (the page checks access through the API)."""
    return render(request, "talk_calls/call.html", _context(request, token=token))
