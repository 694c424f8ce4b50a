"""Connector adapters: ``demo`` (built-in tables), ``http`` (the exchange's REST API) and
``memory`` (an in-memory data set, for the reference server and tests). The action rules the
built-in adapters share live here, so they behave the same."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.exchange.connector import (
    AccountStatus,
    CaseAuthorisation,
    CaseKind,
    ConnectorError,
    SecurityEventKind,
)

EVENT_FOR_ACTION = {
    CaseKind.FREEZE: SecurityEventKind.ACCOUNT_FROZEN,
    CaseKind.UNLOCK: SecurityEventKind.ACCOUNT_UNLOCKED,
    CaseKind.RESET_2FA: SecurityEventKind.TWO_FACTOR_CHANGED,
}


@dataclass(frozen=True, slots=True)
class Outcome:
    status: AccountStatus
    status_reason: str
    two_factor_enabled: bool
    event: SecurityEventKind
    detail: str


def action_outcome(
    *,
    action: CaseKind,
    authorisation: CaseAuthorisation,
    status: AccountStatus,
    status_reason: str,
    two_factor_enabled: bool,
) -> Outcome:
    """What ``action`` does to an account in this state; ConnectorError (permanent) if refused."""
    if authorisation.kind != action:
        raise ConnectorError(
            f"Case {authorisation.case_ref} authorises {authorisation.kind}, not {action}.",
            retryable=False,
        )
    if status == AccountStatus.DISABLED:
        raise ConnectorError("The account is closed; no action is possible.", retryable=False)
    detail = f"{action} by case {authorisation.case_ref}"
    if action == CaseKind.FREEZE:
        return Outcome(
            AccountStatus.FROZEN, f"frozen by case {authorisation.case_ref}", two_factor_enabled,
            EVENT_FOR_ACTION[action], detail,
        )  # fmt: skip
    if action == CaseKind.UNLOCK:
        return Outcome(
            AccountStatus.ACTIVE, "", two_factor_enabled, EVENT_FOR_ACTION[action], detail
        )
    # Resetting 2FA switches it off; the customer sets it up again at their next sign-in.
    return Outcome(status, status_reason, False, EVENT_FOR_ACTION[action], detail)
