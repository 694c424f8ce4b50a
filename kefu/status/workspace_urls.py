from django.urls import path

from kefu.status import workspace_views

app_name = "agent_incidents"
urlpatterns = [
    path("link/<int:pk>", workspace_views.link, name="link"),
    path("unlink/<int:pk>", workspace_views.unlink, name="unlink"),
    path("<int:pk>/conversations", workspace_views.incident_conversations, name="conversations"),
]
