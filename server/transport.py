"""Transport security for every response: X-Forwarded-* only from configured proxies, `Secure`
cookies and HSTS over HTTPS, no MIME sniffing (docs/security.md, "Transport").

Whether a request came over HTTPS decides whether HTTP Basic is offered, whether cookies are `Secure`
and whether HSTS is sent; so the scheme a client claims (X-Forwarded-Proto) counts only when the
connection comes from one of TRUSTED_PROXIES with TRUST_PROXY on — here and in gunicorn.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


def trusted_proxies(settings: dict[str, Any]) -> list[str]:
    """The proxy addresses whose X-Forwarded-* headers count (none unless TRUST_PROXY)."""
    if not settings.get("TRUST_PROXY"):
        return []
    return [a.strip() for a in str(settings.get("TRUSTED_PROXIES") or "").split(",") if a.strip()]


def gunicorn_options(settings: dict[str, Any]) -> dict[str, Any]:
    """gunicorn trusts X-Forwarded-Proto (wsgi.url_scheme) from 127.0.0.1 by default: only from ours."""
    proxies = trusted_proxies(settings)
    return {"forwarded_allow_ips": ",".join(proxies) if proxies else "",
            **({} if proxies else {"secure_scheme_headers": {}})}


class TrustedProxyFix:
    """werkzeug's ProxyFix (one proxy) applied only to connections from the trusted addresses; from
    anywhere else the X-Forwarded-* headers are ignored."""

    def __init__(self, app: Callable, trusted: Iterable[str]) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
        self.trusted = frozenset(trusted)

    def __call__(self, environ: dict, start_response: Callable):  # noqa: ANN204
        if environ.get("REMOTE_ADDR") in self.trusted:
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, `Secure` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_app(app: Flask) -> None:
    proxies = trusted_proxies(app.config)
    if proxies:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, proxies)  # type: ignore[method-assign]
    app.session_interface = _SessionInterface()
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"

    @app.after_request
    def _transport_headers(response):  # noqa: ANN001, ANN202
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        seconds = app.config.get("HSTS_SECONDS") or 0
        if request.is_secure and seconds > 0:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(seconds)}; includeSubDomains")
        return response
