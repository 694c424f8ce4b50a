"""The customer-facing wording of a diagnosis, one entry per finding code.

Every sentence is a gettext message (shipped in English and Simplified Chinese in this app's
catalogue); ``kefu.exchange.diagnosis`` calls these functions once per language inside
``translation.override``. Placeholders are filled from ``Facts``: every key is always present,
so any sentence may use any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kefu.exchange.connector import Direction, FundStatus

Facts = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class CustomerText:
    """What happened, why, what the customer should do, and when it should resolve (each may
    be empty), in one language."""

    what: str
    why: str
    action: str
    when: str

    def paragraphs(self) -> list[str]:
        return [part for part in (self.what, self.why, self.action, self.when) if part]

    def message(self, language: str) -> list[str]:
        """Two paragraphs: what happened and why; what to do and when it resolves."""
        space = "" if language.startswith("zh") else " "
        pairs = ((self.what, self.why), (self.action, self.when))
        return [space.join(p for p in pair if p) for pair in pairs if any(pair)]


def status_label(status: FundStatus) -> str:
    labels = {
        FundStatus.PENDING_REVIEW: pgettext("fund status", "pending review"),
        FundStatus.PROCESSING: pgettext("fund status", "processing"),
        FundStatus.BROADCAST: pgettext("fund status", "sent to the network"),
        FundStatus.CONFIRMED: pgettext("fund status", "completed"),
        FundStatus.CANCELLED: pgettext("fund status", "cancelled"),
        FundStatus.PENDING_CONFIRMATIONS: pgettext("fund status", "waiting for confirmations"),
        FundStatus.CREDITED: pgettext("fund status", "credited"),
        FundStatus.NOT_CREDITED: pgettext("fund status", "not credited"),
        FundStatus.FAILED: pgettext("fund status", "failed"),
    }
    return labels[status]


def direction_label(direction: Direction) -> str:
    if direction == Direction.DEPOSIT:
        return pgettext("fund direction", "deposit")
    return pgettext("fund direction", "withdrawal")


# code -> (what, why, action, when); each a callable so only the one needed is translated.
_Table = dict[str, Callable[[], tuple[str, str, str, str]]]


def _table() -> _Table:
    return {
        # --- withdrawals ------------------------------------------------------------------
        "withdrawal.pending_review": lambda: (
            _("Your withdrawal is waiting for a routine review."),
            _("Withdrawals are checked before they are sent; nothing is wrong with it."),
            _("You do not need to do anything, and please do not submit it again."),
            _("Reviews are usually finished within %(review_hours)s hours."),
        ),
        "withdrawal.pending_review_overdue": lambda: (
            _(
                "Your withdrawal is still waiting for its review, which is taking longer than "
                "usual."
            ),
            _(
                "Reviews are usually finished within %(review_hours)s hours; we have asked the "
                "review team to look at yours."
            ),
            _("You do not need to do anything, and please do not submit it again."),
            _("We will update you as soon as the review is finished."),
        ),
        "withdrawal.processing": lambda: (
            _("Your withdrawal has been approved and is being sent to the network."),
            "",
            _("You do not need to do anything."),
            _("It is usually sent within %(processing_minutes)s minutes."),
        ),
        "withdrawal.broadcast": lambda: (
            _(
                "Your withdrawal has been sent to the %(network)s network "
                "(transaction ID %(txid)s)."
            ),
            _("It is waiting for network confirmations: %(confirmations)s of %(required)s so far."),
            _("You do not need to do anything."),
            _("It should complete in about %(remaining_minutes)s minutes."),
        ),
        "withdrawal.arriving": lambda: (
            _(
                "Your withdrawal has been confirmed on the %(network)s network "
                "(transaction ID %(txid)s)."
            ),
            _("Our records have not caught up with the network yet."),
            _(
                "It should appear in the receiving wallet shortly; if it does not, contact the "
                "receiving platform with the transaction ID."
            ),
            _("Our records normally update within a few minutes."),
        ),
        "withdrawal.chain_problem": lambda: (
            _("Your withdrawal was sent to the network, but the network did not complete it."),
            _("We have passed it to our team to check."),
            _("Please do not submit it again; your funds are safe while we check."),
            _("We will update you as soon as we know more."),
        ),
        "withdrawal.confirmed": lambda: (
            _(
                "Your withdrawal of %(amount)s %(asset)s was completed on the %(network)s network "
                "(transaction ID %(txid)s)."
            ),
            "",
            _(
                "If the receiving wallet does not show it, please contact the receiving platform "
                "with the transaction ID and the network."
            ),
            "",
        ),
        "withdrawal.cancelled": lambda: (
            _("This withdrawal was cancelled before it was sent."),
            "",
            _("The amount is back in your available balance; you can submit a new withdrawal."),
            "",
        ),
        "withdrawal.failed": lambda: (
            _("This withdrawal failed and was not sent."),
            "",
            _(
                "The amount and fee are back in your available balance; you can submit a new "
                "withdrawal."
            ),
            "",
        ),
        "withdrawal.invalid_address": lambda: (
            _("This withdrawal failed and was not sent."),
            _("The destination address is not a valid %(network)s address."),
            _(
                "Copy the address again from the receiving platform, make sure it is for the "
                "%(network)s network, and submit a new withdrawal. Your funds are back in your "
                "balance."
            ),
            "",
        ),
        "withdrawal.missing_memo": lambda: (
            _("This withdrawal was not sent."),
            _("The destination needs a memo (tag), and none was given."),
            _(
                "Get the memo from the receiving platform and submit a new withdrawal with it. "
                "Your funds are back in your balance."
            ),
            "",
        ),
        "withdrawal.insufficient_balance": lambda: (
            _("This withdrawal was not sent."),
            _(
                "The amount (%(amount)s %(asset)s) plus the network fee (%(fee)s %(asset)s) "
                "comes to %(total)s %(asset)s, which is more than your available balance."
            ),
            _("Submit a new withdrawal for a smaller amount so that amount plus fee fits."),
            "",
        ),
        "withdrawal.risk_control_hold": lambda: (
            _("This withdrawal is on hold for a security review."),
            _("Our risk team checks some withdrawals to protect your account."),
            _(
                "Please do not submit it again. We may ask you to confirm some details; reply "
                "only through our official channels."
            ),
            _("The security team will update you when the review is finished."),
        ),
        "withdrawal.network_suspended": lambda: (
            _("Withdrawals of %(asset)s on the %(network)s network are suspended at the moment."),
            _("The network is under maintenance or has a problem."),
            _(
                "You do not need to do anything; you can also choose another network that "
                "the receiving platform supports."
            ),
            _("Withdrawals will resume when the network is back."),
        ),
        "withdrawal.network_congested": lambda: (
            _("Your withdrawal is delayed."),
            _("The %(network)s network is congested right now."),
            _("You do not need to do anything, and please do not submit it again."),
            _("It will be sent when the network clears."),
        ),
        "withdrawal.address_not_whitelisted": lambda: (
            _("This withdrawal was not sent."),
            _(
                "Your account only allows withdrawals to addresses in your whitelist, and this "
                "address is not in it."
            ),
            _("Add the address to your withdrawal whitelist, then submit the withdrawal again."),
            _("A newly added address can be used after %(lock_hours)s hours, for your safety."),
        ),
        "withdrawal.daily_limit": lambda: (
            _("This withdrawal was not sent."),
            _("It would go over your daily withdrawal limit."),
            _(
                "Try again after the limit resets, or raise your limit by upgrading your "
                "verification."
            ),
            _(
                "The limit resets at 00:00 UTC (in about %(reset_hours)s hours), or as soon as a "
                "verification upgrade is approved."
            ),
        ),
        "withdrawal.account_locked": lambda: (
            _("Withdrawals are blocked because your account is locked."),
            _("The account was locked to protect it."),
            _("To unlock it, start an identity-verification request from our help center."),
            _("Withdrawals can be made again once the account is unlocked."),
        ),
        "withdrawal.account_frozen": lambda: (
            _("Withdrawals are blocked because your account is frozen."),
            _("A frozen account cannot withdraw or trade."),
            _("To unfreeze it, start an identity-verification request from our help center."),
            _("Withdrawals can be made again once the account is unfrozen."),
        ),
        "withdrawal.account_disabled": lambda: (
            _("Withdrawals are blocked because your account is closed."),
            "",
            _("Our team will contact you about the balance in this account."),
            "",
        ),
        # --- deposits ---------------------------------------------------------------------
        "deposit.pending_confirmations": lambda: (
            _("We have seen your deposit of %(amount)s %(asset)s on the %(network)s network."),
            _("It is waiting for network confirmations: %(confirmations)s of %(required)s so far."),
            _("You do not need to do anything."),
            _("It will be credited in about %(remaining_minutes)s minutes."),
        ),
        "deposit.crediting": lambda: (
            _("Your deposit of %(amount)s %(asset)s has enough network confirmations."),
            _("Our records have not caught up with the network yet."),
            _("You do not need to do anything."),
            _("It should be credited within a few minutes."),
        ),
        "deposit.credited": lambda: (
            _("Your deposit of %(amount)s %(asset)s was credited to your account on %(updated)s."),
            "",
            _("Please check your balance in the account's spot (funding) wallet."),
            "",
        ),
        "deposit.wrong_network_recoverable": lambda: (
            _(
                "Your deposit arrived on the %(network)s network, which this deposit address "
                "does not credit."
            ),
            _("It was sent on a different network from the one selected for the deposit."),
            _(
                "Funds sent this way can usually be recovered. Please submit a deposit recovery "
                "request with the transaction ID (%(txid)s)."
            ),
            _("Recovery requests usually take up to %(recovery_days)s working days."),
        ),
        "deposit.wrong_network_unrecoverable": lambda: (
            _(
                "Your deposit arrived on the %(network)s network, which this deposit address "
                "does not credit."
            ),
            _("It was sent on a different network from the one selected for the deposit."),
            _(
                "Funds sent on this network usually cannot be recovered. We have passed the "
                "transaction ID (%(txid)s) to our team to check whether anything can be done."
            ),
            _("We will tell you what our team finds."),
        ),
        "deposit.missing_memo": lambda: (
            _("Your deposit of %(amount)s %(asset)s arrived without the memo (tag) it needs."),
            _("Without the memo we cannot tell automatically which account it belongs to."),
            _(
                "Please submit a deposit recovery request with the transaction ID (%(txid)s) and "
                "the memo shown on your deposit page."
            ),
            _("Recovery requests usually take up to %(recovery_days)s working days."),
        ),
        "deposit.risk_control_hold": lambda: (
            _("Your deposit is on hold for a security review."),
            _("Our risk team checks some deposits to protect your account."),
            _("You do not need to do anything; we will contact you if we need more information."),
            _("The security team will update you when the review is finished."),
        ),
        "deposit.network_suspended": lambda: (
            _("Deposits of %(asset)s on the %(network)s network are suspended at the moment."),
            _("The network is under maintenance or has a problem."),
            _("You do not need to do anything; your deposit is safe."),
            _("It will be credited when the network is back."),
        ),
        "deposit.network_congested": lambda: (
            _("Your deposit is delayed."),
            _("The %(network)s network is congested right now."),
            _("You do not need to do anything."),
            _("It will be credited when the network clears."),
        ),
        "deposit.pending_review": lambda: (
            _("Your deposit is being reviewed before it is credited."),
            "",
            _("You do not need to do anything."),
            _("Reviews are usually finished within %(review_hours)s hours."),
        ),
        "deposit.not_credited": lambda: (
            _("Your deposit arrived but could not be credited automatically."),
            "",
            _("We have passed it to our deposit team; you do not need to do anything."),
            _("We will update you when it is credited."),
        ),
        "deposit.chain_problem": lambda: (
            _("The network shows that this transaction did not complete."),
            _("Funds from a failed transaction never leave the sending wallet."),
            _("Please check the sending wallet, and send the deposit again if needed."),
            "",
        ),
        "deposit.failed": lambda: (
            _("This deposit could not be credited."),
            "",
            _("We have passed it to our deposit team to check."),
            _("We will update you when we know more."),
        ),
    }


def customer_text(code: str, facts: Facts) -> CustomerText:
    """The wording for ``code`` in the active language, with ``facts`` filled in."""
    what, why, action, when = _table()[code]()
    return CustomerText(
        what=what % facts if what else "",
        why=why % facts if why else "",
        action=action % facts if action else "",
        when=when % facts if when else "",
    )


def known_codes() -> frozenset[str]:
    return frozenset(_table())


def intro(facts: Facts) -> str:
    return _(
        "We looked into your %(direction)s of %(amount)s %(asset)s on the %(network)s network "
        "(%(created)s)."
    ) % dict(facts)


def incident_line(facts: Facts) -> str:
    return _("See our status page for updates: %(incident_title)s %(incident_url)s") % dict(facts)


def account_notice(status: str) -> str:
    notices = {
        "locked": _(
            "Your account is locked, so you cannot sign in or withdraw. To unlock it, start an "
            "identity-verification request from our help center."
        ),
        "frozen": _(
            "Your account is frozen, so withdrawals and trading are blocked. To unfreeze it, "
            "start an identity-verification request from our help center."
        ),
        "disabled": _("Your account is closed, so withdrawals are blocked."),
    }
    return notices.get(status, "")


def several_intro(count: int) -> str:
    return _("We found %(count)s transactions that could match:") % {"count": count}


def several_line(facts: Facts) -> str:
    return _(
        "%(direction)s of %(amount)s %(asset)s on %(network)s, %(created)s: %(status)s"
    ) % dict(facts)


def several_question() -> str:
    return _(
        "Which one do you mean? The transaction ID (txid) is the quickest way for us to find it."
    )


def nothing_matches() -> str:
    return _(
        "We could not find a deposit or withdrawal matching those details. So that we can look "
        "further, please send us the transaction ID (txid or hash), the network (for example "
        "TRC20 or ERC20), roughly when you made it, and the amount."
    )


def no_account() -> str:
    return _(
        "We could not find an exchange account linked to this conversation. Please tell us the "
        "email address or phone number you use to sign in, and the transaction ID (txid)."
    )
