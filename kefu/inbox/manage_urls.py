"""The inbound pages, mounted by kefu.backoffice.urls at /agent/manage/inbound/
(names: ``backoffice:inbound:<name>``)."""

from django.urls import path

from kefu.inbox import manage_views

app_name = "inbound"
urlpatterns = [
    path("", manage_views.inbound_list, name="list"),
    path("<int:pk>/replay/", manage_views.inbound_replay, name="replay"),
    path("mailboxes/", manage_views.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", manage_views.mailbox_create, name="mailbox_create"),
    path("mailboxes/<int:pk>/edit/", manage_views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/delete/", manage_views.mailbox_delete, name="mailbox_delete"),
    path("mailboxes/<int:pk>/poll/", manage_views.mailbox_poll, name="mailbox_poll"),
]
