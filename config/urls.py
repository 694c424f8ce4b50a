from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config.api import api
from kefu.accounts import views as accounts_views
from kefu.core import views as core_views
from kefu.core.observability import views as metrics_views
from kefu.helpcenter.views import pages as helpcenter_pages

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_views.metrics, name="metrics"),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", api.urls),
    path("chat/", include("kefu.inbox.adapters.webchat.urls")),
    path("channels/", include("kefu.inbox.urls")),
    # Verified cases: /help/verify/ (public) and /agent/cases/ (staff), before the catch-alls.
    path("", include("kefu.cases.urls")),
    path("trust/", include("kefu.trust.urls")),
    path("transcripts/", include("kefu.transcripts.urls")),
    path("help/", include("kefu.status.urls")),
    path("help/", include("kefu.community.urls")),
    path("help/", include("kefu.helpcenter.urls")),
    path("sitemap.xml", helpcenter_pages.sitemap, name="sitemap"),
    # Django admin's own login would skip two-factor sign-in: send it to the one login page.
    path("django-admin/login/", accounts_views.admin_login, name="admin_login_redirect"),
    path("django-admin/", admin.site.urls),
    path("agent/manage/automation/", include("kefu.automation.urls")),
    path("agent/manage/", include("kefu.backoffice.urls")),
    path("agent/exchange/", include("kefu.exchange.urls")),
    path("agent/callbacks/", include("kefu.callbacks.workspace_urls")),
    path("agent/assistant/", include("kefu.assistant.agent_urls")),
    path("agent/csat/", include("kefu.csat.workspace_urls")),
    path("agent/alerts/", include("kefu.sla.workspace_urls")),
    path("agent/trends/", include("kefu.trends.workspace_urls")),
    path("agent/analytics/", include("kefu.analytics.urls")),
    path("agent/incidents/", include("kefu.status.workspace_urls")),
    path("agent/community/", include("kefu.community.staff_urls")),
    path("agent/", include("kefu.workspace.urls")),
    path("callbacks/", include("kefu.callbacks.portal_urls")),
    path("csat/", include("kefu.csat.urls")),
    path("escalate/", include("kefu.routing.urls")),
    path("", include("kefu.portal.urls")),
]

# A database outage answers 503 with Retry-After (kefu.core.unavailable), not a 500.
handler500 = "kefu.core.unavailable.server_error"
