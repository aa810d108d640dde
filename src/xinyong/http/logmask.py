"""A logging filter that masks ID numbers in every record of the server's loggers.

A person's credit file is addressed by ID number (``/subjects/{id}/file``), so access-log lines
would otherwise carry it in clear.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from xinyong.kit.identifiers import mask_text_ids

SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "xinyong", "fastapi")


def _masked(value: object) -> object:
    return mask_text_ids(value) if isinstance(value, str) else value


class MaskIdNumbers(logging.Filter):
    """Masks the message and each of its arguments in place. The arguments keep their shape:
    formatters read them (uvicorn's access formatter unpacks the five of an access line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_text_ids(record.msg)
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
