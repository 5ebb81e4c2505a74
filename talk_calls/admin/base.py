"""Read-only building blocks of the admin: model admins and inlines that never write, and list filters.

Rows change only through the services; ``has_operate_permission`` (the model's "change"
permission) guards the actions that call them.
"""

from django.contrib import admin

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


class CallRunningFilter(admin.SimpleListFilter):
    title = "call running"
    parameter_name = "call"

    def lookups(self, request, model_admin):
        return [("yes", "yes"), ("no", "no")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(active_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(active_since__isnull=True)
        return queryset


class PingFilter(admin.SimpleListFilter):
    title = "last ping"
    parameter_name = "ping"

    def lookups(self, request, model_admin):
        return [("fresh", "fresh"), ("notfresh", "not fresh"), ("stale", "stale")]

    def queryset(self, request, queryset):
        if self.value() == "fresh":
            return queryset.filter(last_ping__gte=ping_cutoff())
        if self.value() == "notfresh":
            return queryset.filter(last_ping__lt=ping_cutoff(), last_ping__gte=kill_cutoff())
        if self.value() == "stale":
            return queryset.filter(last_ping__lt=kill_cutoff())
        return queryset


class InCallFilter(admin.SimpleListFilter):
    title = "in call"
    parameter_name = "in_call"

    def lookups(self, request, model_admin):
        return [("yes", "in the call (fresh)"), ("flag", "in-call flag set"), ("no", "not in the call")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(in_call__gt=InCallFlag.DISCONNECTED, last_ping__gte=ping_cutoff())
        if self.value() == "flag":
            return queryset.filter(in_call__gt=InCallFlag.DISCONNECTED)
        if self.value() == "no":
            return queryset.filter(in_call=InCallFlag.DISCONNECTED)
        return queryset


class ProcessedFilter(admin.SimpleListFilter):
    title = "processed"
    parameter_name = "processed"

    def lookups(self, request, model_admin):
        return [("yes", "yes"), ("no", "no (ringing)")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(processed_at__isnull=self.value() == "no")
        return queryset
