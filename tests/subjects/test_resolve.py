"""Finding or creating subjects when two imports name the same new enterprise at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xinyong.subjects.models import Subject
from xinyong.subjects.service import SubjectRef, resolve_many

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
NEW = SubjectRef(
    name="杭州同时归集有限公司", category="法人及非法人组织", uscc="91330106MA20003340"
)


def test_a_subject_created_meanwhile_by_another_import_is_taken_not_a_crash(databases):
    engine = databases.migrated_engine("postgresql")
    first = Session(engine)
    created = resolve_many(first, [NEW], now=NOW)  # inserted, not yet committed
    outcome: dict[str, object] = {}

    def second_import() -> None:
        with Session(engine) as second:
            try:
                outcome["ids"] = resolve_many(second, [NEW], now=NOW)
                second.commit()
            except Exception as exc:  # what used to end the other import with a traceback
                outcome["error"] = exc

    worker = threading.Thread(target=second_import)
    worker.start()
    worker.join(timeout=1.0)  # it waits on the unique index for the first to commit
    first.commit()
    first.close()
    worker.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["ids"] == created
    with Session(engine) as check:
        count = check.scalar(
            select(func.count()).select_from(Subject).where(Subject.uscc == NEW.uscc)
        )
    assert count == 1
