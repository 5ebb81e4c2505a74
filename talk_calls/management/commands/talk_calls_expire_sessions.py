"""Remove Talk sessions that stopped pinging and store expired lobby timers (run it every minute from cron)."""

from django.core.management.base import BaseCommand

from talk_calls.services.rooms import open_expired_lobbies
from talk_calls.services.sessions import expire_stale_sessions


class Command(BaseCommand):
    help = (
        "Remove Talk sessions not pinged for SESSION_KILL_TIMEOUT seconds, ending calls nobody is in, "
        "and store lobbies whose timer has passed as open."
    )

    def handle(self, *args, **options):
        removed = expire_stale_sessions()
        self.stdout.write(f"Removed {removed} stale session(s).")
        opened = open_expired_lobbies()
        if opened:
            self.stdout.write(f"Opened {opened} lobby(ies) whose timer has passed.")
