"""Operator pages in the Django admin: rooms, live calls, attendees, sessions and history.

Read-mostly: nothing here edits a row. Every list and page is read-only, and the few
things an operator may do (end a call for everyone, expire stale sessions, remove an
attendee, promote or demote a moderator, remove a session) call the same services as the
API, so locks, call events and signals are the API's. Those actions need the model's
"change" permission. Every changelist annotates what it shows and selects related rows,
so the number of queries does not grow with rooms or sessions.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .constants import MODERATOR_TYPES, InCallFlag, Permission
from .exceptions import BadRequest
from .models import (
    Attendee,
    CallEvent,
    CallNotification,
    RecordingConsent,
    Room,
    Session,
    kill_cutoff,
    ping_cutoff,
)
from .services.calls import end_call_for_everyone
from .services.rooms import demote_moderator, promote_moderator, remove_attendee
from .services.sessions import expire_stale_sessions, remove_session

#: Seconds between reloads of the "Live calls" page.
LIVE_REFRESH_SECONDS = 5

PERMISSION_WORDS = {
    Permission.CALL_START: "start call",
    Permission.CALL_JOIN: "join call",
    Permission.LOBBY_IGNORE: "ignore lobby",
    Permission.PUBLISH_AUDIO: "audio",
    Permission.PUBLISH_VIDEO: "video",
    Permission.PUBLISH_SCREEN: "screen",
    Permission.CHAT: "chat",
}
#: Attendee operations of the room page: service and what the message says afterwards.
ATTENDEE_OPERATIONS = {
    "promote": (promote_moderator, "is now a moderator"),
    "demote": (demote_moderator, "is no longer a moderator"),
    "remove": (remove_attendee, "was removed from the room"),
}
FLAG_ICONS = {
    # Symbols that common fonts (DejaVu included) draw, unlike most emoji.
    InCallFlag.IN_CALL: ("\N{BLACK TELEPHONE}", "in call"),
    InCallFlag.WITH_AUDIO: ("\N{EIGHTH NOTE}", "audio"),
    InCallFlag.WITH_VIDEO: ("\N{BLACK RIGHT-POINTING TRIANGLE}", "video"),
    InCallFlag.WITH_PHONE: ("\N{TELEPHONE LOCATION SIGN}", "phone"),
}


def permission_words(value: int) -> list[str]:
    """Return the names of the permission bits set in ``value`` (CUSTOM is a marker, not a right)."""
    return [word for bit, word in PERMISSION_WORDS.items() if value & bit]


def describe_permissions(attendee: Attendee, room: Room) -> str:
    """Return the attendee's effective permissions in words, saying where they come from."""
    words = ", ".join(permission_words(attendee.effective_permissions(room))) or "none"
    if attendee.participant_type in MODERATOR_TYPES:
        source = "moderator"
    elif attendee.permissions:
        source = "custom"
    elif room.default_permissions:
        source = "room default"
    else:
        source = "instance default"
    return f"{words} ({source})"


def flag_badges(value: int):
    """Return the in-call flags as icon + word badges, or "not in call"."""
    if not value & InCallFlag.IN_CALL:
        return format_html('<span class="talk-flag talk-flag-off">{}</span>', "not in call")
    return format_html_join(
        " ",
        '<span class="talk-flag" title="{1}">{0} {1}</span>',
        (icon_word for bit, icon_word in FLAG_ICONS.items() if value & bit),
    )


def ping_state(session: Session, now=None) -> tuple[int, str]:
    """Return seconds since the last ping and ``fresh`` / ``not fresh`` / ``stale`` (models' cut-offs)."""
    now = now or timezone.now()
    seconds = max(0, int((now - session.last_ping).total_seconds()))
    if session.last_ping < kill_cutoff(now):
        return seconds, "stale"
    if session.last_ping < ping_cutoff(now):
        return seconds, "not fresh"
    return seconds, "fresh"


def ping_badge(session: Session, now=None):
    seconds, state = ping_state(session, now)
    if state == "fresh":
        return format_html('<span class="talk-ping">{} s</span>', seconds)
    label = "stale: expire to remove" if state == "stale" else "not fresh: not counted in the call"
    return format_html('<span class="talk-ping talk-{}">{} s ({})</span>', state.replace(" ", "-"), seconds, label)


