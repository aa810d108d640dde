"""Writing a deterministic synthetic data set: one CSV (and Parquet) per record type and source
department, in the column form departments send (双公示 ``CF_*`` / ``XK_*`` codes for penalties
and licences, the catalog's Chinese labels for every other type), plus ``departments.csv`` and
``manifest.json`` saying which department code each file is ingested under.

Rows are streamed: CSV rows go straight to disk, Parquet rows in batches, so memory stays flat
whatever ``records`` is; only the compact subject lists are held.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.catalog.loader import Catalog, default_catalog
from xinyong.catalog.schemas import RecordType
from xinyong.synth import rows, subjects
from xinyong.synth.rows import CAPPED_BY_RATED, PLANS
from xinyong.synth.subjects import DEPARTMENTS, RATING_YEARS, Context, Department, Row

DEFAULT_SEED: Final = 20261122
BATCH_ROWS: Final = 50_000
FORMATS: Final = ("csv", "parquet")
MANIFEST: Final = "manifest.json"
DEPARTMENTS_FILE: Final = "departments.csv"
REGISTRATION: Final = "registration"

# (stage, rows done, rows total)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SynthFile:
    record_type: str
    department: str  # the source code to ingest it with, e.g. 330100-SCJG
    rows: int
    files: dict[str, str]  # format → file name relative to the output directory


@dataclass(frozen=True)
class SynthManifest:
    seed: int
    enterprises: int
    persons: int
    records: int
    counts: dict[str, int]  # rows per record type (registration included)
    files: list[SynthFile]
    departments: str = DEPARTMENTS_FILE
    catalog_hash: str = ""
    formats: list[str] = field(default_factory=lambda: list(FORMATS))

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SynthManifest:
        data = json.loads(text)
        data["files"] = [SynthFile(**f) for f in data["files"]]
        return cls(**data)


def read_manifest(out_dir: Path) -> SynthManifest:
    return SynthManifest.from_json((out_dir / MANIFEST).read_text(encoding="utf-8"))


def column_name(rt: RecordType, f_name: str) -> str:
    """The header a department uses: the ``CF_``/``XK_`` code where the type has a prefix (else
    the field's first alias, e.g. ``BZ``), the Chinese label for other types."""
    f = next(x for x in rt.fields if x.name == f_name)
    if rt.alias_prefix:
        coded = [a for a in f.aliases if a.startswith(f"{rt.alias_prefix}_")]
        return coded[0] if coded else (f.aliases[0] if f.aliases else f.label)
    return f.label


class _Table:
    """One output file pair: CSV rows written at once, Parquet rows buffered for a batch."""

    def __init__(self, stack: ExitStack, out_dir: Path, stem: str, header: list[str], formats):
        self.names = {fmt: f"{stem}.{fmt}" for fmt in formats}
        self.header = header
        self.rows = 0
        self.buffer: list[list[str]] = []
        self._csv: Any = None  # csv.writer
        self._schema = pa.schema([(h, pa.string()) for h in header])
        self._parquet: pq.ParquetWriter | None = None
        if "csv" in formats:
            fh: IO[str] = stack.enter_context(
                (out_dir / self.names["csv"]).open("w", encoding="utf-8", newline="")
            )
            self._csv = csv.writer(fh, lineterminator="\n")
            self._csv.writerow(header)
        if "parquet" in formats:
            self._parquet = stack.enter_context(
                pq.ParquetWriter(out_dir / self.names["parquet"], self._schema)
            )

    def add(self, values: list[str]) -> None:
        self.rows += 1
        if self._csv is not None:
            self._csv.writerow(values)
        if self._parquet is not None:
            self.buffer.append(values)

    def flush(self) -> None:
        if self._parquet is not None and self.buffer:
            columns = [
                pa.array([r[i] or None for r in self.buffer], type=pa.string())
                for i in range(len(self.header))
            ]
            self._parquet.write_table(pa.Table.from_arrays(columns, schema=self._schema))
        self.buffer = []


class _Sinks:
    """The open tables of one record type, flushed together every ``batch_rows`` rows."""

    def __init__(self, out_dir: Path, rt: RecordType, formats: Sequence[str], batch_rows: int):
        self.out_dir, self.rt, self.formats, self.batch_rows = out_dir, rt, formats, batch_rows
        self.fields = [f.name for f in rt.fields]
        self.header = [column_name(rt, n) for n in self.fields]
        self.tables: dict[str, _Table] = {}
        self.pending = 0
        self.stack = ExitStack()

    def __enter__(self) -> _Sinks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
        self.stack.close()

    def add(self, department: Department, row: Row) -> None:
        table = self.tables.get(department.code)
        if table is None:
            stem = f"{self.rt.code}__{department.code}"
            table = _Table(self.stack, self.out_dir, stem, self.header, self.formats)
            self.tables[department.code] = table
        table.add([row.get(name, "") for name in self.fields])
        self.pending += 1
        if self.pending >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()
        self.pending = 0

    def files(self) -> list[SynthFile]:
        return [
            SynthFile(self.rt.code, code, t.rows, t.names)
            for code, t in sorted(self.tables.items())
        ]


def plan_counts(records: int, rated_subjects: int) -> dict[str, int]:
    """Rows per record type: shares of ``records`` by largest remainder; the enterprise-year
    types are capped at one row per rated enterprise and year, the excess going to licences."""
    total = sum(p.weight for p in PLANS.values())
    exact = {code: records * p.weight / total for code, p in PLANS.items()}
    counts = {code: int(v) for code, v in exact.items()}
    by_remainder = sorted(PLANS, key=lambda c: (-(exact[c] - counts[c]), c))
    for code in by_remainder[: records - sum(counts.values())]:
        counts[code] += 1
    cap = rated_subjects * len(RATING_YEARS)
    for code in sorted(CAPPED_BY_RATED):
        if counts[code] > cap:
            counts["administrative_licence"] += counts[code] - cap
            counts[code] = cap
    return counts


def check_sources(catalog: Catalog) -> None:
    """Every planned department is allowed to send its type (catalog ``sources:``)."""
    for code, plan in PLANS.items():
        rt = catalog.types[code]
        for key, _ in plan.sources:
            if rt.sources and DEPARTMENTS[key].sector not in rt.sources:
                raise ValueError(f"{DEPARTMENTS[key].code} may not send {code}")


def write_departments(path: Path, departments: Iterable[Department]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "uscc", "sector"])
        for d in departments:
            writer.writerow([d.code, d.name, d.uscc, d.sector])


