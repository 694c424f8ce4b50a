from django.urls import path

from kefu.status import views

app_name = "status"
urlpatterns = [
    path("<str:lang>/status/", views.page, name="page"),
    path("<str:lang>/status/incidents/<int:pk>/", views.incident, name="incident"),
    path("<str:lang>/status/feed.atom", views.feed, name="feed"),
    path("<str:lang>/status/subscribe", views.subscribe, name="subscribe"),
    path("status/confirm/<str:token>", views.confirm, name="confirm"),
    path("status/unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
