"""Files uploaded inside JSON requests (proofs, evidence): base64 text decoded under a size cap,
and the one sanitiser of every file name the platform stores."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from typing import Final, Literal

MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024
# Characters, extension included: the upload schemas' cap, inside every filename column (300).
MAX_FILENAME_CHARS: Final = 200
UNNAMED: Final = "未命名文件"

# Control (Cc: NUL, CR, LF, ESC, DEL…), format (Cf: the right-to-left override that shows
# "exe.pdf" as "pdf.exe", zero-width characters), surrogate and private-use characters.
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_SEPARATORS = re.compile(r"[/\\]")
# What breaks a quoted Content-Disposition header or a Windows path.
_RESERVED = re.compile(r'[<>:"|?*]')
_EXTENSION = re.compile(r"\.[0-9A-Za-z]{1,16}$")


class UploadError(ValueError):
    """Why an upload was refused: not base64, or larger than allowed."""

    def __init__(self, kind: Literal["encoding", "too_large"]) -> None:
        super().__init__(kind)
        self.kind = kind


def decode_upload(content_base64: str, *, max_bytes: int = MAX_UPLOAD_BYTES) -> bytes:
    """The file's bytes; :class:`UploadError` when it is not base64 or exceeds ``max_bytes``.
    Too long a text is refused before it is decoded (4 characters carry 3 bytes)."""
    if (len(content_base64) - content_base64.count("=")) * 3 // 4 > max_bytes:
        raise UploadError("too_large")
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("encoding") from None
    if len(content) > max_bytes:
        raise UploadError("too_large")
    return content


def safe_filename(name: str, *, max_chars: int = MAX_FILENAME_CHARS) -> str:
    """The name an uploaded or imported file is stored and shown under: its last path
    component only (no ``../``, no ``C:\\``), no control or invisible characters (NUL, CR/LF,
    RTL override), ``<>:"|?*`` as ``_``, no leading or trailing dots and spaces, at most
    ``max_chars`` characters with the extension kept. Chinese characters are kept as they are;
    a name with nothing left becomes ``未命名文件``."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE_CATEGORIES)
    base = _SEPARATORS.split(text)[-1]
    base = _RESERVED.sub("_", base).strip(" .")
    if not base:
        return UNNAMED
    if len(base) <= max_chars:
        return base
    found = _EXTENSION.search(base)
    extension = found.group() if found and found.start() > 0 else ""
    stem = base[: max_chars - len(extension)].rstrip(" .")
    return (stem or UNNAMED) + extension
