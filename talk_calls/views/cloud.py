"""Nextcloud core endpoints Talk clients read first: capabilities and the current user."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ..capabilities import SERVER_VERSION, spreed_capabilities
from .base import OCSView


class CapabilitiesView(OCSView):
    """``GET /ocs/v{1,2}.php/cloud/capabilities``: public, with ``spreed`` for every caller."""

    def get(self, request):
        is_user = bool(request.user and request.user.is_authenticated)
        return Response(
            {
                "version": SERVER_VERSION,
                "capabilities": {
                    "core": {"pollinterval": 60, "webdav-root": "remote.php/webdav"},
                    "spreed": spreed_capabilities(is_user=is_user),
                },
            }
        )


class CurrentUserView(OCSView):
    """``GET /ocs/v{1,2}.php/cloud/user``: the logged-in user (401 otherwise)."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.get_username(),
                "display-name": user.get_full_name() or user.get_username(),
                "displayname": user.get_full_name() or user.get_username(),
                "email": user.email or None,
                "enabled": user.is_active,
                "groups": sorted(user.groups.values_list("name", flat=True)),
                "language": "en",
                "locale": "",
            }
        )
