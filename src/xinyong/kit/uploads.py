"""Files uploaded inside JSON requests (proofs, evidence): base64 text decoded under a size cap."""

from __future__ import annotations

import base64
import binascii
from typing import Final, Literal

MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024


class UploadError(ValueError):
    """Why an upload was refused: not base64, or larger than allowed."""

    def __init__(self, kind: Literal["encoding", "too_large"]) -> None:
        super().__init__(kind)
        self.kind = kind


def decode_upload(content_base64: str, *, max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """The file's bytes; :class:`UploadError` when it is not base64 or exceeds ``max_bytes``."""
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("encoding") from None
    if len(content) > max_bytes:
        raise UploadError("too_large")
    return content
