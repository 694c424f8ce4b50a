"""The verification recipe in docs/subsystems/webhooks.md works on real deliveries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kefu.integrations import services

DOC = Path(__file__).resolve().parents[3] / "docs" / "subsystems" / "webhooks.md"


def _recipe() -> Any:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    [code] = [b for b in blocks if "def verify_kefu_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_kefu_signature"]


def test_the_documented_snippet_verifies_a_real_delivery(
    receiver, make_endpoint, admin_user, actor_of, django_capture_on_commit_callbacks
):
    verify = _recipe()
    endpoint, secret = make_endpoint(receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_ping(endpoint=endpoint, actor=actor_of(admin_user))

    [request] = receiver.requests
    header = request.headers["Kefu-Signature"]
    assert verify(secret, header, request.body) is True
    assert verify(secret, header, request.body.replace(b"ping", b"pong")) is False
    assert verify("whsec_wrong", header, request.body) is False
    assert verify(secret, header, request.body, tolerance=-1) is False  # too old


def test_the_snippet_accepts_both_secrets_during_a_rotation(
    receiver, make_endpoint, admin_user, actor_of, django_capture_on_commit_callbacks
):
    verify = _recipe()
    endpoint, old = make_endpoint(receiver.url)
    new = services.endpoint_rotate_secret(endpoint=endpoint, actor=actor_of(admin_user))

    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_ping(endpoint=endpoint, actor=actor_of(admin_user))

    [request] = receiver.requests
    header = request.headers["Kefu-Signature"]
    assert verify(new, header, request.body) is True
    assert verify(old, header, request.body) is True
