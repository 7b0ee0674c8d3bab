"""App-user tokens as ODK Central shapes them: 64 characters of [A-Za-z0-9!$]; stored as SHA-256."""
from __future__ import annotations

import hashlib
import re
import secrets
import string

ALPHABET = string.ascii_letters + string.digits + "!$"
TOKEN_RE = re.compile(r"^[A-Za-z0-9!$]{64}$")


def new_token() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(64))


def well_formed(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
