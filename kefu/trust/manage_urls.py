"""The registry's management pages, mounted by kefu.backoffice.urls at
/agent/manage/official-channels/ (names: ``backoffice:official_channels:<name>``)."""

from django.urls import path

from kefu.trust import manage_views

app_name = "official_channels"
urlpatterns = [
    path("", manage_views.channel_list, name="list"),
    path("new/", manage_views.channel_create, name="create"),
    path("<int:pk>/edit/", manage_views.channel_edit, name="edit"),
    path("<int:pk>/delete/", manage_views.channel_delete, name="delete"),
]
