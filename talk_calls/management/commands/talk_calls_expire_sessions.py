"""Remove Talk sessions that stopped pinging (run it every minute from cron)."""

from django.core.management.base import BaseCommand

from talk_calls.services.sessions import expire_stale_sessions


class Command(BaseCommand):
    help = "Remove Talk sessions not pinged for SESSION_KILL_TIMEOUT seconds, ending calls nobody is in."

    def handle(self, *args, **options):
        removed = expire_stale_sessions()
        self.stdout.write(f"Removed {removed} stale session(s).")
