from django.urls import path

from kefu.backoffice.views import apikeys, audit, home, macros, staff, tags, teams

app_name = "backoffice"
urlpatterns = [
    path("", home.index, name="index"),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/new/", staff.staff_create, name="staff_create"),
    path("staff/<int:pk>/edit/", staff.staff_edit, name="staff_edit"),
    path("teams/", teams.team_list, name="team_list"),
    path("teams/new/", teams.team_create, name="team_create"),
    path("teams/<int:pk>/edit/", teams.team_edit, name="team_edit"),
    path("tags/", tags.tag_list, name="tag_list"),
    path("tags/new/", tags.tag_create, name="tag_create"),
    path("tags/<int:pk>/edit/", tags.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/delete/", tags.tag_delete, name="tag_delete"),
    path("macros/", macros.macro_list, name="macro_list"),
    path("macros/new/", macros.macro_create, name="macro_create"),
    path("macros/<int:pk>/edit/", macros.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", macros.macro_delete, name="macro_delete"),
    path("api-keys/", apikeys.apikey_list, name="apikey_list"),
    path("api-keys/new/", apikeys.apikey_create, name="apikey_create"),
    path("api-keys/<int:pk>/revoke/", apikeys.apikey_revoke, name="apikey_revoke"),
    path("audit/", audit.audit_list, name="audit_list"),
]
