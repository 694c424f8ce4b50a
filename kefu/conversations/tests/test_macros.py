"""macro_render: the macro in the conversation's language with its placeholders filled."""

from __future__ import annotations

from kefu.conversations.macros import PLACEHOLDERS, macro_render, macro_text
from kefu.testing import factories


def test_english_conversation_gets_english_text_with_placeholders(conversation_a, agent_a):
    macro = factories.MacroFactory()
    text = macro_render(macro=macro, conversation=conversation_a, agent=agent_a)
    contact = conversation_a.contact
    assert text == (
        f"Hello {contact.name}, about {conversation_a.reference}: we are on it. "
        f"{agent_a.display_name}"
    )


def test_chinese_conversation_gets_chinese_text_with_placeholders(db, agent_b):
    contact = factories.ContactFactory(name="王小明", language="zh-hans")
    conversation = factories.ConversationFactory(
        contact=contact, subject="提现未到账", body="我的提现还没到账"
    )
    assert conversation.language == "zh-hans"
    macro = factories.MacroFactory(
        body_zh="{{customer_name}}您好，工单 {{ reference }}（{{ subject }}）"
        "已由{{  agent_name  }}处理。"
    )
    text = macro_render(macro=macro, conversation=conversation, agent=agent_b)
    assert text == (
        f"王小明您好，工单 {conversation.reference}（提现未到账）已由{agent_b.display_name}处理。"
    )


def test_unknown_placeholders_are_kept_for_the_agent_to_see(conversation_a, agent_a):
    macro = factories.MacroFactory(body_en="Order {{ order_id }} / {{reference}} / {{ }}")
    text = macro_render(macro=macro, conversation=conversation_a, agent=agent_a)
    assert text == f"Order {{{{ order_id }}}} / {conversation_a.reference} / {{{{ }}}}"


def test_names_fall_back_to_email_addresses(db):
    contact = factories.ContactFactory(name="", email="nameless@example.com")
    conversation = factories.ConversationFactory(contact=contact)
    agent = factories.StaffFactory(display_name="", email="quiet.agent@kefu.test")
    macro = factories.MacroFactory(body_en="{{ customer_name }} <- {{ agent_name }}")
    assert macro_render(macro=macro, conversation=conversation, agent=agent) == (
        "nameless@example.com <- quiet.agent@kefu.test"
    )


def test_every_documented_placeholder_is_filled(conversation_a, agent_a):
    body = " ".join("{{ %s }}" % name for name in PLACEHOLDERS)  # noqa: UP031
    macro = factories.MacroFactory(body_en=body)
    text = macro_render(macro=macro, conversation=conversation_a, agent=agent_a)
    assert "{{" not in text
    assert conversation_a.subject in text


def test_macro_text_picks_the_language(db):
    macro = factories.MacroFactory(body_en="EN", body_zh="中文")
    assert [macro_text(macro, lang) for lang in ("en", "zh-hans", "zh", "fr")] == [
        "EN",
        "中文",
        "中文",
        "EN",
    ]
