"""Load the demo data (``fixtures/demo.json``) and print the logins and rooms; safe to run again.

A second run brings the demo rooms back to their fixture state through the services:
running calls are ended for everyone and attendees that would collide with the fixture's
rows (someone removed and re-joined) are removed, so ``loaddata`` never fails.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from project.demo_info import FIXTURE, LOGINS, ROOM_PASSWORD, ROOMS, curl_examples
from talk_calls.models import Attendee, Room
from talk_calls.services.calls import end_call_for_everyone
from talk_calls.services.rooms import remove_attendee
from talk_calls.services.sessions import expire_stale_sessions


def fixture_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / FIXTURE


class Command(BaseCommand):
    help = "Load the demo data and print the demo logins and rooms."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="URL printed in the curl examples.")

    def handle(self, *args, base_url, **options):
        self.reset_demo_rooms()
        call_command("loaddata", fixture_path(), verbosity=0)
        self.print_guide(base_url.rstrip("/"))

    def reset_demo_rooms(self):
        rows = json.loads(fixture_path().read_text())
        fixture_attendees = {
            (row["fields"]["room"], row["fields"]["actor_type"], row["fields"]["actor_id"]): row["pk"]
            for row in rows
            if row["model"] == "talk_calls.attendee"
        }
        demo_rooms = Room.objects.filter(token__in=[token for token, _ in ROOMS])
        for room in demo_rooms.with_call():
            end_call_for_everyone(room)
        expire_stale_sessions()
        for attendee in Attendee.objects.filter(room__in=demo_rooms).select_related("room"):
            expected = fixture_attendees.get((attendee.room_id, attendee.actor_type, attendee.actor_id))
            if expected is not None and expected != attendee.pk:
                remove_attendee(attendee.room, attendee)

    def print_guide(self, base_url):
        write = self.stdout.write
        write("Demo logins (user / password):")
        for username, password, what in LOGINS:
            write(f"  {username:6} / {password:11} {what}")
        names = {room.token: room.label for room in Room.objects.filter(token__in=[t for t, _ in ROOMS])}
        write("Demo rooms (token: what to try):")
        for token, what in ROOMS:
            write(f"  {token:13} {names.get(token, '?')}: {what}")
        write(f"Room password of demosecret: {ROOM_PASSWORD}")
        write(f"Landing page with copy-paste curl lines: {base_url}/   admin: {base_url}/admin/")
        what, command = curl_examples(base_url)[0]
        write(f"Try ({what}):")
        write(f"  {command}")
