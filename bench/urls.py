"""Bench URLs: the demo site's, plus the baseline view at ``/bench/baseline/{token}``."""

from django.urls import path
from rest_framework.response import Response

from project.urls import urlpatterns as site_patterns
from talk_calls.models import Room
from talk_calls.views.base import OCSView


class BaselineView(OCSView):
    """The stack's ceiling: the app's authentication, parsers and OCS envelope, one indexed query."""

    def get(self, request, token):
        room_id = Room.objects.filter(token=token).values_list("pk", flat=True).first()
        return Response({"id": room_id, "user": request.user.is_authenticated})


urlpatterns = [path("bench/baseline/<str:token>", BaselineView.as_view()), *site_patterns]
