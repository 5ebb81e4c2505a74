"""The app's URLs. Include them at the site root: ``path("", include("talk_calls.urls"))``.

Talk fixes the URL shape, so paths are explicit (no routers): each path maps its HTTP
methods onto the actions of one viewset per resource (``CallViewSet``, ``RoomViewSet``,
``ParticipantViewSet``). Each area has its own list; any other ``/ocs/`` path answers an
OCS 404 in JSON (the catch-all, kept last).
"""

from django.urls import re_path

from .constants import TOKEN_PATTERN
from .views.base import OCSNotFoundView
from .views.calls import CallViewSet
from .views.cloud import CapabilitiesView, CurrentUserView
from .views.hpb import SignalingBackendView
from .views.participants import ParticipantViewSet
from .views.rooms import RoomViewSet
from .views.signaling import SignalingSettingsView, signaling_view

app_name = "talk_calls"

V4 = r"^ocs/v2\.php/apps/spreed/api/v4/"
TOKEN = rf"(?P<token>{TOKEN_PATTERN})"
#: Attendee ids in paths: at most 18 digits, so they always fit a 64-bit primary key.
ATTENDEE_ID = r"(?P<attendee_id>[0-9]{1,18})"

cloud_patterns = [
    re_path(r"^ocs/v[12]\.php/cloud/capabilities/?$", CapabilitiesView.as_view(), name="capabilities"),
    re_path(r"^ocs/v[12]\.php/cloud/user/?$", CurrentUserView.as_view(), name="current-user"),
]

session_patterns = [
    re_path(
        rf"{V4}room/{TOKEN}/participants/active$",
        ParticipantViewSet.as_view({"post": "join", "delete": "leave"}),
        name="participants-active",
    ),
]

room_patterns = [
    re_path(rf"{V4}room/?$", RoomViewSet.as_view({"get": "list", "post": "create"}), name="rooms"),
    re_path(
        rf"{V4}room/{TOKEN}$",
        RoomViewSet.as_view({"get": "retrieve", "put": "rename", "delete": "destroy"}),
        name="room",
    ),
    re_path(
        rf"{V4}room/{TOKEN}/participants$",
        ParticipantViewSet.as_view({"get": "list", "post": "add"}),
        name="participants",
    ),
    re_path(
        rf"{V4}room/{TOKEN}/participants/self$",
        ParticipantViewSet.as_view({"delete": "leave_for_good"}),
        name="participants-self",
    ),
    re_path(
        rf"{V4}room/{TOKEN}/participants/state$",
        ParticipantViewSet.as_view({"put": "set_session_state"}),
        name="participants-state",
    ),
    re_path(rf"{V4}room/{TOKEN}/attendees$", ParticipantViewSet.as_view({"delete": "remove"}), name="attendees"),
    re_path(
        rf"{V4}room/{TOKEN}/attendees/permissions$",
        ParticipantViewSet.as_view({"put": "set_permissions"}),
        name="attendee-permissions",
    ),
    re_path(
        rf"{V4}room/{TOKEN}/attendees/permissions/all$",
        ParticipantViewSet.as_view({"put": "set_all_permissions"}),
        name="attendee-permissions-all",
    ),
    re_path(
        rf"{V4}room/{TOKEN}/moderators$",
        ParticipantViewSet.as_view({"post": "promote", "delete": "demote"}),
        name="moderators",
    ),
    re_path(
        rf"{V4}room/{TOKEN}/permissions/(?P<mode>default|call)$",
        RoomViewSet.as_view({"put": "set_default_permissions"}),
        name="default-permissions",
    ),
    re_path(rf"{V4}room/{TOKEN}/webinar/lobby$", RoomViewSet.as_view({"put": "set_lobby"}), name="lobby"),
    re_path(rf"{V4}room/{TOKEN}/webinar/sip$", RoomViewSet.as_view({"put": "set_sip"}), name="sip"),
    re_path(rf"{V4}room/{TOKEN}/read-only$", RoomViewSet.as_view({"put": "set_read_only"}), name="read-only"),
    re_path(rf"{V4}room/{TOKEN}/listable$", RoomViewSet.as_view({"put": "set_listable"}), name="listable"),
    re_path(
        rf"{V4}room/{TOKEN}/public$",
        RoomViewSet.as_view({"post": "make_public", "delete": "make_private"}),
        name="public",
    ),
    re_path(rf"{V4}room/{TOKEN}/password$", RoomViewSet.as_view({"put": "set_password"}), name="password"),
    re_path(
        rf"{V4}room/{TOKEN}/recording-consent$",
        RoomViewSet.as_view({"put": "set_recording_consent"}),
        name="recording-consent",
    ),
    re_path(
        rf"^ocs/v2\.php/apps/spreed/api/v1/guest/{TOKEN}/name$",
        ParticipantViewSet.as_view({"post": "set_guest_name"}),
        name="guest-name",
    ),
]

call_patterns = [
    re_path(
        rf"{V4}call/{TOKEN}$",
        CallViewSet.as_view({"get": "list", "post": "join", "put": "update_flags", "delete": "leave"}),
        name="call",
    ),
    re_path(rf"{V4}call/{TOKEN}/ring/{ATTENDEE_ID}$", CallViewSet.as_view({"post": "ring"}), name="call-ring"),
    re_path(
        rf"{V4}call/{TOKEN}/dialout/{ATTENDEE_ID}$", CallViewSet.as_view({"post": "dial_out"}), name="call-dialout"
    ),
    re_path(
        rf"{V4}call/{TOKEN}/notification-state$",
        CallViewSet.as_view({"get": "notification_state"}),
        name="call-notification-state",
    ),
    re_path(rf"{V4}call/{TOKEN}/download$", CallViewSet.as_view({"get": "download"}), name="call-download"),
]

V3_SIGNALING = r"^ocs/v2\.php/apps/spreed/api/v3/signaling/"

# Fixed routes first: "settings" and "backend" also match the token pattern (talk-signaling 0).
signaling_patterns = [
    re_path(rf"{V3_SIGNALING}settings$", SignalingSettingsView.as_view(), name="signaling-settings"),
    # The signaling server (HPB) asks about tickets, rooms and pings here (talk-signaling C3).
    re_path(rf"{V3_SIGNALING}backend$", SignalingBackendView.as_view(), name="signaling-backend"),
    # Not a token: the admin's welcome probe of a signaling server (not served yet).
    re_path(rf"{V3_SIGNALING}welcome/.*$", OCSNotFoundView.as_view(), name="signaling-reserved"),
    re_path(rf"{V3_SIGNALING}{TOKEN}$", signaling_view, name="signaling"),
]

urlpatterns = [
    *cloud_patterns,
    *session_patterns,
    *room_patterns,
    *call_patterns,
    *signaling_patterns,
    # Keep last: every unmatched /ocs/ path is an OCS 404.
    re_path(r"^ocs/", OCSNotFoundView.as_view(), name="ocs-not-found"),
]
