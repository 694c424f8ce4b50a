from django.urls import path

from kefu.sla import workspace_views

app_name = "agent_alerts"
urlpatterns = [
    path("", workspace_views.alerts, name="list"),
    path("read", workspace_views.alerts_mark_read, name="mark_read"),
]
