"""Customer-facing routing pages reached without signing in: the email escalation link."""

from django.urls import path

from kefu.routing import portal_views

app_name = "routing"
urlpatterns = [
    path("e/<str:token>/", portal_views.email_link, name="email_link"),
]
