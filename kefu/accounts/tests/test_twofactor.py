"""Two-factor sign-in services: enrolment, codes (single use, skew, rate limit), recovery
codes, turning it off, the admin reset, the policy, and the encryption of secrets."""

from __future__ import annotations

import pyotp
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from kefu.accounts import keys, twofactor
from kefu.accounts.models import RecoveryCode, Role, SecurityPolicy, TotpDevice
from kefu.accounts.services import actor_for_user
from kefu.accounts.tests.twofactor_kit import code_at, enrol
from kefu.audit.models import AuditEntry
from kefu.core.errors import Conflict, PermissionDenied, RateLimited, ValidationFailed
from kefu.testing.factories import PASSWORD


def _verify(user, code):
    return twofactor.second_factor_verify(
        user=user, code=code, purpose=twofactor.Purpose.SIGN_IN, actor=actor_for_user(user)
    )


# --- enrolment -------------------------------------------------------------------------------


def test_enrolment_needs_a_correct_first_code(agent_a, clock, audit_watch):
    actor = actor_for_user(agent_a)
    enrolment = twofactor.totp_enrol_start(user=agent_a, actor=actor)
    assert enrolment.uri.startswith("otpauth://totp/")
    assert "secret=" + enrolment.secret in enrolment.uri
    assert not twofactor.two_factor_enabled(agent_a)
    watch = audit_watch()

    with pytest.raises(ValidationFailed):
        twofactor.totp_enrol_confirm(user=agent_a, code="000000", actor=actor)
    assert not twofactor.two_factor_enabled(agent_a)
    assert [row[2] for row in watch.rows()] == ["two_factor.code_rejected"]

    codes = twofactor.totp_enrol_confirm(
        user=agent_a, code=code_at(enrolment.secret, clock.at), actor=actor
    )
    assert twofactor.two_factor_enabled(agent_a)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    assert [row[2] for row in watch.rows()][-1] == "two_factor.enabled"


