"""One import of a file at a time, held by a lock that dies with the process holding it.

Two imports of the same file (same source, record type and SHA-256) at once used to attach to
one batch and quarantine each other's rows as duplicates. The runner holds a claim on the file
for as long as it runs: a session advisory lock on PostgreSQL, which the server drops when the
connection ends however the process ended, and an OS file lock beside the database file on
SQLite, which the kernel drops when the process exits. There is no lease to wait out: a rerun
after ``kill -9`` finds the claim free and resumes the batch from its checkpoint.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

# The server notices a killed client's closed connection a moment after the kill, so a rerun
# started right away asks again for this long before it reports the file as taken.
CLAIM_WAIT_SECONDS = 2.0
_RETRY_SECONDS = 0.05


def claim_key(department_id: int, record_type: str, file_sha256: str) -> int:
    """The claim's 64-bit key (PostgreSQL advisory locks take a signed bigint)."""
    digest = hashlib.blake2b(
        f"ingest:{department_id}:{record_type}:{file_sha256}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def _retrying(attempt: Callable[[], bool], wait: float) -> bool:
    deadline = time.monotonic() + wait
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(_RETRY_SECONDS)
    return True


@contextmanager
def claim_file(engine: Engine, key: int, *, wait: float = CLAIM_WAIT_SECONDS) -> Iterator[bool]:
    """Hold the claim ``key`` for the block; yields False when another process holds it."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, key, wait) as held:
            yield held
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True  # no other process can open this database
        return
    path = Path(f"{database}.locks") / f"ingest-{key & (2**64 - 1):016x}.lock"
    with _file_lock(path, wait) as held:
        yield held


@contextmanager
def _advisory_lock(engine: Engine, key: int, wait: float) -> Iterator[bool]:
    with engine.connect() as conn:
        # A session lock outlives transactions; autocommit keeps the connection from sitting
        # "idle in transaction" for the whole import.
        conn.execution_options(isolation_level="AUTOCOMMIT")
        held = _retrying(
            lambda: bool(conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})),
            wait,
        )
        try:
            yield held
        finally:
            if held:
                # A broken connection took the lock with it: nothing left to release.
                with suppress(DBAPIError):
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The lock files stay (a few bytes each): removing one while another process opens it
    # would let two processes lock two different files of the same name.
    with path.open("a+b") as fh:
        held = _retrying(lambda: _try_lock(fh), wait)
        try:
            yield held
        finally:
            if held:
                _unlock(fh)


if sys.platform == "win32":

    def _try_lock(fh: IO[bytes]) -> bool:
        fh.seek(0)
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fh: IO[bytes]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

else:

    def _try_lock(fh: IO[bytes]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fh: IO[bytes]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
