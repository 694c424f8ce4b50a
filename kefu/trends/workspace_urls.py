from django.urls import path

from kefu.trends import workspace_views

app_name = "agent_trends"
urlpatterns = [
    path("", workspace_views.alerts, name="list"),
    path("<int:pk>/", workspace_views.alert_detail, name="detail"),
    path("<int:pk>/acknowledge", workspace_views.alert_acknowledge, name="acknowledge"),
    path("<int:pk>/incident", workspace_views.alert_open_incident, name="open_incident"),
]
