from django.urls import path

from kefu.workspace.views import account, actions, conversation, inbox

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
    path("c/<int:pk>/reply", actions.reply, name="reply"),
    path("c/<int:pk>/note", actions.note, name="note"),
    path("c/<int:pk>/assign", actions.assign, name="assign"),
    path("c/<int:pk>/team", actions.set_team, name="team"),
    path("c/<int:pk>/status", actions.set_status, name="status"),
    path("c/<int:pk>/priority", actions.set_priority, name="priority"),
    path("c/<int:pk>/escalate", actions.escalate, name="escalate"),
    path("c/<int:pk>/tags", actions.set_tags, name="tags"),
    path("account/", account.preferences, name="preferences"),
    path("account/presence", account.presence, name="presence"),
]
