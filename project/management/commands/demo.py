"""Load the demo data (``fixtures/demo.json``) and print the logins; safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from talk_calls.models import Room

LOGINS = [
    ("admin", "admin-demo", "superuser: the Django admin at /admin/"),
    ("alice", "talk-demo", "owner of every demo room"),
    ("bob", "talk-demo", "member of the team group and the demo rooms"),
    ("carol", "talk-demo", "member of the team group and the demo rooms"),
    ("dave", "talk-demo", "a user in no room (self-joins public rooms)"),
]


class Command(BaseCommand):
    help = "Load the demo data and print the demo logins."

    def handle(self, *args, **options):
        call_command("loaddata", Path(settings.BASE_DIR) / "fixtures" / "demo.json", verbosity=0)
        self.stdout.write("Demo logins (user / password):")
        for username, password, what in LOGINS:
            self.stdout.write(f"  {username:6} / {password:11} {what}")
        self.stdout.write("Demo rooms (token: name):")
        for room in Room.objects.filter(token__startswith="demo").order_by("pk"):
            self.stdout.write(f"  {room.token:13} {room.get_type_display()}: {room.name}")
        self.stdout.write("Public room with password: demosecret, password 'room-password'.")
        self.stdout.write(
            "Try: curl -u alice:talk-demo -H 'OCS-APIRequest: true' -X POST "
            "http://127.0.0.1:8000/ocs/v2.php/apps/spreed/api/v4/room/demogroup/participants/active"
        )
