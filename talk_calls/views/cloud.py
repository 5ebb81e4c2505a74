"""Nextcloud core endpoints Talk clients read first: capabilities and the current user."""

from ..capabilities import SERVER_VERSION, spreed_capabilities
from ..models import user_display_name, user_group_names
from ..openapi.operations import CAPABILITIES_OPERATIONS, CURRENT_USER_OPERATIONS
from ..openapi.schema import OCSAutoSchema
from ..permissions import IsLoggedIn
from ..renderers import OCSResponse
from .base import OCSView


class CapabilitiesView(OCSView):
    """``GET /ocs/v{1,2}.php/cloud/capabilities``: public, with ``spreed`` for every caller."""

    schema = OCSAutoSchema(CAPABILITIES_OPERATIONS, tag="cloud", name="capabilities")

    def get(self, request):
        is_user = bool(request.user and request.user.is_authenticated)
        return OCSResponse(
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

    schema = OCSAutoSchema(CURRENT_USER_OPERATIONS, tag="cloud", name="current-user")

    permission_classes = [IsLoggedIn]

    def get(self, request):
        user = request.user
        name = user_display_name(user)
        return OCSResponse(
            {
                "id": user.get_username(),
                "display-name": name,
                "displayname": name,
                "email": getattr(user, user.get_email_field_name(), None) or None,
                "enabled": user.is_active,
                "groups": user_group_names(user),
                "language": "en",
                "locale": "",
            }
        )
