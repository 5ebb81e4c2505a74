"""Demo site URLs: the admin, the landing page and the Talk API at the site root."""

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.landing, name="landing"),
    path("", include("talk_calls.urls")),
]
