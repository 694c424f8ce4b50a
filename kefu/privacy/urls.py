"""Privacy pages, mounted under the backoffice (/agent/manage/retention/, .../erasures/)."""

from django.urls import path

from kefu.privacy import views

app_name = "privacy"
urlpatterns = [
    path("retention/", views.retention, name="retention"),
    path("retention/holds/", views.hold_create, name="hold_create"),
    path("retention/holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("erasures/", views.erasure_list, name="erasure_list"),
    path("erasures/<int:pk>/erase/", views.erasure_execute, name="erasure_execute"),
    path("erasures/<int:pk>/decline/", views.erasure_decline, name="erasure_decline"),
]
