"""Read-only building blocks of the admin: model admins and inlines that never write, and list filters.

Rows change only through the services; ``has_operate_permission`` (the model's "change"
permission) guards the actions that call them.
"""

from collections.abc import Callable

from django.contrib import admin
from django.db.models import Q

from ..constants import InCallFlag
from ..models import kill_cutoff, ping_cutoff


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete: rows change only through the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_operate_permission(self, request, obj=None):
        """Return whether the user may run the service actions (the model's "change" permission)."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------------------
# Filters


class ChoicesFilter(admin.SimpleListFilter):
    """A list filter given as a table: each choice's value, label and the filter it applies.

    The filters are functions so that a choice that compares with "now" (the ping cutoffs)
    reads the clock when the list is shown.
    """

    options: dict[str, tuple[str, Callable[[], Q]]] = {}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.options.items()]

    def queryset(self, request, queryset):
        choice = self.options.get(self.value() or "")
        return queryset if choice is None else queryset.filter(choice[1]())


class CallRunningFilter(ChoicesFilter):
    title = "call running"
    parameter_name = "call"
    options = {
        "yes": ("yes", lambda: Q(active_since__isnull=False)),
        "no": ("no", lambda: Q(active_since__isnull=True)),
    }


class PingFilter(ChoicesFilter):
    title = "last ping"
    parameter_name = "ping"
    options = {
        "fresh": ("fresh", lambda: Q(last_ping__gte=ping_cutoff())),
        "notfresh": ("not fresh", lambda: Q(last_ping__lt=ping_cutoff(), last_ping__gte=kill_cutoff())),
        "stale": ("stale", lambda: Q(last_ping__lt=kill_cutoff())),
    }


class InCallFilter(ChoicesFilter):
    title = "in call"
    parameter_name = "in_call"
    options = {
        "yes": ("in the call (fresh)", lambda: Q(in_call__gt=InCallFlag.DISCONNECTED, last_ping__gte=ping_cutoff())),
        "flag": ("in-call flag set", lambda: Q(in_call__gt=InCallFlag.DISCONNECTED)),
        "no": ("not in the call", lambda: Q(in_call=InCallFlag.DISCONNECTED)),
    }


class ProcessedFilter(ChoicesFilter):
    title = "processed"
    parameter_name = "processed"
    options = {
        "yes": ("yes", lambda: Q(processed_at__isnull=False)),
        "no": ("no (ringing)", lambda: Q(processed_at__isnull=True)),
    }
