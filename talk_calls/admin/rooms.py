"""Rooms in the admin: the list, the room page (attendees, live sessions, call history, actions)
and the self-refreshing "Live calls" view.
"""

import django
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ..constants import MODERATOR_TYPES, InCallFlag
from ..exceptions import BadRequest
from ..models import Attendee, CallEvent, Room, Session, ping_cutoff
from ..services.calls import end_call_for_everyone
from ..services.rooms import demote_moderator, promote_moderator, remove_attendee
from ..services.sessions import expire_stale_sessions
from .base import CallRunningFilter, ReadOnlyAdmin, ReadOnlyInline
from .display import (
    attendee_label,
    describe_permissions,
    device_summary,
    event_summary,
    flag_badges,
    live_count_subquery,
    permission_words,
    ping_badge,
)

#: Seconds between reloads of the "Live calls" page.
LIVE_REFRESH_SECONDS = 5

#: Attendee operations of the room page: service and what the message says afterwards.
ATTENDEE_OPERATIONS = {
    "promote": (promote_moderator, "is now a moderator"),
    "demote": (demote_moderator, "is no longer a moderator"),
    "remove": (remove_attendee, "was removed from the room"),
}


# ---------------------------------------------------------------------------------------
# Room page inlines


class PagedInlineFormSet(BaseInlineFormSet):
    """Show one page of the inline's rows (``?<prefix>-page=N``), so a room with 10,000 guests renders fast."""

    per_page = 100
    page_number = 1

    def get_queryset(self):
        if not hasattr(self, "_page"):
            self._page = Paginator(super().get_queryset(), self.per_page).get_page(self.page_number)
        return self._page.object_list

    @property
    def page(self):
        self.get_queryset()
        return self._page


class PagedInline(ReadOnlyInline):
    """A read-only tabular inline that lists ``PagedInlineFormSet.per_page`` rows a page."""

    formset = PagedInlineFormSet
    template = "admin/talk_calls/room/paged_tabular.html"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        prefix = formset.get_default_prefix()
        formset.page_number = request.GET.get(f"{prefix}-page", 1)
        return formset


class AttendeeInline(PagedInline):
    model = Attendee
    verbose_name_plural = "attendees"
    fields = ("actor", "name", "participant_type", "decoded_permissions", "session_count", "last_joined_call", "tools")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room", "user").annotate(n_sessions=Count("sessions"))

    @admin.display(description="actor")
    def actor(self, obj):
        return f"{obj.actor_type}/{obj.actor_id}"

    @admin.display(description="display name")
    def name(self, obj):
        return attendee_label(obj)

    @admin.display(description="permissions")
    def decoded_permissions(self, obj):
        return describe_permissions(obj, obj.room)

    @admin.display(description="sessions")
    def session_count(self, obj):
        return obj.n_sessions

    @admin.display(description="actions")
    def tools(self, obj):
        """Buttons that submit the page's separate action form (forms cannot nest)."""
        buttons = [("remove", "Remove")]
        if obj.participant_type in MODERATOR_TYPES:
            buttons.insert(0, ("demote", "Demote"))
        else:
            buttons.insert(0, ("promote", "Promote"))
        return format_html_join(
            " ",
            '<button type="submit" form="talk-action-form" class="button talk-{}" formaction="{}">{}</button>',
            (
                (action, reverse("admin:talk_calls_room_attendee", args=[obj.room_id, obj.pk, action]), label)
                for action, label in buttons
            ),
        )


