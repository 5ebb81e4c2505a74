"""Demo site URLs: the admin, Django's login/logout views, the API description under ``api/``
and the Talk API at the site root."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    # Django's own login/logout: logging out ends the Talk sessions of that browser.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="admin/login.html", extra_context={"site_header": "talk_calls"}),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", views.landing, name="landing"),
    # The API description (OpenAPI 3) and its docs page, offline.
    path("api/", include("talk_calls.docs_urls")),
    # The app's optional call page: a browser client of the Talk API served above.
    path("call/", include("talk_calls.call_urls")),
    path("", include("talk_calls.urls")),
]
