from django.urls import path

from kefu.automation import views

app_name = "automation"
urlpatterns = [
    path("", views.rule_list, name="rule_list"),
    path("new/", views.rule_create, name="rule_create"),
    path("<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("<int:pk>/delete/", views.rule_delete, name="rule_delete"),
]
