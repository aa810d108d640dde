"""What an objection may bring in and how long a third party's waits to be accepted.

The limits are the deployment's (``XINYONG_OBJECTION_ACCEPTANCE_WORKDAYS`` and
``XINYONG_OBJECTION_EVIDENCE_MAX_*``); the defaults keep one objection's evidence to what a
reviewer can read and the platform can store for every record of a city.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from xinyong.config import MIB, Settings

ACCEPTANCE_REFERENCE: Final = (
    "本平台默认值（可由信用办调整）：非信息主体对行政处罚信息提出的异议"
    "（市场监管总局令第45号第十二条），先由数据来源部门审查证据，认定有据、予以受理后才标注"
    "“异议处理中”，以免任何人凭一份文件即可令公示信息显示为有争议；审查期限取2个工作日，"
    "与异议转交数据来源部门的期限相同"
)


@dataclass(frozen=True)
class IntakeLimits:
    """Acceptance time for a third party's objection, and the evidence one objection may carry:
    bytes per file, number of files, bytes in all."""

    acceptance_workdays: int = 2
    acceptance_reference: str = ACCEPTANCE_REFERENCE
    evidence_max_file_bytes: int = 10 * MIB
    evidence_max_files: int = 10
    evidence_max_total_bytes: int = 20 * MIB

    @staticmethod
    def from_settings(settings: Settings) -> IntakeLimits:
        """The limits a deployment configured."""
        return IntakeLimits(
            acceptance_workdays=settings.objection_acceptance_workdays,
            evidence_max_file_bytes=settings.objection_evidence_max_file_bytes,
            evidence_max_files=settings.objection_evidence_max_files,
            evidence_max_total_bytes=settings.objection_evidence_max_total_bytes,
        )
