"""The inbound page, mounted by kefu.backoffice.urls at /agent/manage/inbound/
(names: ``backoffice:inbound:<name>``)."""

from django.urls import path

from kefu.inbox import manage_views

app_name = "inbound"
urlpatterns = [
    path("", manage_views.inbound_list, name="list"),
    path("<int:pk>/replay/", manage_views.inbound_replay, name="replay"),
]
