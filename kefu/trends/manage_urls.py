"""The trend policy's management page, mounted by kefu.backoffice.urls at
/agent/manage/trend-policy/ (name: ``backoffice:trend_policy:edit``)."""

from django.urls import path

from kefu.trends import manage_views

app_name = "trend_policy"
urlpatterns = [
    path("", manage_views.policy_edit, name="edit"),
]