class _Ticker:
    """Counts rows written and reports every 10 000 to ``progress``."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def tick(self, what: str) -> None:
        self.done += 1
        if self.progress is not None and self.done % 10_000 == 0:
            self.progress(what, self.done, self.total)


def _check_arguments(
    formats: Sequence[str], enterprises: int, records: int, persons: int
) -> list[str]:
    """The formats to write, in their canonical order; a bad argument raises ValueError."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f"unsupported formats: {', '.join(unknown) or '(none)'}")
    if enterprises < 1 or records < 0 or persons < 0:
        raise ValueError("enterprises must be ≥ 1; records and persons ≥ 0")
    return [f for f in FORMATS if f in formats]


def _write_registration(
    out_dir: Path,
    catalog: Catalog,
    formats: Sequence[str],
    batch_rows: int,
    *,
    rng: random.Random,
    enterprises: int,
    ticker: _Ticker,
) -> tuple[list[subjects.Org], list[SynthFile]]:
    """One registration row per organisation, in its registering department's file."""
    orgs: list[subjects.Org] = []
    used_codes: set[str] = set()
    with _Sinks(out_dir, catalog.types[REGISTRATION], formats, batch_rows) as sinks:
        for _ in range(enterprises):
            org, row, source = subjects.new_org(rng, used_codes)
            orgs.append(org)
            sinks.add(DEPARTMENTS[source], row)
            ticker.tick(REGISTRATION)
    return orgs, sinks.files()


