from django.urls import path

from kefu.community import staff_views

app_name = "community_staff"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("boards", staff_views.board_save, name="board_save"),
    path("posts/<int:pk>/moderate", staff_views.moderate_post, name="moderate_post"),
    path("threads/<int:pk>/moderate", staff_views.moderate_thread, name="moderate_thread"),
    path("threads/<int:pk>/offer-private", staff_views.offer_private, name="offer_private"),
    path("threads/<int:pk>/promote", staff_views.promote, name="promote"),
    path("reports/<int:pk>/dismiss", staff_views.report_dismiss, name="report_dismiss"),
    path("members/<int:pk>/sanction", staff_views.sanction, name="sanction"),
]
