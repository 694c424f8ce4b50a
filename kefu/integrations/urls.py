"""Webhook pages, mounted under the backoffice at /agent/manage/webhooks/."""

from django.urls import path

from kefu.integrations import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="endpoint_list"),
    path("new/", views.endpoint_create, name="endpoint_create"),
    path("<int:pk>/", views.endpoint_edit, name="endpoint_edit"),
    path("<int:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("<int:pk>/active/", views.endpoint_toggle, name="endpoint_toggle"),
    path("<int:pk>/ping/", views.endpoint_ping, name="endpoint_ping"),
    path("<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.delivery_redeliver,
        name="delivery_redeliver",
    ),
]
