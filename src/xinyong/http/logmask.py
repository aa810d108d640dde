"""A logging filter that masks ID numbers in every record of the server's loggers.

A person's credit file is addressed by ID number (``/subjects/{id}/file``), so access-log lines
would otherwise carry it in clear.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import unquote, unquote_plus

from xinyong.kit.identifiers import mask_person_name, mask_text_ids

SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "xinyong", "fastapi")


def _masked(value: object) -> object:
    return mask_log_text(value) if isinstance(value, str) else value


def _masked_name(match: re.Match[str]) -> str:
    return match.group(1) + mask_person_name(unquote_plus(match.group(2)))


def mask_log_text(text: str) -> str:
    """``text`` with ID numbers masked, also where a URL carries them percent-encoded
    (``330106%2019900101%201234``): such a line is written decoded, with the number masked.
    The person's name a look-up sends with the number (``?name=…``) is masked too (张*)."""
    masked = mask_text_ids(text)
    if "%" in text:
        decoded = unquote(text)
        masked_decoded = mask_text_ids(decoded)
        if masked_decoded != decoded:
            masked = masked_decoded
    return _NAME_PARAM.sub(_masked_name, masked)


# A person's name as a query parameter of a look-up (the file, lists and scores routes).
_NAME_PARAM = re.compile(r"([?&]name=)([^&\s\"]+)")


class MaskIdNumbers(logging.Filter):
    """Masks the message and each of its arguments in place. The arguments keep their shape:
    formatters read them (uvicorn's access formatter unpacks the five of an access line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_log_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _masked(v) for k, v in record.args.items()}
        return True


def install() -> None:
    """Attach the filter once to each server logger (and its handlers)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskIdNumbers) for f in logger.filters):
            logger.addFilter(MaskIdNumbers())
