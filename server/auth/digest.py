"""HTTP Digest (RFC 7616 subset that OpenRosa requires: MD5, qop=auth) with signed nonces.

A nonce is `<unix time>.<random>.<path tag>.<hmac>`: signed (nothing to store when it is handed out),
bound to the path of the request that was challenged, valid for NONCE_TTL seconds. A nonce used on
another path, or after it expired, gets a fresh one with `stale=true`, so the client retries without
asking the user again. The nonce counts it has authenticated are kept server-side
(`server.auth.identity`, table `digest_nonces`): each request must send a higher `nc`, so a captured
header authenticates nothing else.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

NONCE_TTL = 900
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def path_tag(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _sign(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]


def make_nonce(secret: str, path: str = "/", now: float | None = None) -> str:
    """A fresh nonce for a request to `path` (the decoded path, without the script root)."""
    stamp = str(int(now if now is not None else time.time()))
    body = f"{stamp}.{secrets.token_hex(8)}.{path_tag(path)}"
    return f"{body}.{_sign(secret, body)}"


def nonce_state(secret: str, nonce: str, path: str = "/", now: float | None = None) -> str:
    """'valid'; 'stale' (genuine but expired, or issued for another path: the client gets a fresh
    one for this path); or 'invalid' (not ours)."""
    parts = nonce.split(".")
    if len(parts) != 4 or not parts[0].isdigit():
        return "invalid"
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_sign(secret, body), parts[3]):
        return "invalid"
    if not hmac.compare_digest(parts[2], path_tag(path)):
        return "stale"
    age = (now if now is not None else time.time()) - int(parts[0])
    return "valid" if -60 <= age <= NONCE_TTL else "stale"


def nonce_expiry(nonce: str) -> int:
    """Unix time after which a (verified) nonce is no longer accepted."""
    return int(nonce.split(".", 1)[0]) + NONCE_TTL


def nonce_count(creds: "DigestCredentials") -> int | None:
    """The request's nonce count: `nc` as a number (1 without qop: such a nonce is good once)."""
    if creds.qop is None:
        return 1
    try:
        value = int(creds.nc or "", 16)
    except ValueError:
        return None
    return value if 0 < value < 2 ** 40 else None


def opaque(secret: str, realm: str) -> str:
    return hmac.new(secret.encode(), b"opaque:" + realm.encode(), hashlib.sha256).hexdigest()[:32]


def challenge(secret: str, realm: str, domain: str, *, path: str = "/", stale: bool = False) -> str:
    value = (f'Digest realm="{realm}", qop="auth", algorithm=MD5, nonce="{make_nonce(secret, path)}", '
             f'opaque="{opaque(secret, realm)}", domain="{domain}"')
    return value + (", stale=true" if stale else "")


@dataclass(frozen=True)
class DigestCredentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str | None
    nc: str | None
    cnonce: str | None
    algorithm: str | None
    opaque: str | None


def parse_authorization(header: str) -> DigestCredentials | None:
    """Parse `Digest k=v, …`; None when it is not a well-formed Digest header."""
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    for m in _PARAM.finditer(rest):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1).lower()] = value.replace('\\"', '"').replace("\\\\", "\\")
    try:
        return DigestCredentials(
            username=params["username"], realm=params["realm"], nonce=params["nonce"], uri=params["uri"],
            response=params["response"].lower(), qop=params.get("qop"), nc=params.get("nc"),
            cnonce=params.get("cnonce"), algorithm=params.get("algorithm"), opaque=params.get("opaque"))
    except KeyError:
        return None


def expected_response(creds: DigestCredentials, ha1: str, method: str) -> str | None:
    """The correct `response` for these credentials, or None if the parameters are unsupported."""
    if creds.algorithm not in (None, "MD5", "md5"):
        return None
    ha2 = _md5(f"{method}:{creds.uri}")
    if creds.qop is None:
        return _md5(f"{ha1}:{creds.nonce}:{ha2}")
    if creds.qop != "auth" or not creds.nc or creds.cnonce is None:
        return None
    return _md5(f"{ha1}:{creds.nonce}:{creds.nc}:{creds.cnonce}:{creds.qop}:{ha2}")


def verify(creds: DigestCredentials, ha1: str, method: str) -> bool:
    expected = expected_response(creds, ha1, method)
    return expected is not None and hmac.compare_digest(expected, creds.response)
