from django.urls import path

from kefu.exchange import views

app_name = "exchange"
urlpatterns = [
    path("c/<int:pk>/funds", views.funds_panel, name="funds"),
    path("c/<int:pk>/funds/diagnose", views.funds_diagnose, name="diagnose"),
    path("c/<int:pk>/funds/freeze", views.funds_freeze, name="freeze"),
]