class SessionInline(PagedInline):
    model = Session
    verbose_name = "live session"
    verbose_name_plural = "live sessions"
    fields = ("actor", "name", "participant_type", "flags", "since_ping", "device", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("attendee__user", "room")

    @admin.display(description="actor")
    def actor(self, obj):
        return f"{obj.attendee.actor_type}/{obj.attendee.actor_id}"

    @admin.display(description="display name")
    def name(self, obj):
        return attendee_label(obj.attendee)

    @admin.display(description="device (address, user agent)")
    def device(self, obj):
        return device_summary(obj)

    @admin.display(description="participant type")
    def participant_type(self, obj):
        return obj.attendee.get_participant_type_display()

    @admin.display(description="in-call flags")
    def flags(self, obj):
        return flag_badges(obj.in_call)

    @admin.display(description="since last ping")
    def since_ping(self, obj):
        return ping_badge(obj)


# ---------------------------------------------------------------------------------------
# Rooms


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    # Chosen to fit 1400 px with the filter sidebar: the call columns come right after the name.
    list_display = ["token", "room_name", "type", "call_since", "live_in_call", "lobby_state", "read_only"]
    list_display_links = ["token", "room_name"]
    list_filter = [CallRunningFilter, "type", "lobby_state", "read_only"]
    search_fields = ["token", "name", "attendees__actor_id", "attendees__display_name"]
    # Running calls first, newest first (PostgreSQL would put NULLs first on a plain DESC).
    ordering = [F("active_since").desc(nulls_last=True), "token"]
    actions = ["end_calls_action", "expire_sessions_action"]
    inlines = [AttendeeInline, SessionInline]
    change_form_template = "admin/talk_calls/room/change_form.html"
    change_list_template = "admin/talk_calls/room/change_list.html"
    #: How many call events the room page shows, newest first.
    history_limit = 50
    fieldsets = [
        (
            None,
            {"fields": ["token", "name", "description", "type", "read_only", "listable", "lobby_state", "lobby_timer"]},
        ),
        ("Call", {"fields": ["call_running", "active_since", "started_by", "live_in_call", "call_flags"]}),
        (
            "Settings",
            {
                "classes": ["collapse"],
                "fields": [
                    "sip_enabled",
                    "has_password",
                    "default_permissions_words",
                    "recording_consent",
                    "object_type",
                    "object_id",
                    "created_at",
                    "last_activity",
                ],
            },
        ),
    ]
    readonly_fields = [
        "started_by",
        "call_running",
        "live_in_call",
        "call_flags",
        "has_password",
        "default_permissions_words",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("call_started_by")
        return queryset.annotate(live_count=live_count_subquery())

    @admin.display(description="call running", boolean=True, ordering="active_since")
    def call_running(self, obj):
        return obj.active_since is not None

    @admin.display(description="name", ordering="name")
    def room_name(self, obj):
        return obj.label

    @admin.display(description="call since", ordering="active_since")
    def call_since(self, obj):
        if obj.active_since is None:
            return "-"
        return format_html(
            '<span class="talk-live">&#9742; {}</span>', timezone.localtime(obj.active_since).strftime("%H:%M:%S")
        )

    @admin.display(description="call started by")
    def started_by(self, obj):
        attendee = obj.call_started_by
        if attendee is None:
            return "-"
        return f"{attendee_label(attendee)} ({attendee.actor_type}/{attendee.actor_id})"

    @admin.display(description="live in call", ordering="live_count")
    def live_in_call(self, obj):
        return obj.live_count

    @admin.display(description="call flags")
    def call_flags(self, obj):
        return flag_badges(obj.call_flag) if obj.call_flag else "-"

    @admin.display(description="password", boolean=True)
    def has_password(self, obj):
        return obj.has_password

    @admin.display(description="default permissions")
    def default_permissions_words(self, obj):
        if not obj.default_permissions:
            return "instance default"
        return ", ".join(permission_words(obj.default_permissions)) or "none"

    # Actions, all through the services ------------------------------------------------

    @admin.action(description="End the call for everyone", permissions=["operate"])
    def end_calls_action(self, request, queryset):
        ended = sum(end_call_for_everyone(room) for room in queryset.with_call())
        self.message_user(request, f"Ended {ended} call(s) for everyone.", messages.SUCCESS)

    @admin.action(description="Expire stale sessions", permissions=["operate"])
    def expire_sessions_action(self, request, queryset):
        removed = sum(expire_stale_sessions(room=room) for room in queryset)
        self.message_user(request, f"Removed {removed} stale session(s).", messages.SUCCESS)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("live/", wrap(self.live_calls_view), name="talk_calls_room_live"),
            path("<int:room_id>/end-call/", wrap(self.end_call_view), name="talk_calls_room_end_call"),
            path("<int:room_id>/expire/", wrap(self.expire_view), name="talk_calls_room_expire"),
            path(
                "<int:room_id>/attendee/<int:attendee_id>/<str:operation>/",
                wrap(self.attendee_view),
                name="talk_calls_room_attendee",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        history = list(CallEvent.objects.filter(room_id=object_id).order_by("-created_at", "-id")[: self.history_limit])
        for event in history:
            event.summary = event_summary(event)
        extra_context.update(
            call_history=history,
            call_history_url=reverse("admin:talk_calls_callevent_changelist") + f"?room__id__exact={object_id}",
            can_operate=self.has_operate_permission(request),
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def _operate(self, request, room_id, operation):
        """Run ``operation(room)`` for a POST by a user allowed to operate; go back to the room page
        (or to "Live calls" when the form says ``next=live``)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        room = get_object_or_404(Room, pk=room_id)
        if not self.has_operate_permission(request, room):
            raise PermissionDenied
        operation(room)
        if request.POST.get("next") == "live":
            return HttpResponseRedirect(reverse("admin:talk_calls_room_live"))
        return HttpResponseRedirect(reverse("admin:talk_calls_room_change", args=[room.pk]))

    def end_call_view(self, request, room_id):
        def run(room):
            if end_call_for_everyone(room):
                self.message_user(request, f"Ended the call in {room.token} for everyone.", messages.SUCCESS)
            else:
                self.message_user(request, f"No call was running in {room.token}.", messages.WARNING)

        return self._operate(request, room_id, run)

    def expire_view(self, request, room_id):
        def run(room):
            removed = expire_stale_sessions(room=room)
            self.message_user(request, f"Removed {removed} stale session(s) of {room.token}.", messages.SUCCESS)

        return self._operate(request, room_id, run)

    def attendee_view(self, request, room_id, attendee_id, operation):
        if operation not in ATTENDEE_OPERATIONS:
            raise Http404("Unknown attendee action")
        service, done = ATTENDEE_OPERATIONS[operation]

        def run(room):
            attendee = get_object_or_404(Attendee, pk=attendee_id, room=room)
            name = attendee.resolved_display_name() or attendee.actor_id
            try:
                service(room, attendee)
            except BadRequest:
                self.message_user(request, f"Cannot {operation} {name}.", messages.ERROR)
                return
            self.message_user(request, f"{name} {done}.", messages.SUCCESS)

        return self._operate(request, room_id, run)

    def live_calls_view(self, request):
        """Every running call with its fresh in-call sessions; the page reloads itself."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        live_sessions = (
            Session.objects.filter(in_call__gt=InCallFlag.DISCONNECTED, last_ping__gte=ping_cutoff(now))
            .select_related("attendee__user")
            .order_by("attendee__display_name", "id")
        )
        rooms = (
            Room.objects.with_call()
            .select_related("call_started_by")
            .annotate(live_count=live_count_subquery(now))
            .prefetch_related(Prefetch("sessions", queryset=live_sessions, to_attr="live_sessions"))
            .order_by("active_since", "id")
        )
        calls = [
            {
                "room": room,
                "duration": int((now - room.active_since).total_seconds()),
                "sessions": [
                    {
                        "session": s,
                        "name": attendee_label(s.attendee),
                        "device": device_summary(s),
                        "flags": flag_badges(s.in_call),
                        "ping": ping_badge(s, now),
                    }
                    for s in room.live_sessions
                ],
            }
            for room in rooms
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Live calls",
            "opts": self.opts,
            "calls": calls,
            "refresh_seconds": LIVE_REFRESH_SECONDS,
            "list_breadcrumbs": django.VERSION >= (6, 0),
            "now": now,
            "can_operate": self.has_operate_permission(request),
        }
        return TemplateResponse(request, "admin/talk_calls/room/live_calls.html", context)
