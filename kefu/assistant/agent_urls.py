"""Agent-facing assistant pages, under /agent/assistant/ (see config/urls.py)."""

from django.urls import path

from kefu.assistant import agent_views

app_name = "agent_assistant"
urlpatterns = [
    path("c/<int:pk>/", agent_views.assistant_panel, name="panel"),
]
