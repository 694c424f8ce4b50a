"""Routing pages, mounted by kefu.backoffice.urls at /agent/manage/routing/
(names: ``backoffice:routing:<name>``)."""

from django.urls import path

from kefu.routing import manage_views

app_name = "routing"
urlpatterns = [
    path("", manage_views.rule_list, name="list"),
    path("new/", manage_views.rule_create, name="create"),
    path("<int:pk>/edit/", manage_views.rule_edit, name="edit"),
    path("<int:pk>/delete/", manage_views.rule_delete, name="delete"),
    path("policy/", manage_views.policy_edit, name="policy"),
    path("skills/", manage_views.skills_list, name="skills"),
    path("skills/<int:pk>/", manage_views.skills_save, name="skills_save"),
]
