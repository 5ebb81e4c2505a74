"""The app's URLs. Include them at the site root: ``path("", include("talk_calls.urls"))``.

Talk fixes the URL shape, so paths are explicit (no routers). Each area has its own
list; any other ``/ocs/`` path answers an OCS 404 in JSON (the catch-all, kept last).
"""

from django.urls import re_path

from .constants import TOKEN_PATTERN
from .views import rooms
from .views.base import OCSNotFoundView
from .views.calls import CallView, DialOutView, DownloadView, NotificationStateView, RingView
from .views.cloud import CapabilitiesView, CurrentUserView
from .views.sessions import ActiveParticipantView
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
    re_path(rf"{V4}room/{TOKEN}/participants/active$", ActiveParticipantView.as_view(), name="participants-active"),
]

room_patterns = [
    re_path(rf"{V4}room/?$", rooms.RoomListView.as_view(), name="rooms"),
    re_path(rf"{V4}room/{TOKEN}$", rooms.RoomDetailView.as_view(), name="room"),
    re_path(rf"{V4}room/{TOKEN}/participants$", rooms.ParticipantsView.as_view(), name="participants"),
    re_path(rf"{V4}room/{TOKEN}/participants/self$", rooms.SelfView.as_view(), name="participants-self"),
    re_path(rf"{V4}room/{TOKEN}/participants/state$", rooms.SessionStateView.as_view(), name="participants-state"),
    re_path(rf"{V4}room/{TOKEN}/attendees$", rooms.AttendeesView.as_view(), name="attendees"),
    re_path(
        rf"{V4}room/{TOKEN}/attendees/permissions$",
        rooms.AttendeePermissionsView.as_view(),
        name="attendee-permissions",
    ),
    re_path(
        rf"{V4}room/{TOKEN}/attendees/permissions/all$",
        rooms.AllAttendeesPermissionsView.as_view(),
        name="attendee-permissions-all",
    ),
    re_path(rf"{V4}room/{TOKEN}/moderators$", rooms.ModeratorsView.as_view(), name="moderators"),
    re_path(
        rf"{V4}room/{TOKEN}/permissions/(?P<mode>default|call)$",
        rooms.DefaultPermissionsView.as_view(),
        name="default-permissions",
    ),
    re_path(rf"{V4}room/{TOKEN}/webinar/lobby$", rooms.LobbyView.as_view(), name="lobby"),
    re_path(rf"{V4}room/{TOKEN}/webinar/sip$", rooms.SIPView.as_view(), name="sip"),
    re_path(rf"{V4}room/{TOKEN}/read-only$", rooms.ReadOnlyView.as_view(), name="read-only"),
    re_path(rf"{V4}room/{TOKEN}/listable$", rooms.ListableView.as_view(), name="listable"),
    re_path(rf"{V4}room/{TOKEN}/public$", rooms.PublicView.as_view(), name="public"),
    re_path(rf"{V4}room/{TOKEN}/password$", rooms.PasswordView.as_view(), name="password"),
    re_path(rf"{V4}room/{TOKEN}/recording-consent$", rooms.RecordingConsentView.as_view(), name="recording-consent"),
    re_path(rf"^ocs/v2\.php/apps/spreed/api/v1/guest/{TOKEN}/name$", rooms.GuestNameView.as_view(), name="guest-name"),
]

call_patterns = [
    re_path(rf"{V4}call/{TOKEN}$", CallView.as_view(), name="call"),
    re_path(rf"{V4}call/{TOKEN}/ring/{ATTENDEE_ID}$", RingView.as_view(), name="call-ring"),
    re_path(rf"{V4}call/{TOKEN}/dialout/{ATTENDEE_ID}$", DialOutView.as_view(), name="call-dialout"),
    re_path(rf"{V4}call/{TOKEN}/notification-state$", NotificationStateView.as_view(), name="call-notification-state"),
    re_path(rf"{V4}call/{TOKEN}/download$", DownloadView.as_view(), name="call-download"),
]

V3_SIGNALING = r"^ocs/v2\.php/apps/spreed/api/v3/signaling/"

# Fixed routes first: "settings" and "backend" also match the token pattern (talk-signaling 0).
signaling_patterns = [
    re_path(rf"{V3_SIGNALING}settings$", SignalingSettingsView.as_view(), name="signaling-settings"),
    # Not tokens: the HPB's backend endpoint and the admin's welcome probe (external signaling).
    re_path(rf"{V3_SIGNALING}(?:backend|welcome/.*)$", OCSNotFoundView.as_view(), name="signaling-reserved"),
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
