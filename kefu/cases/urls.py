from django.urls import URLPattern, URLResolver, path

from kefu.cases import views

app_name = "cases"

urlpatterns: list[URLPattern | URLResolver] = [
    # The public request (help center, no sign-in).
    path("help/verify/", views.submit, name="submit"),
    # Reviewers (staff only; 404 for anyone else).
    path("agent/cases/", views.queue, name="queue"),
    path("agent/cases/<int:pk>/", views.detail, name="detail"),
    path("agent/cases/<int:pk>/documents/<str:kind>", views.document, name="document"),
    path("agent/cases/<int:pk>/<str:action>", views.act, name="act"),
]