def live_count_subquery(now=None):
    """Count of the room's sessions in the call with a fresh ping (uses the partial in-call index)."""
    sessions = (
        Session.objects.filter(
            room=OuterRef("pk"), in_call__gt=InCallFlag.DISCONNECTED, last_ping__gte=ping_cutoff(now)
        )
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sessions, output_field=IntegerField()), 0)


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


# ---------------------------------------------------------------------------------------
# Room page inlines


class AttendeeInline(ReadOnlyInline):
    model = Attendee
    verbose_name_plural = "attendees"
    fields = ["actor", "name", "participant_type", "decoded_permissions", "session_count", "last_joined_call", "tools"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room", "user").annotate(n_sessions=Count("sessions"))

    @admin.display(description="actor")
    def actor(self, obj):
        return f"{obj.actor_type}/{obj.actor_id}"

    @admin.display(description="display name")
    def name(self, obj):
        return obj.resolved_display_name()

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


class SessionInline(ReadOnlyInline):
    model = Session
    verbose_name = "live session"
    verbose_name_plural = "live sessions"
    fields = ["actor", "name", "participant_type", "decoded_permissions", "flags", "since_ping", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("attendee__user", "room")

    @admin.display(description="actor")
    def actor(self, obj):
        return f"{obj.attendee.actor_type}/{obj.attendee.actor_id}"

    @admin.display(description="display name")
    def name(self, obj):
        return obj.attendee.resolved_display_name()

    @admin.display(description="participant type")
    def participant_type(self, obj):
        return obj.attendee.get_participant_type_display()

    @admin.display(description="permissions")
    def decoded_permissions(self, obj):
        return describe_permissions(obj.attendee, obj.room)

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
    list_display = [
        "token",
        "name",
        "type",
        "lobby_state",
        "read_only",
        "call_running",
        "active_since",
        "live_in_call",
    ]
    list_display_links = ["token", "name"]
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
        ("Call", {"fields": ["call_running", "active_since", "call_started_by", "live_in_call", "call_flags"]}),
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
        """Run ``operation(room)`` for a POST by a user allowed to operate; go back to the room page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        room = get_object_or_404(Room, pk=room_id)
        if not self.has_operate_permission(request, room):
            raise PermissionDenied
        operation(room)
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
                    {"session": s, "flags": flag_badges(s.in_call), "ping": ping_badge(s, now)}
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
            "now": now,
        }
        return TemplateResponse(request, "admin/talk_calls/room/live_calls.html", context)


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
    list_display = ["short_id", "room_link", "actor", "name", "flags", "since_ping", "state", "created_at"]
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

    @admin.display(description="display name")
    def name(self, obj):
        return obj.attendee.resolved_display_name()

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
    list_display = ["created_at", "kind", "room_link", "actor", "actor_display_name", "summary", "call_started_at"]
    list_filter = ["kind", "actor_type", "room__type"]
    search_fields = ["room__token", "actor_id", "actor_display_name"]
    list_select_related = ["room"]
    date_hierarchy = "created_at"

    @admin.display(description="room", ordering="room__token")
    def room_link(self, obj):
        url = reverse("admin:talk_calls_room_change", args=[obj.room_id])
        return format_html('<a href="{}">{}</a>', url, obj.room.token)

    @admin.display(description="actor")
    def actor(self, obj):
        return f"{obj.actor_type}/{obj.actor_id}"

    @admin.display(description="details")
    def summary(self, obj):
        return event_summary(obj)


def event_summary(event: CallEvent) -> str:
    """Return an event's parameters in words (duration, users, guests, silent)."""
    params = event.parameters if isinstance(event.parameters, dict) else {}
    parts = []
    if "duration" in params:
        parts.append(f"{params['duration']} s")
    if params.get("users"):
        parts.append("users: " + ", ".join(str(u) for u in params["users"]))
    if params.get("guests"):
        parts.append(f"guests: {params['guests']}")
    if params.get("silent"):
        parts.append("silent")
    return "; ".join(parts) or "-"


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
