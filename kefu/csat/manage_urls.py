"""The survey policy's management page, mounted by kefu.backoffice.urls at
/agent/manage/survey-policy/ (name: ``backoffice:survey_policy:edit``)."""

from django.urls import path

from kefu.csat import manage_views

app_name = "survey_policy"
urlpatterns = [
    path("", manage_views.policy_edit, name="edit"),
]
