from django.urls import path

from kefu.community import views

app_name = "community"
urlpatterns = [
    path("community/media/<int:pk>/<str:filename>", views.media, name="media"),
    path("<str:lang>/community/", views.index, name="index"),
    path("<str:lang>/community/b/<slug:slug>/", views.board, name="board"),
    path("<str:lang>/community/b/<slug:slug>/ask", views.ask, name="ask"),
    path("<str:lang>/community/t/<int:pk>/", views.thread, name="thread"),
    path("<str:lang>/community/t/<int:pk>/reply", views.reply, name="reply"),
    path("<str:lang>/community/t/<int:pk>/accept", views.accept, name="accept"),
    path("<str:lang>/community/t/<int:pk>/follow", views.follow, name="follow"),
    path("<str:lang>/community/t/<int:pk>/private-help", views.private_help, name="private_help"),
    path("<str:lang>/community/p/<int:pk>/vote", views.vote, name="vote"),
    path("<str:lang>/community/p/<int:pk>/report", views.report, name="report"),
    path("<str:lang>/community/u/<int:pk>/", views.profile, name="profile"),
    path("<str:lang>/community/profile", views.profile_edit, name="profile_edit"),
    path("<str:lang>/community/notifications", views.notifications, name="notifications"),
]
