from django.urls import path

from kefu.inbox.adapters.phone import views as phone_views
from kefu.routing import workspace_views as routing_views
from kefu.transcripts import views as transcript_views
from kefu.workspace.views import (
    account,
    actions,
    conversation,
    customer,
    inbox,
    kb,
    kb_actions,
    kb_structure,
    kb_transfer,
    security,
)

app_name = "workspace"
urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("c/<int:pk>/", conversation.conversation_detail, name="conversation"),
    # The live page's regions, swapped in when the conversation changes.
    path("c/<int:pk>/timeline", conversation.conversation_timeline, name="conversation_timeline"),
    path("c/<int:pk>/state", conversation.conversation_state, name="conversation_state"),
    path(
        "c/<int:pk>/attachments/<int:attachment_pk>",
        conversation.attachment_download,
        name="attachment",
    ),
    path("c/<int:pk>/customer/reveal", customer.customer_reveal, name="customer_reveal"),
    path("c/<int:pk>/reply", actions.reply, name="reply"),
    path("c/<int:pk>/note", actions.note, name="note"),
    path("c/<int:pk>/assign", actions.assign, name="assign"),
    path("c/<int:pk>/team", actions.set_team, name="team"),
    path("c/<int:pk>/status", actions.set_status, name="status"),
    path("c/<int:pk>/priority", actions.set_priority, name="priority"),
    path("c/<int:pk>/escalate", actions.escalate, name="escalate"),
    path("c/<int:pk>/resolve", routing_views.resolve, name="routing_resolve"),
    path("queues/", routing_views.queues, name="routing_queues"),
    path("escalation-requests/<int:pk>/decide", routing_views.decide, name="routing_decide"),
    path("c/<int:pk>/tags", actions.set_tags, name="tags"),
    path("c/<int:pk>/calls/<int:call_pk>/notes", phone_views.call_notes, name="call_notes"),
    path("c/<int:pk>/macro", actions.apply_macro, name="macro_apply"),
    path("c/<int:pk>/merge", actions.merge, name="merge"),
    path("c/<int:pk>/transcript.<str:fmt>", transcript_views.agent_export, name="transcript"),
    path("account/", account.preferences, name="preferences"),
    path("account/presence", account.presence, name="presence"),
    # Sign-in security (two-factor set-up, devices, password): open even before a required
    # enrolment (kefu.workspace.middleware).
    path("account/security/", security.security, name="security"),
    path("account/security/enrol/start", security.enrol_start, name="security_enrol_start"),
    path("account/security/enrol/", security.enrol, name="security_enrol"),
    path("account/security/recovery-codes", security.recovery_codes, name="security_codes"),
    path("account/security/disable", security.disable, name="security_disable"),
    path(
        "account/security/sign-out-everywhere",
        security.sign_out_everywhere,
        name="security_sign_out_everywhere",
    ),
    path("account/security/password", security.change_password, name="security_password"),
    # Knowledge-base authoring (staff with a KB role).
    path("kb/", kb.kb_list, name="kb_list"),
    path("kb/review", kb.kb_review, name="kb_review"),
    path("kb/new", kb_actions.kb_new, name="kb_new"),
    path("kb/preview", kb_actions.kb_preview_view, name="kb_preview"),
    path("kb/a/<slug:slug>/", kb.kb_article, name="kb_article"),
    path("kb/a/<slug:slug>/related", kb_actions.kb_related, name="kb_related"),
    path("kb/a/<slug:slug>/images", kb_actions.kb_image, name="kb_image"),
    path("kb/a/<slug:slug>/feedback", kb.kb_feedback, name="kb_feedback"),
    path("kb/a/<slug:slug>/<str:lang>/edit", kb_actions.kb_edit, name="kb_edit"),
    path("kb/a/<slug:slug>/<str:lang>/submit", kb_actions.kb_submit, name="kb_submit"),
    path("kb/a/<slug:slug>/<str:lang>/publish", kb_actions.kb_publish, name="kb_publish"),
    path("kb/a/<slug:slug>/<str:lang>/unpublish", kb_actions.kb_unpublish, name="kb_unpublish"),
    path("kb/a/<slug:slug>/<str:lang>/history", kb.kb_history, name="kb_history"),
    path("kb/a/<slug:slug>/<str:lang>/history/<int:number>", kb.kb_revision, name="kb_revision"),
    path("kb/a/<slug:slug>/<str:lang>/restore", kb_actions.kb_restore, name="kb_restore"),
    # Categories and sections: everyone with a KB role sees them, editors change them.
    path("kb/structure", kb_structure.kb_structure, name="kb_structure"),
    path("kb/transfer", kb_transfer.kb_transfer, name="kb_transfer"),
    path("kb/export", kb_transfer.kb_export, name="kb_export"),
    path("kb/import", kb_transfer.kb_import, name="kb_import"),
    path("kb/structure/categories/new", kb_structure.kb_category_new, name="kb_category_new"),
    path(
        "kb/structure/categories/<int:pk>/edit",
        kb_structure.kb_category_edit,
        name="kb_category_edit",
    ),
    path(
        "kb/structure/categories/<int:pk>/sections/new",
        kb_structure.kb_section_new,
        name="kb_section_new",
    ),
    path(
        "kb/structure/sections/<int:pk>/edit",
        kb_structure.kb_section_edit,
        name="kb_section_edit",
    ),
]
