"""The demo site's landing page: what to try, with which login, and how (curl lines)."""

from django.shortcuts import render
from django.urls import reverse

from talk_calls.models import Room

from .demo_info import LOGINS, ROOM_PASSWORD, ROOMS

V4 = "/ocs/v2.php/apps/spreed/api/v4"


def curl_examples(base: str) -> list[tuple[str, str]]:
    """Return (what, command) pairs that join a room and a call as users and as a guest."""
    ocs = "-H 'OCS-APIRequest: true'"
    json = "-H 'Content-Type: application/json'"
    alice = f"curl -s -u alice:talk-demo {ocs} -c alice.txt -b alice.txt"
    bob = f"curl -s -u bob:talk-demo {ocs} -c bob.txt -b bob.txt"
    guest = f"curl -s {ocs} -c guest.txt -b guest.txt"
    return [
        (
            "Alice joins the room (a Talk session, kept in alice.txt)",
            f"{alice} -X POST {base}{V4}/room/demogroup/participants/active",
        ),
        (
            "Alice starts the call with audio and video (flags 7)",
            f"{alice} {json} -X POST -d '{{\"flags\": 7}}' {base}{V4}/call/demogroup",
        ),
        (
            "Bob joins the room and the call",
            f"{bob} -X POST {base}{V4}/room/demogroup/participants/active && {bob} {json} -X POST -d '{{\"flags\": 3}}' {base}{V4}/call/demogroup",
        ),
        ("Who is in the call", f"{bob} {base}{V4}/call/demogroup"),
        ("Bob leaves the call (the call goes on with Alice)", f"{bob} -X DELETE {base}{V4}/call/demogroup"),
        (
            "Alice ends the call for everyone (moderator)",
            f"{alice} {json} -X DELETE -d '{{\"all\": true}}' {base}{V4}/call/demogroup",
        ),
        (
            "A guest joins the public room with password, then its call",
            f'{guest} {json} -X POST -d \'{{"password": "{ROOM_PASSWORD}"}}\' {base}{V4}/room/demosecret/participants/active && {guest} {json} -X POST -d \'{{"flags": 3}}\' {base}{V4}/call/demosecret',
        ),
    ]


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
        "call_rooms_url": reverse("talk_calls_call:rooms"),
    }
    return render(request, "project/landing.html", context)
