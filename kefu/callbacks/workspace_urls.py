from django.urls import path

from kefu.callbacks import workspace_views

app_name = "agent_callbacks"
urlpatterns = [
    path("", workspace_views.queue, name="queue"),
    path("<int:pk>/", workspace_views.detail, name="detail"),
    path("<int:pk>/claim", workspace_views.act, {"action": "claim"}, name="claim"),
    path("<int:pk>/verify", workspace_views.act, {"action": "verify"}, name="verify"),
    path("<int:pk>/complete", workspace_views.act, {"action": "complete"}, name="complete"),
    path("<int:pk>/missed", workspace_views.act, {"action": "missed"}, name="missed"),
    path("<int:pk>/cancel", workspace_views.act, {"action": "cancel"}, name="cancel"),
]
