"""Subject lookups offered to commands of lower layers (e.g. binding a key to a subject)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.kit.identifiers import IdentifierError, validate_uscc
from xinyong.subjects.models import Subject


def resolve_subject_id(session: Session, reference: str) -> int | None:
    """The id of the organisation with USCC ``reference``, or None."""
    try:
        uscc = validate_uscc(reference)
    except IdentifierError:
        return None
    return session.scalar(select(Subject.id).where(Subject.uscc == uscc))
