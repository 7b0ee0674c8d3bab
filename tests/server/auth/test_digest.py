"""HTTP Digest pieces: signed nonces (valid/stale/forged), header parsing, response check (RFC 7616 example)."""
from __future__ import annotations

import hashlib

from server.auth import digest
from server.auth.passwords import check_strength, digest_ha1, hash_password, verify_password


def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def test_nonce_lifecycle():
    n = digest.make_nonce("k", now=1000)
    assert digest.nonce_state("k", n, now=1000 + 10) == "valid"
    assert digest.nonce_state("k", n, now=1000 + digest.NONCE_TTL + 1) == "stale"
    assert digest.nonce_state("other-key", n, now=1010) == "invalid"
    assert digest.nonce_state("k", "1000.deadbeef", now=1010) == "invalid"
    assert digest.nonce_state("k", "garbage", now=1010) == "invalid"


def test_parse_and_verify_qop_auth():
    ha1 = md5("Mufasa:testrealm@host.com:Circle Of Life")
    header = ('Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
              'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", '
              'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    creds = digest.parse_authorization(header)
    assert creds.username == "Mufasa" and creds.qop == "auth" and creds.nc == "00000001"
    assert digest.verify(creds, ha1, "GET")  # RFC 2617 §3.5 worked example
    assert not digest.verify(creds, ha1, "POST")
    assert not digest.verify(creds, md5("Mufasa:testrealm@host.com:wrong"), "GET")


def test_unsupported_parameters_are_refused():
    creds = digest.parse_authorization('Digest username="a", realm="r", nonce="n", uri="/", response="x", '
                                       'algorithm=SHA-256, qop=auth, nc=1, cnonce="c"')
    assert digest.expected_response(creds, "0" * 32, "GET") is None
    assert digest.parse_authorization('Digest username="a"') is None
    assert digest.parse_authorization("Basic Zm9vOmJhcg==") is None


def test_passwords():
    h = hash_password("correct-horse-9")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct-horse-9") and not verify_password(h, "wrong")
    assert not verify_password(None, "x") and not verify_password("not-a-hash", "x")
    assert digest_ha1("u", "r", "p") == md5("u:r:p")
    import pytest
    from server.auth.passwords import WeakPassword
    for weak in ("short", "11111111"):
        with pytest.raises(WeakPassword):
            check_strength(weak)
