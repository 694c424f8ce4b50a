from django.urls import path

from kefu.csat import views

app_name = "csat"
urlpatterns = [
    path("r/<str:token>/", views.rate, name="rate"),
    path("requests/<int:pk>/answer", views.portal_answer, name="portal_answer"),
]
