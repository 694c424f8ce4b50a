from django.urls import path

from kefu.exchange import views as exchange_views
from kefu.portal.views import auth, pages, security, support_requests
from kefu.privacy import views as privacy_views
from kefu.routing import portal_views as routing_views
from kefu.transcripts import views as transcript_views

app_name = "portal"
urlpatterns = [
    path("", pages.home, name="home"),
    path("login", auth.login_view, name="login"),
    path("login/code", auth.login_code_view, name="login_code"),
    path("logout", auth.logout_view, name="logout"),
    path("signup", auth.signup_view, name="signup"),
    path("account/", pages.account, name="account"),
    path("account/anti-phishing", security.antiphishing, name="account_antiphishing"),
    path(
        "account/sign-out-everywhere",
        security.sign_out_everywhere,
        name="account_sign_out_everywhere",
    ),
    path("account/password", security.change_password, name="account_password"),
    path(
        "account/emergency-freeze",
        exchange_views.emergency_freeze_view,
        name="account_emergency_freeze",
    ),
    path("account/export", privacy_views.portal_export, name="account_export"),
    path("account/erasure", privacy_views.portal_erasure_request, name="account_erasure"),
    path("requests/", support_requests.request_list, name="request_list"),
    path("requests/new", support_requests.request_new, name="request_new"),
    path("requests/<int:pk>/", support_requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/escalate", routing_views.escalate, name="request_escalate"),
    path("requests/complaint", routing_views.complaint_new, name="complaint_new"),
    path("requests/<int:pk>/reply", support_requests.request_reply, name="request_reply"),
    path("requests/<int:pk>/close", support_requests.request_close, name="request_close"),
    path("requests/<int:pk>/reopen", support_requests.request_reopen, name="request_reopen"),
    path(
        "requests/<int:pk>/attachments/<int:attachment_pk>",
        support_requests.attachment_download,
        name="attachment_download",
    ),
    path(
        "requests/<int:pk>/transcript.<str:fmt>",
        transcript_views.customer_export,
        name="request_transcript",
    ),
]
