from django.urls import path

from kefu.csat import workspace_views

app_name = "agent_csat"
urlpatterns = [
    path("followups/", workspace_views.followups, name="followups"),
    path("followups/<int:pk>/assign", workspace_views.followup_assign, name="followup_assign"),
    path(
        "followups/<int:pk>/complete", workspace_views.followup_complete, name="followup_complete"
    ),
]
