"""Password hashing (argon2id), the HTTP Digest credential (HA1 = MD5(user:realm:password)) and the
password policy every account's password must meet (docs/security.md, "Passwords")."""
from __future__ import annotations

import hashlib
import secrets
import string
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP minimum for argon2id: m=19 MiB, t=2, p=1 (~20 ms on one core).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

MIN_LENGTH = 10
MAX_LENGTH = 256
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_EDGE = string.digits + string.punctuation + " "
_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "abcdefghijklmnopqrstuvwxyz")


class WeakPassword(ValueError):
    pass


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list (package data `server/auth/common_passwords.txt`)."""
    text = resources.files("server.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _core(password: str) -> str:
    """Lower case, substitutions undone, digits and punctuation at both ends removed."""
    return password.lower().strip(_EDGE).translate(_LEET).strip(_EDGE)


def _sequential(text: str) -> bool:
    """Runs such as `abcdefgh`, `98765432`, `qwertyui` (forwards or backwards on one keyboard row)."""
    if len(text) < 4:
        return False
    for row in _ROWS:
        if text in row or text in row[::-1]:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def check_strength(password: str, username: str | None = None) -> None:
    """Raise `WeakPassword` (bilingual message) unless `password` meets the policy: at least
    MIN_LENGTH characters, not only digits, not a repeated/sequential run, not a common password
    (with digits or punctuation around it), and not containing the user name."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少 {MIN_LENGTH} 位 / password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"密码不能超过 {MAX_LENGTH} 位 / password may have at most {MAX_LENGTH} characters")
    lowered = password.lower()
    core = _core(password)
    if password.isdigit() or not core:
        raise WeakPassword("密码不能只有数字和符号 / password may not be only digits and punctuation")
    if len(set(lowered)) <= 3 or _sequential(lowered) or _sequential(core) or len(set(core)) <= 2:
        raise WeakPassword("密码过于简单 / password is too simple")
    common = common_passwords()
    if lowered in common or core in common or core.replace(" ", "") in common:
        raise WeakPassword("这是常见密码，请换一个 / this is a common password, choose another")
    if username and len(username) >= 3 and username.lower() in lowered:
        raise WeakPassword("密码不能包含用户名 / password may not contain the user name")


def generate_password(length: int = 14) -> str:
    """A random password that meets the policy (for demo users and resets)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        try:
            check_strength(candidate)
        except WeakPassword:
            continue
        return candidate


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no stored hash (unknown user, no password) a dummy hash is
    verified anyway, so the answer takes as long as for a real account (no user enumeration)."""
    if not stored_hash:
        try:
            _hasher.verify(_dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def digest_ha1(username: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()
