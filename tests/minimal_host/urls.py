from django.urls import include, path

urlpatterns = [
    path("", include("talk_calls.urls")),
    # The optional API description and docs page (README).
    path("api/", include("talk_calls.docs_urls")),
]
