"""A logging filter that masks ID numbers in every record of the server's loggers.

A person's credit file is addressed by ID number (``/subjects/{id}/file``), so access-log lines
would otherwise carry it in clear.
"""

from __future__ import annotations

import logging

from xinyong.kit.identifiers import mask_text_ids

SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "xinyong", "fastapi")


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = mask_text_ids(record.getMessage())
            record.args = None
        elif isinstance(record.msg, str):
            record.msg = mask_text_ids(record.msg)
        return True


def install() -> None:
    """Attach the filter once to each server logger (and its handlers)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskIdNumbers) for f in logger.filters):
            logger.addFilter(MaskIdNumbers())
