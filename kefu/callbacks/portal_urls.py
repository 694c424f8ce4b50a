from django.urls import path

from kefu.callbacks import portal_views

app_name = "callbacks"
urlpatterns = [
    path("", portal_views.book, name="book"),
    path("current", portal_views.current, name="current"),
    path("current/cancel", portal_views.cancel, name="cancel"),
    path("current/new-code", portal_views.renew, name="renew"),
]
