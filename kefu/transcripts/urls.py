from django.urls import URLPattern, URLResolver, path

from kefu.transcripts import views

app_name = "transcripts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("verify/", views.verify, name="verify"),
    path("public-key.pem", views.public_key_pem, name="public_key_pem"),
    path("public-key.json", views.public_key_json, name="public_key_json"),
]
