"""Read-only lists of attendees, sessions, call history, ringing notifications and consents."""

import django
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ..exceptions import BadRequest
from ..models import Attendee, CallEvent, CallNotification, RecordingConsent, Session
from ..services.rooms import demote_moderator, promote_moderator, remove_attendee
from ..services.sessions import remove_session
from . import report
from .base import InCallFilter, PingFilter, ProcessedFilter, ReadOnlyAdmin
from .display import attendee_label, describe_permissions, device_summary, event_summary, flag_badges, ping_badge

# ---------------------------------------------------------------------------------------
# Attendees, sessions, history, notifications, consents: read-only lists


@admin.register(Attendee)
class AttendeeAdmin(ReadOnlyAdmin):
    list_display = [
        "actor_id",
        "actor_type",
        "display_name",
        "room_link",
        "participant_type",
        "decoded_permissions",
        "session_count",
        "last_joined_call",
    ]
    list_filter = ["actor_type", "participant_type", "room__type"]
    search_fields = ["actor_id", "display_name", "room__token", "room__name"]
    list_select_related = ["room", "user"]
    actions = ["promote_action", "demote_action", "remove_action"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_sessions=Count("sessions"))

    @admin.display(description="room", ordering="room__token")
    def room_link(self, obj):
        url = reverse("admin:talk_calls_room_change", args=[obj.room_id])
        return format_html('<a href="{}">{}</a>', url, obj.room.token)

    @admin.display(description="permissions")
    def decoded_permissions(self, obj):
        return describe_permissions(obj, obj.room)

    @admin.display(description="sessions", ordering="n_sessions")
    def session_count(self, obj):
        return obj.n_sessions

    def _run(self, request, queryset, service, verb):
        done = failed = 0
        for attendee in queryset.select_related("room"):
            try:
                service(attendee.room, attendee)
                done += 1
            except BadRequest:
                failed += 1
        self.message_user(request, f"{verb}: {done}.", messages.SUCCESS)
        if failed:
            self.message_user(request, f"Skipped {failed}: not possible for their participant type.", messages.WARNING)

    @admin.action(description="Promote to moderator", permissions=["operate"])
    def promote_action(self, request, queryset):
        self._run(request, queryset, promote_moderator, "Promoted")

    @admin.action(description="Demote from moderator", permissions=["operate"])
    def demote_action(self, request, queryset):
        self._run(request, queryset, demote_moderator, "Demoted")

    @admin.action(description="Remove from the room", permissions=["operate"])
    def remove_action(self, request, queryset):
        self._run(request, queryset, remove_attendee, "Removed")


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    # Chosen to fit 1400 px with the filter sidebar: who, where, the flags and the last ping first.
    list_display = ["name", "room_link", "flags", "since_ping", "state", "device", "short_id"]
    list_filter = [InCallFilter, PingFilter, "state", "room__type"]
    search_fields = ["session_id", "room__token", "attendee__actor_id", "attendee__display_name"]
    list_select_related = ["room", "attendee__user"]
    actions = ["remove_action"]
    exclude = ["django_session_key"]

    @admin.display(description="session")
    def short_id(self, obj):
        return f"{obj.session_id[:12]}…"

    @admin.display(description="room", ordering="room__token")
    def room_link(self, obj):
        url = reverse("admin:talk_calls_room_change", args=[obj.room_id])
        return format_html('<a href="{}">{}</a>', url, obj.room.token)

    @admin.display(description="actor", ordering="attendee__actor_id")
    def actor(self, obj):
        return f"{obj.attendee.actor_type}/{obj.attendee.actor_id}"

    @admin.display(description="participant", ordering="attendee__display_name")
    def name(self, obj):
        return format_html(
            '{} <span class="quiet">{}</span>',
            attendee_label(obj.attendee),
            f"{obj.attendee.actor_type}/{obj.attendee.actor_id[:12]}",
        )

    @admin.display(description="device")
    def device(self, obj):
        return device_summary(obj)

    @admin.display(description="in-call flags", ordering="in_call")
    def flags(self, obj):
        return flag_badges(obj.in_call)

    @admin.display(description="since last ping", ordering="-last_ping")
    def since_ping(self, obj):
        return ping_badge(obj)

    @admin.action(description="Remove the session (leaves the call)", permissions=["operate"])
    def remove_action(self, request, queryset):
        sessions = list(queryset.select_related("attendee", "room"))
        for session in sessions:
            remove_session(session)
        self.message_user(request, f"Removed {len(sessions)} session(s).", messages.SUCCESS)


@admin.register(CallEvent)
class CallEventAdmin(ReadOnlyAdmin):
    # Chosen to fit 1400 px with the filter sidebar: when, what, where, who and the details.
    list_display = ["created_at", "kind", "room_link", "actor", "summary"]
    list_filter = ["kind", "actor_type", "room__type"]
    search_fields = ["room__token", "actor_id", "actor_display_name"]
    list_select_related = ["room"]
    date_hierarchy = "created_at"

    @admin.display(description="room", ordering="room__token")
    def room_link(self, obj):
        url = reverse("admin:talk_calls_room_change", args=[obj.room_id])
        return format_html('<a href="{}">{}</a>', url, obj.room.token)

    change_list_template = "admin/talk_calls/callevent/change_list.html"

    @admin.display(description="actor", ordering="actor_display_name")
    def actor(self, obj):
        name = obj.actor_display_name or report.guest_label(obj.actor_type, obj.actor_id)
        return format_html('{} <span class="quiet">{}</span>', name, f"{obj.actor_type}/{obj.actor_id[:12]}")

    @admin.display(description="details")
    def summary(self, obj):
        return event_summary(obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("report/", wrap(self.report_view), name="talk_calls_callevent_report"), *super().get_urls()]

    def report_view(self, request):
        """The call minutes report (``report``); ``?export=csv`` downloads it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        start, end = report.parse_period(request.GET, timezone.localdate())
        data = report.report(start, end)
        if request.GET.get("export") == "csv":
            return report.csv_response(data)
        context = {
            **self.admin_site.each_context(request),
            **data,
            "title": "Call minutes",
            "opts": self.opts,
            "list_breadcrumbs": django.VERSION >= (6, 0),
        }
        return TemplateResponse(request, "admin/talk_calls/callevent/report.html", context)


@admin.register(CallNotification)
class CallNotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "room", "attendee_actor", "caller", "call_started_at", "processed_at"]
    list_filter = [ProcessedFilter, "room__type"]
    search_fields = ["room__token", "attendee__actor_id", "caller_actor_id"]
    list_select_related = ["room", "attendee"]

    @admin.display(description="attendee", ordering="attendee__actor_id")
    def attendee_actor(self, obj):
        return f"{obj.attendee.actor_type}/{obj.attendee.actor_id}"

    @admin.display(description="caller")
    def caller(self, obj):
        return f"{obj.caller_actor_type}/{obj.caller_actor_id}" if obj.caller_actor_id else "-"


@admin.register(RecordingConsent)
class RecordingConsentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "room", "actor_type", "actor_id"]
    list_filter = ["actor_type", "room__type"]
    search_fields = ["room__token", "actor_id"]
    list_select_related = ["room"]
    date_hierarchy = "created_at"