def _write_type(
    out_dir: Path,
    catalog: Catalog,
    formats: Sequence[str],
    batch_rows: int,
    *,
    code: str,
    count: int,
    ctx: Context,
    ticker: _Ticker,
) -> list[SynthFile]:
    """``count`` rows of one record type, spread over its departments by the plan's weights."""
    plan = PLANS[code]
    keys = [k for k, _ in plan.sources]
    weights = [w for _, w in plan.sources]
    sequence: dict[str, int] = {}
    with _Sinks(out_dir, catalog.types[code], formats, batch_rows) as sinks:
        for n in range(count):
            key = keys[0] if len(keys) == 1 else ctx.rng.choices(keys, weights)[0]
            dept = DEPARTMENTS[key]
            # The enterprise-year types number rows per type (one department each).
            index = n if code in CAPPED_BY_RATED else sequence.get(key, 0)
            sequence[key] = index + 1
            sinks.add(dept, plan.builder(ctx, dept, index))
            ticker.tick(code)
    return sinks.files()


def generate(
    out_dir: Path,
    *,
    enterprises: int,
    records: int,
    persons: int,
    seed: int = DEFAULT_SEED,
    formats: Sequence[str] = FORMATS,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
    catalog: Catalog | None = None,
) -> SynthManifest:
    """Write the data set into ``out_dir`` and return its manifest.

    Invariants: the same arguments give byte-identical files; every USCC passes the strict
    (GB 11714) check; every ID number has a real birth date and MOD 11-2 check; each file's
    department is allowed to send its type. Registration (one row per subject) is extra to
    ``records``.
    """
    formats = _check_arguments(formats, enterprises, records, persons)
    catalog = catalog or default_catalog()
    check_sources(catalog)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    used_ids: set[str] = set()
    people = [subjects.new_person(rng, used_ids) for _ in range(persons)]
    del used_ids
    ticker = _Ticker(progress, enterprises + records)
    orgs, files = _write_registration(
        out_dir, catalog, formats, batch_rows, rng=rng, enterprises=enterprises, ticker=ticker
    )
    counts: dict[str, int] = {REGISTRATION: enterprises}
    ctx = Context(rng=rng, orgs=orgs, persons=people)
    planned = plan_counts(records, len(ctx.rated))
    for code in PLANS:
        files += _write_type(
            out_dir,
            catalog,
            formats,
            batch_rows,
            code=code,
            count=planned[code],
            ctx=ctx,
            ticker=ticker,
        )
        counts[code] = planned[code]
    manifest = SynthManifest(
        seed=seed,
        enterprises=enterprises,
        persons=persons,
        records=records,
        counts=counts,
        files=files,
        catalog_hash=catalog.definition_hash,
        formats=list(formats),
    )
    _write_manifest(out_dir, manifest)
    if progress is not None:
        progress("done", ticker.total, ticker.total)
    return manifest


def _write_manifest(out_dir: Path, manifest: SynthManifest) -> None:
    """The departments that sent files, and the manifest naming every file."""
    used = sorted({f.department for f in manifest.files})
    write_departments(out_dir / DEPARTMENTS_FILE, (d for d in _by_code(used)))
    (out_dir / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")


def _by_code(codes: Iterable[str]) -> list[Department]:
    index = {d.code: d for d in DEPARTMENTS.values()}
    return [index[c] for c in codes]


def penalty_rows(
    *, rows_wanted: int, enterprises: int, persons: int, seed: int = DEFAULT_SEED
) -> tuple[RecordType, list[str], Iterable[list[str]]]:
    """Penalty rows of one department (330100-SCJG) for benchmarks: (type, header, rows)."""
    catalog = default_catalog()
    rt = catalog.types["administrative_penalty"]
    rng = random.Random(seed)
    used_ids: set[str] = set()
    people = [subjects.new_person(rng, used_ids) for _ in range(persons)]
    del used_ids
    used_codes: set[str] = set()
    orgs = [subjects.new_org(rng, used_codes)[0] for _ in range(enterprises)]
    ctx = Context(rng=rng, orgs=orgs, persons=people)
    dept = DEPARTMENTS["SCJG"]
    fields = [f.name for f in rt.fields]

    def generate_rows() -> Iterable[list[str]]:
        for n in range(rows_wanted):
            row = rows.penalty(ctx, dept, n)
            yield [row.get(name, "") for name in fields]

    return rt, [column_name(rt, n) for n in fields], generate_rows()
