from django.urls import path

from kefu.inbox.adapters.webchat import views

app_name = "webchat"
urlpatterns = [
    path("v1/sites/<str:key>/config", views.site_config, name="site_config"),
    path("v1/hello", views.hello, name="hello"),
    path("v1/frames", views.frames, name="frames"),
    path("v1/poll", views.poll, name="poll"),
    path("v1/upload", views.upload, name="upload"),
    path("v1/escalate", views.escalate, name="escalate"),
    path("v1/attachments/<int:pk>", views.attachment, name="attachment"),
    path("demo/", views.demo_host, name="demo"),
]
