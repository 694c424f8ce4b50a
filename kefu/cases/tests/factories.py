"""A ready-made verified case for tests outside this app (the permission matrix)."""

from __future__ import annotations

from kefu.cases import documents
from kefu.cases.models import CaseDocument, CaseKind, DocumentKind, VerificationCase
from kefu.core import clock


def verification_case() -> VerificationCase:
    """One submitted case with both documents (the same one on every call)."""
    case = VerificationCase.objects.order_by("pk").first()
    if case is not None:
        return case
    now = clock.now()
    case = VerificationCase.objects.create(
        kind=CaseKind.UNLOCK,
        claimed_email="matrix@example.com",
        description="MATRIX-PRIVATE-SUBJECT locked out",
        created_at=now,
        updated_at=now,
    )
    for kind in DocumentKind.values:
        content = b"\xff\xd8\xff\xe0 matrix"
        CaseDocument.objects.create(
            case=case, kind=kind, content_type="image/jpeg", size=len(content), width=1,
            height=1, sha256="0" * 64, ciphertext=documents.seal(content), created_at=now,
        )  # fmt: skip
    return case
