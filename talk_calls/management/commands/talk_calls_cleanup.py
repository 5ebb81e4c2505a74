"""The one periodic command: run it every minute from cron (``services.maintenance``)."""

from django.core.management.base import BaseCommand

from talk_calls.services.maintenance import periodic_cleanup


class Command(BaseCommand):
    help = (
        "Remove Talk sessions past SESSION_KILL_TIMEOUT, store expired lobbies as open, "
        "end calls past MAX_CALL_DURATION, "
        "forget unanswered dial-outs and clear expired Django sessions."
    )

    def handle(self, *args, **options):
        report = periodic_cleanup()
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Removed {report.stale_sessions} stale session(s), opened {report.opened_lobbies} lobby(ies), "
                f"ended {report.ended_calls} call(s), "
                f"expired {report.expired_dialouts} dial-out(s), "
                f"expired Django sessions {'cleared' if report.django_sessions_cleared else 'kept by the engine'}."
            )
