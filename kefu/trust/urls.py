from django.urls import URLPattern, URLResolver, path

from kefu.trust import views

app_name = "trust"

urlpatterns: list[URLPattern | URLResolver] = [
    path("check/", views.check_page, name="check"),
    path("check/report", views.report, name="report"),
    path("check/phrase", views.phrase_check, name="phrase_check"),
    path("api/check", views.api_check, name="api_check"),
    # Agents: give a verification phrase in a conversation (staff only; 404 for anyone else).
    path("agent/c/<int:pk>/phrase", views.phrase_issue, name="phrase_issue"),
]