def test_secret_is_encrypted_and_recovery_codes_hashed(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    device = TotpDevice.objects.get(user=agent_a)
    assert enrolled.secret not in device.secret_encrypted
    assert keys.decrypt(device.secret_encrypted) == (enrolled.secret, False)
    stored = set(RecoveryCode.objects.filter(user=agent_a).values_list("code_hash", flat=True))
    assert len(stored) == 10
    plain = {c.replace("-", "") for c in enrolled.recovery_codes}
    assert not stored & plain
    assert all(len(h) == 64 for h in stored)


def test_customers_cannot_enrol(customer_1):
    with pytest.raises(PermissionDenied):
        twofactor.totp_enrol_start(user=customer_1, actor=actor_for_user(customer_1))


def test_enrolling_twice_is_refused_once_on(agent_a, clock):
    enrol(agent_a, clock)
    with pytest.raises(Conflict):
        twofactor.totp_enrol_start(user=agent_a, actor=actor_for_user(agent_a))


def test_nobody_enrols_for_someone_else(agent_a, admin_user):
    with pytest.raises(PermissionDenied):
        twofactor.totp_enrol_start(user=agent_a, actor=actor_for_user(admin_user))


# --- codes -----------------------------------------------------------------------------------


def test_a_code_works_once(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    code = enrolled.code(clock)
    assert _verify(agent_a, code) == "totp"
    with pytest.raises(ValidationFailed):
        _verify(agent_a, code)  # replayed in the same step


def test_an_older_code_is_refused_after_a_newer_one(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    older, newer = enrolled.code(clock, steps=-1), enrolled.code(clock)
    assert _verify(agent_a, newer) == "totp"
    with pytest.raises(ValidationFailed):
        _verify(agent_a, older)


def test_one_step_of_clock_skew_is_accepted_two_are_not(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    assert _verify(agent_a, enrolled.code(clock, steps=1)) == "totp"
    clock.advance(120)
    with pytest.raises(ValidationFailed):
        _verify(agent_a, enrolled.code(clock, steps=-2))
    with pytest.raises(ValidationFailed):
        _verify(agent_a, enrolled.code(clock, steps=2))


def test_code_attempts_are_rate_limited(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    cache.clear()  # forget the attempt the enrolment counted
    for _ in range(twofactor.CODE_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            _verify(agent_a, "123456" if enrolled.code(clock) != "123456" else "654321")
    with pytest.raises(RateLimited):
        _verify(agent_a, enrolled.code(clock))  # even the right code, while limited


def test_wrong_code_is_audited_without_the_code(agent_a, clock, audit_watch):
    enrol(agent_a, clock)
    watch = audit_watch()
    with pytest.raises(ValidationFailed):
        _verify(agent_a, "999999")
    ((_kind, _ref, action, object_type, object_id, data),) = watch.rows()
    assert (action, object_type, str(object_id), data) == (
        "two_factor.code_rejected",
        "user",
        str(agent_a.pk),
        {"purpose": "sign_in"},
    )


# --- recovery codes --------------------------------------------------------------------------


def test_recovery_code_works_once(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    code = enrolled.recovery_codes[0]
    assert _verify(agent_a, code.upper()) == "recovery"  # case and dash do not matter
    assert twofactor.recovery_codes_left(agent_a) == 9
    with pytest.raises(ValidationFailed):
        _verify(agent_a, code)


def test_regenerating_recovery_codes_retires_the_old_ones(agent_a, clock, audit_watch):
    enrolled = enrol(agent_a, clock)
    watch = audit_watch()
    new = twofactor.recovery_codes_regenerate(user=agent_a, actor=actor_for_user(agent_a))
    assert len(new) == 10
    assert not set(new) & set(enrolled.recovery_codes)
    with pytest.raises(ValidationFailed):
        _verify(agent_a, enrolled.recovery_codes[1])
    assert _verify(agent_a, new[0]) == "recovery"
    assert next(row[2] for row in watch.rows()) == "two_factor.recovery_codes_regenerated"


# --- turning it off, reset -------------------------------------------------------------------


def test_disable_needs_password_and_code(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    actor = actor_for_user(agent_a)
    with pytest.raises(ValidationFailed):
        twofactor.two_factor_disable(
            user=agent_a, password="wrong", code=enrolled.code(clock), actor=actor
        )
    with pytest.raises(ValidationFailed):
        twofactor.two_factor_disable(user=agent_a, password=PASSWORD, code="000000", actor=actor)
    assert twofactor.two_factor_enabled(agent_a)
    twofactor.two_factor_disable(
        user=agent_a, password=PASSWORD, code=enrolled.code(clock), actor=actor
    )
    assert not twofactor.two_factor_enabled(agent_a)
    assert not RecoveryCode.objects.filter(user=agent_a).exists()
    assert AuditEntry.objects.filter(action="two_factor.disabled").count() == 1


def test_disable_is_refused_when_the_role_requires_it(supervisor, system_actor, clock):
    enrolled = enrol(supervisor, clock)
    twofactor.security_policy_set(required_2fa_roles=[Role.SUPERVISOR], actor=system_actor)
    with pytest.raises(PermissionDenied):
        twofactor.two_factor_disable(
            user=supervisor,
            password=PASSWORD,
            code=enrolled.code(clock),
            actor=actor_for_user(supervisor),
        )
    assert twofactor.two_factor_enabled(supervisor)


def test_admin_resets_someones_two_factor_with_a_reason(agent_a, admin_user, clock):
    enrol(agent_a, clock)
    twofactor.two_factor_reset(
        user=agent_a, reason="Lost phone, checked by video call", actor=actor_for_user(admin_user)
    )
    assert not twofactor.two_factor_enabled(agent_a)
    entry = AuditEntry.objects.get(action="two_factor.reset")
    assert entry.actor_ref == f"agent:{admin_user.pk}"
    assert entry.data == {"reason": "Lost phone, checked by video call"}


@pytest.mark.parametrize("role_fixture", ["supervisor", "senior", "agent_b"])
def test_only_admins_reset_two_factor(role_fixture, request, agent_a, clock):
    enrol(agent_a, clock)
    other = request.getfixturevalue(role_fixture)
    with pytest.raises(PermissionDenied):
        twofactor.two_factor_reset(user=agent_a, reason="asked", actor=actor_for_user(other))
    assert twofactor.two_factor_enabled(agent_a)
    assert not AuditEntry.objects.filter(action="two_factor.reset").exists()


def test_reset_needs_a_reason(agent_a, admin_user, clock):
    enrol(agent_a, clock)
    with pytest.raises(ValidationFailed):
        twofactor.two_factor_reset(user=agent_a, reason="  ", actor=actor_for_user(admin_user))
    assert twofactor.two_factor_enabled(agent_a)


def test_reset_command(agent_a, clock):
    enrol(agent_a, clock)
    call_command("twofactor_reset", "Agent.A@kefu.test", "--reason", "only admin lost phone")
    assert not twofactor.two_factor_enabled(agent_a)
    entry = AuditEntry.objects.get(action="two_factor.reset")
    assert entry.actor_kind == "system"
    with pytest.raises(CommandError):
        call_command("twofactor_reset", "agent.a@kefu.test", "--reason", "again")  # nothing left
    with pytest.raises(CommandError):
        call_command("twofactor_reset", "nobody@kefu.test", "--reason", "x")


# --- policy ----------------------------------------------------------------------------------


def test_policy_default_and_admin_change(admin_user, supervisor, agent_a, monkeypatch):
    monkeypatch.setattr(
        twofactor, "DEFAULT_REQUIRED_ROLES", (Role.ADMIN.value, Role.SUPERVISOR.value)
    )
    assert twofactor.two_factor_required(supervisor)
    assert not twofactor.two_factor_required(agent_a)
    assert not SecurityPolicy.objects.exists()  # the default is not written on read
    twofactor.security_policy_set(
        required_2fa_roles=[Role.AGENT_L1], actor=actor_for_user(admin_user)
    )
    assert twofactor.two_factor_required(agent_a)
    assert not twofactor.two_factor_required(supervisor)
    entry = AuditEntry.objects.get(action="security_policy.updated")
    assert entry.data == {"required_2fa_roles": [["admin", "supervisor"], ["agent_l1"]]}


def test_only_admins_change_the_policy(supervisor):
    with pytest.raises(PermissionDenied):
        twofactor.security_policy_set(required_2fa_roles=[], actor=actor_for_user(supervisor))
    assert not SecurityPolicy.objects.exists()


def test_policy_rejects_unknown_roles(admin_user):
    with pytest.raises(ValidationFailed):
        twofactor.security_policy_set(required_2fa_roles=["root"], actor=actor_for_user(admin_user))


# --- keys ------------------------------------------------------------------------------------


def test_secret_under_an_old_key_is_read_and_rekeyed(agent_a, clock, settings):
    settings.SECRET_KEY = "old-key-" + "x" * 50
    enrolled = enrol(agent_a, clock)
    settings.SECRET_KEY = "new-key-" + "y" * 50
    settings.SECRET_KEY_FALLBACKS = ["old-key-" + "x" * 50]
    assert _verify(agent_a, enrolled.code(clock)) == "totp"  # rekeyed on use
    assert _verify(agent_a, enrolled.recovery_codes[0]) == "recovery"
    settings.SECRET_KEY_FALLBACKS = []
    device = TotpDevice.objects.get(user=agent_a)
    assert keys.decrypt(device.secret_encrypted) == (enrolled.secret, False)


def test_rekey_command_moves_secrets_to_the_current_key(agent_a, clock, settings):
    settings.SECRET_KEY = "old-key-" + "x" * 50
    enrolled = enrol(agent_a, clock)
    settings.SECRET_KEY = "new-key-" + "y" * 50
    settings.SECRET_KEY_FALLBACKS = ["old-key-" + "x" * 50]
    call_command("twofactor_rekey")
    settings.SECRET_KEY_FALLBACKS = []
    device = TotpDevice.objects.get(user=agent_a)
    assert keys.decrypt(device.secret_encrypted)[0] == enrolled.secret


def test_unreadable_secret_does_not_sign_in(agent_a, clock, settings):
    enrolled = enrol(agent_a, clock)
    settings.SECRET_KEY = "another-key-" + "z" * 50
    with pytest.raises(ValidationFailed):
        _verify(agent_a, enrolled.code(clock))


def test_pyotp_agrees_with_our_parameters(agent_a, clock):
    enrolled = enrol(agent_a, clock)
    totp = pyotp.parse_uri(twofactor._enrolment(agent_a, enrolled.secret).uri)
    assert totp.at(clock.at) == enrolled.code(clock)


def test_demo_turns_the_requirement_off_but_keeps_an_admins_choice(admin_user, monkeypatch):
    from kefu.demo.seed import _demo_security_policy

    monkeypatch.setattr(twofactor, "DEFAULT_REQUIRED_ROLES", (Role.ADMIN.value,))
    _demo_security_policy()
    assert SecurityPolicy.objects.get().required_2fa_roles == []
    assert not twofactor.two_factor_required(admin_user)
    twofactor.security_policy_set(required_2fa_roles=[Role.ADMIN], actor=actor_for_user(admin_user))
    _demo_security_policy()
    assert SecurityPolicy.objects.get().required_2fa_roles == ["admin"]
