from django.urls import path

from kefu.analytics import views

app_name = "agent_analytics"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("by/<slug:dimension>/", views.breakdown, name="breakdown"),
]
