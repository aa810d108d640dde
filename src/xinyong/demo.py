"""``xinyong demo``: a seeded platform on the embedded database, ready to browse.

Creates the SQLite database, migrates it, generates and ingests 5 000 organisations (one
registration record each, mostly enterprises) with 50 000 credit records about them and 500
persons, evaluates every published model over them, creates demo accounts and prints their
passwords.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from xinyong.access import service as access
from xinyong.access.schemas import GrantCreate
from xinyong.access.scopes import ScopeDefinitions
from xinyong.accounts import service as accounts
from xinyong.accounts.models import Role, User
from xinyong.accounts.passwords import generate_password
from xinyong.catalog.loader import Catalog
from xinyong.config import Settings
from xinyong.db import unit_of_work
from xinyong.kit import clock
from xinyong.migrations import upgrade
from xinyong.records.models import Record
from xinyong.rules.loader import LoadedScorecard
from xinyong.scoring import service as scoring
from xinyong.scoring.in_force import ScorecardsInForce
from xinyong.scoring.models import ScoreRun
from xinyong.subjects.models import Subject, SubjectKind
from xinyong.synth.generate import REGISTRATION, generate
from xinyong.synth.load import load_into
from xinyong.wiring.holder import Wiring

ACCOUNTS_FILE = "demo-accounts.json"
# What ``xinyong demo`` makes by default; the README quotes these numbers.
DEMO_ORGANISATIONS = 5_000
DEMO_RECORDS = 50_000
DEMO_PERSONS = 500
DEMO_BANK = ("BANK-330100-ICBC", "中国工商银行杭州分行（演示）")
DEMO_GRANT_SCOPES = ["basic", "penalties", "lists", "scores"]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    note: str


def _already_loaded(engine: Engine) -> bool:
    with unit_of_work(engine) as session:
        return (session.scalar(select(func.count()).select_from(Record)) or 0) > 0


def _demo_enterprise(engine: Engine) -> int | None:
    """An enterprise with adverse records, so its self view has something to show."""
    with unit_of_work(engine) as session:
        return session.scalar(
            select(Record.subject_id)
            .join(Subject, Subject.id == Record.subject_id)
            .where(Record.polarity == "失信", Subject.kind == SubjectKind.ENTERPRISE)
            .group_by(Record.subject_id)
            .order_by(func.count().desc(), Record.subject_id)
            .limit(1)
        )


def _demo_grant(engine: Engine, settings: Settings, scopes: ScopeDefinitions) -> None:
    """The demo enterprise authorizes the demo bank, so the bank's view and the enterprise's
    query log have something to show; made through the same service an enterprise calls."""
    with unit_of_work(engine) as session:
        user = session.scalar(select(User).where(User.username == "qiye"))
        if user is None or user.subject_id is None:
            return
        subject = session.get_one(Subject, user.subject_id)
        access.create_grant(
            session,
            scopes,
            principal=accounts.user_principal(user),
            data=GrantCreate(
                subject_code=subject.code,
                grantee_code=DEMO_BANK[0],
                scopes=DEMO_GRANT_SCOPES,
                purpose="流动资金贷款贷前调查（演示）",
                days=90,
            ),
            secret=settings.hmac_key,
            now=clock.now(),
        )


def _create_accounts(engine: Engine, data_dir: Path) -> list[DemoAccount]:
    path = data_dir / ACCOUNTS_FILE
    if path.exists():
        return [DemoAccount(**a) for a in json.loads(path.read_text(encoding="utf-8"))]
    subject_id = _demo_enterprise(engine)
    with unit_of_work(engine) as session:
        if accounts.get_department(session, DEMO_BANK[0]) is None:
            accounts.create_department(
                session, code=DEMO_BANK[0], name=DEMO_BANK[1], sector="other", now=clock.now()
            )
    wanted = [
        ("admin", Role.ADMIN, None, None, "信用办管理员"),
        ("scjg", Role.DEPARTMENT, "330100-SCJG", None, "杭州市市场监督管理局 数据报送"),
        ("reviewer", Role.REVIEWER, "330100-SCJG", None, "市场监管 审核员"),
        ("qiye", Role.ENTERPRISE, None, subject_id, "企业账号（绑定一家有失信记录的企业）"),
        ("bank", Role.BANK, DEMO_BANK[0], None, f"银行账号（{DEMO_BANK[1]}，已获演示企业授权）"),
    ]
    made = []
    with unit_of_work(engine) as session:
        for username, role, dept, sid, note in wanted:
            if session.scalar(select(User.id).where(User.username == username)):
                continue
            if role is Role.ENTERPRISE and sid is None:
                continue
            password = generate_password()
            accounts.create_user(
                session,
                username=username,
                password=password,
                role=role,
                display_name=note,
                department_code=dept,
                subject_id=sid,
                now=clock.now(),
            )
            made.append(DemoAccount(username, password, role.value, note))
    path.write_text(
        json.dumps([a.__dict__ for a in made], ensure_ascii=False, indent=2), encoding="utf-8"
    )
    path.chmod(0o600)
    return made


def _evaluated(engine: Engine, model: LoadedScorecard, as_of: date) -> bool:
    """Whether a completed batch run of this very definition is stored for ``as_of``."""
    with unit_of_work(engine) as session:
        run = session.scalar(
            select(ScoreRun.id)
            .where(
                ScoreRun.model_id == model.scorecard.id,
                ScoreRun.definition_hash == model.definition_hash,
                ScoreRun.as_of == as_of,
                ScoreRun.status == "completed",
            )
            .limit(1)
        )
    return run is not None


def evaluate_published(
    engine: Engine, catalog: Catalog, models: ScorecardsInForce, console: Console
) -> list[scoring.RunReport]:
    """Run the batch evaluation of ``xinyong evaluate`` for every published model as of today,
    so that checks and lists read stored grades that agree with ``/scores``; a model already
    evaluated today with the same definition is skipped. Returns the runs made."""
    as_of = clock.today()
    todo = [m for m in models.values() if not _evaluated(engine, m, as_of)]
    if not todo:
        console.print(f"今天（{as_of}）已批量评价过全部已发布的模型，跳过。")
        return []
    started = time.perf_counter()
    reports = []
    for model in todo:
        began = time.perf_counter()
        report = scoring.run_batch(engine, model, catalog, as_of=as_of, actor="demo")
        console.print(
            f"批量评价 {model.scorecard.name}：{report.subjects:,} 个主体，"
            f"{time.perf_counter() - began:.1f} 秒"
        )
        reports.append(report)
    console.print(
        f"批量评价完成：{len(todo)} 个模型，用时 {time.perf_counter() - started:.1f} 秒。"
    )
    return reports


def _seed(
    settings: Settings,
    engine: Engine,
    *,
    enterprises: int,
    records: int,
    persons: int,
    console: Console,
) -> None:
    """Generate the synthetic data set and ingest it, with progress bars and a summary."""
    out = settings.data_dir / "demo-data"
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(title: str) -> Callable[[str, int, int], None]:
            def update(stage: str, done: int, total: int) -> None:
                if title not in tasks:
                    tasks[title] = bar.add_task(title, total=total)
                bar.update(tasks[title], completed=done, total=total)

            return update

        generate(
            out,
            enterprises=enterprises,
            records=records,
            persons=persons,
            formats=("csv",),
            progress=report("生成合成数据"),
        )
        reports = load_into(engine, out, secret=settings.hmac_key, progress=report("归集入库"))
    rejected = sum(r["rejected"] for r in reports)
    accepted = sum(r["accepted"] for r in reports)
    registered = sum(r["accepted"] for r in reports if r["record_type"] == REGISTRATION)
    console.print(
        f"已归集 {accepted:,} 条：{registered:,} 条单位登记信息和 "
        f"{accepted - registered:,} 条信用信息；拒收 {rejected:,} 条。"
    )


def prepare(
    settings: Settings,
    engine: Engine,
    *,
    enterprises: int,
    records: int,
    persons: int,
    console: Console,
) -> list[DemoAccount]:
    """Migrate, seed (once), evaluate every published model and create the demo accounts;
    returns the accounts with passwords."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"数据库：[bold]{settings.display_database_url}[/bold]")
    upgrade(engine)
    if _already_loaded(engine):
        console.print("演示数据已存在，跳过生成与归集（删除数据库文件可重新生成）。")
    else:
        _seed(
            settings,
            engine,
            enterprises=enterprises,
            records=records,
            persons=persons,
            console=console,
        )
    in_force = Wiring.load(settings, engine).held
    evaluate_published(
        engine, in_force.definitions.catalog, in_force.get(ScorecardsInForce), console
    )
    first_time = not (settings.data_dir / ACCOUNTS_FILE).exists()
    made = _create_accounts(engine, settings.data_dir)
    if first_time:
        _demo_grant(engine, settings, in_force.get(ScopeDefinitions))
    return made
