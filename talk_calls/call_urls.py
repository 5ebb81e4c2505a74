"""The optional call page: ``path("call/", include("talk_calls.call_urls"))`` in a host's URLconf.

A browser client of the app's own public Talk API (rooms, call, internal signaling):
``call/`` lists the visitor's rooms, ``call/<token>/`` holds the call.
"""

from django.urls import re_path

from .constants import TOKEN_PATTERN
from .views.call_page import call_page, room_picker

app_name = "talk_calls_call"

urlpatterns = [
    re_path(r"^$", room_picker, name="rooms"),
    re_path(rf"^(?P<token>{TOKEN_PATTERN})/$", call_page, name="call"),
]
