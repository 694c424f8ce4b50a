from django.urls import URLPattern, URLResolver

app_name = "transcripts"

urlpatterns: list[URLPattern | URLResolver] = []
