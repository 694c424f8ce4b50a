"""The assistant's customer-facing wording (dialogue, flows, answers), in one place.

Every sentence is a gettext message shipped in English and Simplified Chinese in this app's
catalogue. ``kefu.assistant.dialogue`` calls these functions inside
``translation.override(<the customer's language>)``; nothing here picks a language itself.
None of these texts asks for a password, a code, a private key or a seed phrase, and none gives
investment advice (kefu/assistant/tests/test_dialogue_safety.py scans them all with the
outbound guard).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def intent_label(intent: str) -> str:
    """A short button label for an intent (clarifying questions)."""
    labels = {
        "withdrawal_status": _("Where is my withdrawal?"),
        "withdrawal_failed": _("My withdrawal failed"),
        "deposit_missing": _("My deposit has not arrived"),
        "deposit_howto": _("How to deposit"),
        "fees_limits": _("Fees and limits"),
        "trading": _("Trading and orders"),
        "account_access": _("I cannot sign in"),
        "two_factor": _("Two-factor authentication (2FA)"),
        "kyc": _("Identity verification (KYC)"),
        "security": _("My account may be hacked"),
        "card": _("Card payments"),
        "refund_dispute": _("Refunds and disputes"),
        "account_settings": _("Account settings"),
        "eligibility": _("Supported countries"),
        "human_agent": _("Talk to a person"),
        "official_check": _("Is this an official channel?"),
        "other": _("Something else"),
    }
    return labels.get(intent, intent)


# --- conversation ---------------------------------------------------------------------------


def greeting() -> str:
    return _(
        "Hello! I'm the support assistant. I can check your withdrawals and deposits, help "
        "with sign-in and two-factor authentication problems, secure an account that may be "
        "hacked, check whether a website, email address or phone number is really ours, and "
        "answer questions from our help center. What can I do for you?"
    )


def thanks() -> str:
    return _("Glad to help! Is there anything else I can do for you?")


def out_of_scope() -> str:
    return _(
        "Sorry, I can only help with your account on our exchange: withdrawals and deposits, "
        "sign-in and two-factor authentication, account security, official channels, and the "
        "topics of our help center. What would you like help with?"
    )


def investment_refusal() -> str:
    return _(
        "Sorry, I can't give investment advice or predict prices, and our staff can't either. "
        "I can help with your account, deposits and withdrawals, and how our products work."
    )


def clarify() -> str:
    return _("I want to be sure I understand. Which of these is closest to your question?")


def talk_to_person() -> str:
    return _("Talk to a person")


def resolved_question() -> str:
    return _("Did this answer your question?")


def resolved_yes_label() -> str:
    return pgettext("did this answer your question", "Yes, thanks")


def resolved_no_label() -> str:
    return pgettext("did this answer your question", "No")


def resolved_thanks() -> str:
    return _("Great, I'm glad that helped. If anything else comes up, just write here.")


def unresolved() -> str:
    return _("Sorry I couldn't solve this for you.")


def handoff() -> str:
    return _(
        "I'm passing your conversation to our support team. A person will take over here "
        "shortly; you don't need to repeat anything."
    )


def handoff_urgent() -> str:
    return _(
        "I've marked this as urgent for our security team. A person will take over here as "
        "soon as possible."
    )


def no_answer() -> str:
    return _("I couldn't find an answer to this in our help center.")


def lookup_failed() -> str:
    return _("I can't reach our transaction records right now.")


# --- answers from the help center -----------------------------------------------------------


def kb_intro(title: str) -> str:
    return _("From our help center article “%(title)s”:") % {"title": title}


def kb_more() -> str:
    return _("For all the details, open the article below.")


# --- deposits and withdrawals ---------------------------------------------------------------


def fund_sign_in() -> str:
    return _(
        "To look at your own deposits and withdrawals I need to know it's you: please sign in "
        "to your account and open the chat from there, or talk to a person."
    )


def fund_pick_label(direction: str, amount: str, asset: str, network: str, when: str) -> str:
    return _("%(direction)s %(amount)s %(asset)s (%(network)s), %(when)s") % {
        "direction": direction,
        "amount": amount,
        "asset": asset,
        "network": network,
        "when": when,
    }


def fund_record_gone() -> str:
    return _("I couldn't find that transaction any more.")


def fund_needs_person() -> str:
    return _("This one needs a closer look by our team.")


# --- sign-in, two-factor authentication, security -----------------------------------------


def account_access() -> str:
    return _(
        "If you can still sign in, you can set a new password in the Password section of your "
        "account page. If you are locked out, you can ask us to unlock your account: a short "
        "identity verification with a photo of your ID, reviewed by our team. We will never "
        "ask for your password or codes in the chat."
    )


def reset_password_label() -> str:
    return _("Change my password")


def unlock_label() -> str:
    return _("Unlock my account")


def reset_password_open() -> str:
    return _(
        "Open your account page and use the Password section to choose a new password. If "
        "you cannot sign in at all, ask me to unlock your account instead."
    )


def two_factor() -> str:
    return _(
        "If you lost the phone or the authenticator app you use for two-factor "
        "authentication, you can ask for a reset through identity verification: a short "
        "form with a photo of your ID, reviewed by our team. Withdrawals stay paused for a "
        "short time after a reset, for your safety."
    )


def reset_2fa_label() -> str:
    return _("Reset my 2FA")


def verify_open() -> str:
    return _(
        "Open the identity verification page, choose what you need and follow the steps. Our "
        "team reviews every request and answers by email. Only use the page on our website."
    )


def security() -> str:
    return _(
        "Act now: freeze your account to stop withdrawals and sign-ins at once. Use the "
        "button below, then change the password of your email account. Our security team "
        "is being alerted as well."
    )


def freeze_label() -> str:
    return _("Freeze my account now")


def freeze_open() -> str:
    return _(
        "Open this page and confirm to freeze your account immediately. Our security team will "
        "help you unfreeze it safely afterwards."
    )


# --- official channels ----------------------------------------------------------------------


def official_ask() -> str:
    return _(
        "Please paste the website, email address, phone number or account name you want me to "
        "check, exactly as you saw it."
    )


def official_unreadable() -> str:
    return _(
        "I couldn't read that as a website, email address, phone number or account name. "
        "Please paste it exactly as you saw it."
    )


def official_result(kind: str, value: str, title: str, explanation: str) -> str:
    return _("%(kind)s %(value)s: %(title)s. %(explanation)s") % {
        "kind": kind,
        "value": value,
        "title": title,
        "explanation": explanation,
    }


def official_warning() -> str:
    return _(
        "Do not sign in, send funds or share any codes there. You can report it and see all "
        "our official channels on the check page."
    )
