"""The app's URLs. Include them at the site root: ``path("", include("talk_calls.urls"))``.

Talk fixes the URL shape, so paths are explicit (no routers). Each area has its own
list; any other ``/ocs/`` path answers an OCS 404 in JSON (the catch-all, kept last).
"""

from django.urls import re_path

from .constants import TOKEN_PATTERN
from .views.base import OCSNotFoundView
from .views.calls import CallView, DialOutView, DownloadView, NotificationStateView, RingView
from .views.cloud import CapabilitiesView, CurrentUserView
from .views.sessions import ActiveParticipantView

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

room_patterns: list = []

call_patterns = [
    re_path(rf"{V4}call/{TOKEN}$", CallView.as_view(), name="call"),
    re_path(rf"{V4}call/{TOKEN}/ring/{ATTENDEE_ID}$", RingView.as_view(), name="call-ring"),
    re_path(rf"{V4}call/{TOKEN}/dialout/{ATTENDEE_ID}$", DialOutView.as_view(), name="call-dialout"),
    re_path(rf"{V4}call/{TOKEN}/notification-state$", NotificationStateView.as_view(), name="call-notification-state"),
    re_path(rf"{V4}call/{TOKEN}/download$", DownloadView.as_view(), name="call-download"),
]

urlpatterns = [
    *cloud_patterns,
    *session_patterns,
    *room_patterns,
    *call_patterns,
    # Keep last: every unmatched /ocs/ path is an OCS 404.
    re_path(r"^ocs/", OCSNotFoundView.as_view(), name="ocs-not-found"),
]
