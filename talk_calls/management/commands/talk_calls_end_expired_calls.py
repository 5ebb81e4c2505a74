"""End every call older than ``TALK_CALLS["MAX_CALL_DURATION"]`` for everyone (reference 3.12).

Run it from cron every minute or so; it is a no-op while the setting is 0.
"""

from django.core.management.base import BaseCommand

from talk_calls.services.calls import end_expired_calls


class Command(BaseCommand):
    help = "End calls that ran longer than TALK_CALLS['MAX_CALL_DURATION'] for everyone."

    def handle(self, *args, **options):
        ended = end_expired_calls()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Ended {ended} call(s).")
