"""The app's configuration: registers the system checks and the receivers of host events."""

from django.apps import AppConfig


class TalkCallsConfig(AppConfig):
    name = "talk_calls"
    label = "talk_calls"
    verbose_name = "Talk calls"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, receivers  # noqa: F401
        from .hpb import notifier  # noqa: F401 - connects the signaling server notifications
