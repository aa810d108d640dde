"""Per-caller rate limits: requests per minute, answered with 429 and ``Retry-After``.

Who is counted:

- an API key as ``key:<id>``, at the key's own ``rate_limit_per_minute`` or, when that is
  None, ``Settings.rate_limit_per_minute``;
- a logged-in user (bearer token) as ``user:<id>``, at ``Settings.rate_limit_per_minute``;
- anyone else as ``ip:<client address>``, at ``Settings.anonymous_rate_limit_per_minute``.
  The address is the connecting one, unless that is one of ``Settings.trusted_proxies``; then
  it is the right-most address of ``X-Forwarded-For`` that is not a trusted proxy
  (``client_address``). Nobody else's ``X-Forwarded-For`` is believed: by default no proxy is
  trusted, and ``xinyong serve`` runs uvicorn without its own proxy-header handling. Behind a
  reverse proxy, list it in ``XINYONG_TRUSTED_PROXIES`` or every anonymous caller shares its
  bucket.

Look-ups of a person by name and ID number from outside government are counted apart too, per
address (anonymous) or account, as ``person:<who>``, at ``Settings.person_lookups_per_hour`` —
an hour's budget, far smaller than the request limit: a public masked number
(``330106********9180``) hides only a birth date, so each guess must be expensive.

Failed authentications (a wrong, expired or revoked token or API key) are counted apart, per
client address as ``authfail:<address>``, at ``Settings.failed_auth_per_minute``: past it the
caller gets 429 ``auth.too_many_failures`` instead of 401, so credentials cannot be guessed at
the speed of the server.

A limit of 0 means unlimited (trusted internal systems); a negative limit is refused when the
key is created. ``Settings.rate_limits_enabled = False`` turns limiting off.

The algorithm is GCRA, the token bucket kept as one number per caller: the *theoretical arrival
time* (TAT) at which the caller's bucket would be full again. A limit of N per minute refills one
request every 60/N seconds and holds at most N, so a caller idle for a minute may send its whole
minute's allowance at once, and no caller sustains more than N per minute. Each hit is O(1) under
one lock (endpoints are sync and run in a threadpool).

Memory stays bounded: a caller whose TAT has passed has a full bucket, exactly as if it had never
been seen, so such entries are dropped for free as later hits sweep the least recently used end;
``max_callers`` caps the table for the case where many callers are all mid-minute (the oldest is
then forgotten, which at worst grants it a fresh allowance).

**Per worker process.** The table lives in memory: uvicorn with N workers (or N replicas) keeps
N independent tables, so a caller whose requests spread over the workers gets up to N times its
limit. Set the limits with that in mind, or put a shared limiter (Redis, the gateway) in front
when the exact figure matters.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Final

from xinyong.accounts.principal import Principal
from xinyong.config import Settings
from xinyong.errors import RateLimited, XinyongError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SECONDS_PER_MINUTE: Final = 60.0
# (now + 60) - now - 60 is not always 0.0 in floating point: a request exactly at the edge of
# the allowance must not be refused for a rounding error.
_EPSILON: Final = 1e-6
DEFAULT_MAX_CALLERS: Final = 100_000


SECONDS_PER_HOUR: Final = 3600.0


class TooManyPersonLookups(XinyongError):
    """429: the address or account spent its hourly budget of person look-ups."""

    def __init__(self, *, per_hour: int, retry_after: int) -> None:
        super().__init__(
            code="rate_limited.person_lookups",
            title="查询自然人信用信息过于频繁，请稍后再试",
            status=429,
            detail=f"每小时最多查询 {per_hour} 次自然人信用信息，请在 {retry_after} 秒后重试",
            headers={"Retry-After": str(retry_after)},
        )


class TooManyAuthFailures(XinyongError):
    """429: this address sent too many wrong tokens or keys; ``retry_after`` seconds."""

    def __init__(self, *, limit_per_minute: int, retry_after: int) -> None:
        super().__init__(
            code="auth.too_many_failures",
            title="认证失败次数过多，请稍后再试",
            status=429,
            detail=f"每分钟最多 {limit_per_minute} 次无效凭证，请在 {retry_after} 秒后重试",
            headers={"Retry-After": str(retry_after)},
        )


def _in_networks(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """Who the client is. The connecting ``peer`` unless it is a trusted proxy; then, walking
    ``X-Forwarded-For`` from the right (each proxy appends the address it was reached from),
    the first address that is not a trusted proxy. Anything left of it was written by the
    client and proves nothing. A malformed hop ends the walk at the last trusted address."""
    if peer is None or not _in_networks(peer, trusted):
        return peer
    current = peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return current
        if not _in_networks(hop, trusted):
            return hop
        current = hop
    return current


class RateLimiter:
    """In-process GCRA limiter keyed by caller identity; safe to share between threads."""

    def __init__(
        self,
        *,
        per_minute: int = 1200,
        anonymous_per_minute: int = 300,
        failed_auth_per_minute: int = 30,
        person_lookups_per_hour: int = 20,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = DEFAULT_MAX_CALLERS,
    ) -> None:
        self.per_minute = per_minute
        self.anonymous_per_minute = anonymous_per_minute
        self.failed_auth_per_minute = failed_auth_per_minute
        self.person_lookups_per_hour = person_lookups_per_hour
        self.enabled = enabled
        self._clock = clock
        self._max_callers = max_callers
        # identity -> TAT (clock seconds), least recently hit first.
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        """The limiter configured by ``settings`` (defaults, anonymous limit, on/off)."""
        return cls(
            per_minute=settings.rate_limit_per_minute,
            anonymous_per_minute=settings.anonymous_rate_limit_per_minute,
            failed_auth_per_minute=settings.failed_auth_per_minute,
            person_lookups_per_hour=settings.person_lookups_per_hour,
            enabled=settings.rate_limits_enabled,
        )

    def __len__(self) -> int:
        """How many callers are tracked (those whose bucket is not yet full again)."""
        return len(self._tat)

    def hit(self, identity: str, limit: int, *, period: float = SECONDS_PER_MINUTE) -> int:
        """Count one request of ``identity`` against ``limit`` per ``period`` seconds: 0 if
        allowed, else whole seconds to wait (≥ 1).

        A refused request is not counted, so a caller that keeps retrying is not pushed further
        back. A limit of 0 or less is unlimited.
        """
        if limit <= 0:
            return 0
        interval = period / limit
        with self._lock:
            now = self._clock()
            self._sweep(now)
            tat = max(self._tat.get(identity, now), now) + interval
            # The bucket holds a period's worth: TAT may run at most a period ahead of now.
            wait = tat - now - period
            if wait > _EPSILON:
                return max(1, math.ceil(wait))
            self._tat[identity] = tat
            self._tat.move_to_end(identity)
            if len(self._tat) > self._max_callers:
                self._tat.popitem(last=False)
            return 0

    def _sweep(self, now: float) -> None:
        # Amortised O(1): each entry is dropped at most once after being added.
        while self._tat:
            oldest, tat = next(iter(self._tat.items()))
            if tat > now:
                return
            del self._tat[oldest]

    def check(self, principal: Principal, *, client_host: str | None) -> None:
        """Count a request of ``principal`` (from ``client_host``); 429 ``rate_limited`` if over."""
        if not self.enabled:
            return
        identity, limit = self.identity_and_limit(principal, client_host=client_host)
        retry_after = self.hit(identity, limit)
        if retry_after:
            raise RateLimited(limit_per_minute=limit, retry_after=retry_after)

    def count_failed_auth(self, *, client_host: str | None) -> None:
        """Count a failed authentication from ``client_host``; 429 ``auth.too_many_failures``
        once the address has spent its allowance of failures."""
        if not self.enabled:
            return
        limit = self.failed_auth_per_minute
        retry_after = self.hit(f"authfail:{client_host or 'unknown'}", limit)
        if retry_after:
            raise TooManyAuthFailures(limit_per_minute=limit, retry_after=retry_after)

    def count_person_lookup(self, principal: Principal, *, client_host: str | None) -> None:
        """Count a look-up of a person by ``principal`` (from ``client_host``); 429
        ``rate_limited.person_lookups`` once the hour's budget is spent. Government callers
        are not counted (their reads are audited and logged in the subject's query log)."""
        if not self.enabled or principal.is_internal:
            return
        who = principal.actor if principal.id is not None else f"ip:{client_host or 'unknown'}"
        per_hour = self.person_lookups_per_hour
        retry_after = self.hit(f"person:{who}", per_hour, period=SECONDS_PER_HOUR)
        if retry_after:
            raise TooManyPersonLookups(per_hour=per_hour, retry_after=retry_after)

    def identity_and_limit(
        self, principal: Principal, *, client_host: str | None
    ) -> tuple[str, int]:
        """The bucket a request is counted in and its per-minute limit (0 = unlimited)."""
        if principal.is_anonymous or principal.id is None:
            return f"ip:{client_host or 'unknown'}", self.anonymous_per_minute
        if principal.kind == "key" and principal.rate_limit_per_minute is not None:
            return f"key:{principal.id}", principal.rate_limit_per_minute
        return f"{principal.kind}:{principal.id}", self.per_minute
