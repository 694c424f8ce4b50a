"""Hand-off route pages, mounted by kefu.backoffice.urls at /agent/manage/assistant/routes/
(names: ``backoffice:handoff_routes:<name>``)."""

from django.urls import path

from kefu.assistant import manage_views

app_name = "handoff_routes"
urlpatterns = [
    path("", manage_views.route_list, name="list"),
    path("new/", manage_views.route_create, name="create"),
    path("<int:pk>/edit/", manage_views.route_edit, name="edit"),
    path("<int:pk>/delete/", manage_views.route_delete, name="delete"),
]
