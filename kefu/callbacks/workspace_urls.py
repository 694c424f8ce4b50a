from django.urls import path

from kefu.callbacks import workspace_views

app_name = "agent_callbacks"
urlpatterns = [
    path("", workspace_views.queue, name="queue"),
    path("<int:pk>/", workspace_views.detail, name="detail"),
    path("<int:pk>/claim", workspace_views.claim, name="claim"),
    path("<int:pk>/verify", workspace_views.verify, name="verify"),
    path("<int:pk>/complete", workspace_views.complete, name="complete"),
    path("<int:pk>/missed", workspace_views.missed, name="missed"),
    path("<int:pk>/cancel", workspace_views.cancel, name="cancel"),
]
