"""The demo site's landing page: what to try, with which login, and how (curl lines)."""

from django.shortcuts import render
from django.urls import reverse

from talk_calls.models import Room

from .demo_info import LOGINS, ROOMS, V4, curl_examples


def landing(request):
    """Render the demo's front page: rooms with tokens, logins, curl lines, links to the admin."""
    base = request.build_absolute_uri("/").rstrip("/")
    rooms = {room.token: room for room in Room.objects.filter(token__in=[token for token, _ in ROOMS])}
    demo_rooms = [
        {
            "token": token,
            "what": what,
            "room": rooms.get(token),
            "url": f"{base}{V4}/room/{token}/participants/active",
            "call_page": reverse("talk_calls_call:call", args=[token]),
        }
        for token, what in ROOMS
    ]
    context = {
        "logins": LOGINS,
        "rooms": demo_rooms,
        "loaded": bool(rooms),
        "curls": curl_examples(base),
        "admin_url": reverse("admin:index"),
        "rooms_admin_url": reverse("admin:talk_calls_room_changelist"),
        "live_url": reverse("admin:talk_calls_room_live"),
        "capabilities_url": "/ocs/v2.php/cloud/capabilities",
        "api_docs_url": reverse("talk_calls_docs:docs"),
        "openapi_url": reverse("talk_calls_docs:schema"),
        "call_rooms_url": reverse("talk_calls_call:rooms"),
    }
    return render(request, "project/landing.html", context)
