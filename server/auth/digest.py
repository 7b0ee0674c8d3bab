"""HTTP Digest (RFC 7616 subset that OpenRosa requires: MD5, qop=auth) with stateless signed nonces.

A nonce is `<unix time>.<hmac>`; it is valid for NONCE_TTL seconds, after which the client gets
`stale=true` and retries without asking the user again.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

NONCE_TTL = 900
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def make_nonce(secret: str, now: float | None = None) -> str:
    stamp = str(int(now if now is not None else time.time()))
    sig = hmac.new(secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{stamp}.{sig}"


def nonce_state(secret: str, nonce: str, now: float | None = None) -> str:
    """'valid', 'stale' (genuine but expired) or 'invalid'."""
    stamp, _, sig = nonce.partition(".")
    if not stamp.isdigit():
        return "invalid"
    expected = hmac.new(secret.encode(), stamp.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(expected, sig):
        return "invalid"
    age = (now if now is not None else time.time()) - int(stamp)
    return "valid" if -60 <= age <= NONCE_TTL else "stale"


def opaque(secret: str, realm: str) -> str:
    return hmac.new(secret.encode(), b"opaque:" + realm.encode(), hashlib.sha256).hexdigest()[:32]


def challenge(secret: str, realm: str, domain: str, *, stale: bool = False) -> str:
    value = (f'Digest realm="{realm}", qop="auth", algorithm=MD5, nonce="{make_nonce(secret)}", '
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
