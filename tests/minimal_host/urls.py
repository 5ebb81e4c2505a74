from django.urls import include, path

urlpatterns = [path("", include("talk_calls.urls"))]
