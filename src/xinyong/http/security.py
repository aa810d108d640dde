"""Security headers on every response: a content security policy, no framing, no sniffing, no
referrer, and no caching of anything that is not a public static asset.

* ``Content-Security-Policy``: everything from this origin only, no inline scripts or styles
  (the portal's pages use none: one stylesheet under /static, no script), no plugins, forms
  post back to this origin, and ``frame-ancestors 'none'``. The API docs page is FastAPI's
  Swagger UI, which loads its script and stylesheet from cdn.jsdelivr.net and starts with an
  inline script: on that page only those two sources and that script's hash are allowed.
* ``X-Frame-Options: DENY`` (older browsers), ``X-Content-Type-Options: nosniff``.
* ``Referrer-Policy: no-referrer``: addresses of credit files carry subject codes.
* ``Cache-Control: no-store`` on every response except public static assets requested
  without credentials, which may be cached for ``Settings.static_max_age_seconds``. Public
  pages are not cached either: a repaired record must disappear from them at once.

Responses FastAPI produces for unexpected errors (500) bypass middleware; they carry no page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.config import Settings

STATIC_PREFIX: Final = "/static/"
SWAGGER_CDN: Final = "https://cdn.jsdelivr.net"
SWAGGER_FAVICON: Final = "https://fastapi.tiangolo.com"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def policy(*, script: str = "'self'", style: str = "'self'", img: str = "'self' data:") -> str:
    """The CSP, with the sources of scripts, styles and images given."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script}",
            f"style-src {style}",
            f"img-src {img}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


PAGE_POLICY: Final = policy()


def script_hashes(html: str) -> list[str]:
    """CSP hash sources of the inline scripts of ``html``."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(html: str) -> str:
    """The CSP of a Swagger UI page: its CDN and its own inline scripts, nothing else."""
    scripts = " ".join(["'self'", SWAGGER_CDN, *script_hashes(html)])
    return policy(
        script=scripts,
        style=f"'self' {SWAGGER_CDN}",
        img=f"'self' data: {SWAGGER_FAVICON}",
    )


class SecurityHeaders:
    """Pure ASGI middleware (streaming responses pass through untouched)."""

    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, static_max_age: int) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.static_cache = f"public, max-age={static_max_age}"
        self._docs_policy = lru_cache(maxsize=8)(self._render_docs_policy)

    def _render_docs_policy(self, path: str, root_path: str) -> str:
        # The same HTML FastAPI serves on this path, so the hashes are of its very scripts.
        app = self.fastapi_app
        if path == app.swagger_ui_oauth2_redirect_url:
            return docs_policy(bytes(get_swagger_ui_oauth2_redirect_html().body).decode())
        redirect = app.swagger_ui_oauth2_redirect_url
        page = get_swagger_ui_html(
            openapi_url=root_path + (app.openapi_url or ""),
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root_path + redirect if redirect else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return docs_policy(bytes(page.body).decode())

    def _csp(self, scope: Scope) -> str:
        app = self.fastapi_app
        path = scope["path"]
        if path in (app.docs_url, app.swagger_ui_oauth2_redirect_url):
            return self._docs_policy(path, scope.get("root_path", "").rstrip("/"))
        return PAGE_POLICY

    def headers_for(self, scope: Scope) -> Mapping[str, str]:
        request_headers = {k.decode("latin-1").lower() for k, _ in scope.get("headers", [])}
        credentials = bool(request_headers & {"authorization", "x-api-key", "cookie"})
        public_asset = scope["path"].startswith(STATIC_PREFIX) and not credentials
        return {
            "Content-Security-Policy": self._csp(scope),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": self.static_cache if public_asset else "no-store",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    """Add the security headers to every response of ``app``."""
    app.add_middleware(
        SecurityHeaders, fastapi_app=app, static_max_age=settings.static_max_age_seconds
    )
