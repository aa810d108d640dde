"""Whether each record may be repaired now, for routes that show the subject its own file
(the repair domain answers; the wiring injects it: ``provide(RepairStatusFn)``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from xinyong.http.deps import provide
from xinyong.records.credit_file import RepairStatusFn

RepairStatusDep = Annotated[RepairStatusFn, Depends(provide(RepairStatusFn))]
