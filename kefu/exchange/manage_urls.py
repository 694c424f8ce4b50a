"""The diagnosis policy's management page, mounted by kefu.backoffice.urls at
/agent/manage/diagnosis-policy/ (name: ``backoffice:diagnosis_policy:edit``)."""

from django.urls import path

from kefu.exchange import manage_views

app_name = "diagnosis_policy"
urlpatterns = [
    path("", manage_views.policy_edit, name="edit"),
]
