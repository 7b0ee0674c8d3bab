"""ODK submission encryption (getodk xforms-spec "Encryption", as ODK Collect implements it) and the
passphrase protection of a project's private key. Pure: bytes in, bytes out (no Flask, no database).

How Collect encrypts a finalised instance (org.odk.collect EncryptionUtils):
- a random 256-bit AES key per instance, wrapped with the form's RSA public key
  (`base64RsaPublicKey`, base64 DER SubjectPublicKeyInfo) by "RSA/NONE/OAEPWithSHA256AndMGF1Padding"
  under Bouncy Castle: OAEP with SHA-256 *and* MGF1-SHA-256 (Central's unpadding agrees). A JCE
  provider would use MGF1-SHA-1 with the same name, so unwrapping tries that too;
- each file with "AES/CFB/PKCS5Padding" (CFB with 128-bit segments, PKCS#7 padding), the media files
  first in the order of the manifest's `<media><file>` elements, `submission.xml` last;
- IVs: seed = MD5(instanceID as UTF-8 ‖ AES key); before file *i* (0-based) byte `i % 16` of the
  seed is incremented (mod 256) and the seed so far is the IV — increments accumulate;
- the manifest's `base64EncryptedElementSignature`: RSA-OAEP (as above) of the raw MD5 of
  "formId\\n[version\\n]base64EncryptedKey\\ninstanceID\\n" + "name::md5hex\\n" for each decrypted
  media file (its name without `.enc`) + "submission.xml::md5hex\\n".

The private key at rest: PKCS#8 DER sealed with AES-256-GCM under a key derived from the passphrase
with scrypt (memory-hard; N=2^15, r=8, p=1: 32 MiB), the parameters stored beside it.
"""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:    # CFB's new home (cryptography ≥ 47); older releases have it in primitives
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.modes import CFB
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

RSA_BITS = 2048
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
MIN_PASSPHRASE = 10
# OAEP as Collect (Bouncy Castle) does it, then the JCE variant of the same transformation name.
_OAEPS = (padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
          padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None))  # noqa: S303
COLLECT_OAEP = _OAEPS[0]


class CryptoError(ValueError):
    """Base class: the message never holds key material or plaintext."""


class WrongPassphrase(CryptoError):
    pass


class UndecryptableSubmission(CryptoError):
    """The instance cannot be decrypted with this key, or a part fails its padding or signature."""


# --- the private key at rest -------------------------------------------------------------------

@dataclass(frozen=True)
class SealedKey:
    public_key: str            # base64 DER SubjectPublicKeyInfo, as `base64RsaPublicKey` carries it
    sealed_private: bytes      # AES-256-GCM(PKCS#8 DER), nonce first
    kdf: dict = field(default_factory=dict)   # {"name": "scrypt", "n", "r", "p", "salt": base64}


def _derive(passphrase: str, kdf: dict) -> bytes:
    if kdf.get("name") != "scrypt":
        raise CryptoError(f"unknown key derivation {kdf.get('name')!r}")
    return Scrypt(salt=base64.b64decode(kdf["salt"]), length=32, n=int(kdf["n"]), r=int(kdf["r"]),
                  p=int(kdf["p"])).derive(passphrase.encode("utf-8"))


def check_passphrase_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise CryptoError(f"口令至少 {MIN_PASSPHRASE} 个字符。The passphrase must have at least {MIN_PASSPHRASE} characters.")


def generate_sealed_key(passphrase: str) -> SealedKey:
    """A new RSA key pair; the private half sealed under `passphrase`."""
    check_passphrase_strength(passphrase)
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    public_der = private.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    kdf = {"name": "scrypt", **SCRYPT, "salt": base64.b64encode(os.urandom(16)).decode()}
    return SealedKey(base64.b64encode(public_der).decode(), seal_private_key(private, _derive(passphrase, kdf)), kdf)


def seal_private_key(private: rsa.RSAPrivateKey, key: bytes, associated: bytes = b"shoudi project key") -> bytes:
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, der, associated)


def open_private_key(sealed: bytes, key: bytes, associated: bytes = b"shoudi project key") -> rsa.RSAPrivateKey:
    try:
        der = AESGCM(key).decrypt(sealed[:12], sealed[12:], associated)
    except InvalidTag:
        raise WrongPassphrase("口令不正确。Wrong passphrase.") from None
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise CryptoError("not an RSA key")
    return private


def unlock(sealed: SealedKey, passphrase: str) -> rsa.RSAPrivateKey:
    """The private key, or `WrongPassphrase`."""
    return open_private_key(sealed.sealed_private, _derive(passphrase, sealed.kdf))


def private_der(private: rsa.RSAPrivateKey) -> bytes:
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def load_private_der(der: bytes) -> rsa.RSAPrivateKey:
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise CryptoError("not an RSA key")
    return private


def public_key_of(private: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


# --- submissions ---------------------------------------------------------------------------------

def file_ivs(instance_id: str, aes_key: bytes, count: int) -> list[bytes]:
    """The IVs of the instance's files in encryption order (media in manifest order, submission.xml last)."""
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + aes_key, usedforsecurity=False).digest())
    ivs = []
    for i in range(count):
        seed[i % 16] = (seed[i % 16] + 1) % 256
        ivs.append(bytes(seed))
    return ivs


def unwrap_key(private: rsa.RSAPrivateKey, wrapped: bytes) -> bytes:
    """The instance's AES key from `base64EncryptedKey` (decoded)."""
    for oaep in _OAEPS:
        try:
            key = private.decrypt(wrapped, oaep)
        except ValueError:
            continue
        if len(key) == 32:
            return key
    raise UndecryptableSubmission("the instance key cannot be unwrapped with this private key")


def decrypt_file(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-256/CFB128 then PKCS#7 unpadding (Collect's "AES/CFB/PKCS5Padding")."""
    decryptor = Cipher(algorithms.AES(aes_key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    n = padded[-1] if padded else 0
    if not 1 <= n <= 16 or len(padded) < n or padded[-n:] != bytes([n]) * n:
        raise UndecryptableSubmission("a part of the instance has bad padding (altered or wrong key)")
    return padded[:-n]


def encrypt_file(aes_key: bytes, iv: bytes, data: bytes) -> bytes:
    """What Collect does to each file (used by tests and tools that play Collect)."""
    n = 16 - len(data) % 16
    encryptor = Cipher(algorithms.AES(aes_key), CFB(iv)).encryptor()
    return encryptor.update(data + bytes([n]) * n) + encryptor.finalize()


def signature_source(form_id: str, version: str | None, base64_key: str, instance_id: str,
                     files: list[tuple[str, bytes]]) -> bytes:
    """The text whose MD5 Collect signs; `files`: (decrypted name, decrypted bytes), media first,
    submission.xml last."""
    lines = [form_id] + ([version] if version else []) + [base64_key, instance_id]
    lines += [f"{name}::{hashlib.md5(data, usedforsecurity=False).hexdigest()}" for name, data in files]
    return "".join(line + "\n" for line in lines).encode("utf-8")


@dataclass
class Decrypted:
    xml: bytes                                  # the instance as filled on the phone
    media: list[tuple[str, bytes]]              # (file name without .enc, bytes), manifest order
    signature_checked: bool


def decrypt_submission(private: rsa.RSAPrivateKey, *, form_id: str, version: str | None, instance_id: str,
                       base64_key: str, signature: str | None, xml_part: str, media_parts: list[str],
                       parts: dict[str, bytes]) -> Decrypted:
    """Decrypt an instance from its manifest fields and its parts (name → encrypted bytes); checks the
    element signature (Collect always sends one; an instance without one is refused here too)."""
    missing = [n for n in [*media_parts, xml_part] if n not in parts]
    if missing:
        raise UndecryptableSubmission(f"parts not received: {', '.join(missing)}")
    try:
        wrapped = base64.b64decode(base64_key, validate=True)
    except ValueError:
        raise UndecryptableSubmission("base64EncryptedKey is not base64") from None
    aes_key = unwrap_key(private, wrapped)
    ivs = file_ivs(instance_id, aes_key, len(media_parts) + 1)
    media = [(_plain_name(name), decrypt_file(aes_key, ivs[i], parts[name])) for i, name in enumerate(media_parts)]
    xml = decrypt_file(aes_key, ivs[-1], parts[xml_part])
    if not signature:
        raise UndecryptableSubmission("the instance carries no base64EncryptedElementSignature")
    expected = hashlib.md5(signature_source(form_id, version, base64_key, instance_id,
                                            [*media, (_plain_name(xml_part), xml)]),
                           usedforsecurity=False).digest()
    try:
        signed = _rsa_decrypt(private, base64.b64decode(signature, validate=True))
    except ValueError:
        raise UndecryptableSubmission("the element signature cannot be read with this key") from None
    if signed != expected:
        raise UndecryptableSubmission("the element signature does not match: the instance or a part was altered")
    return Decrypted(xml, media, True)


def _rsa_decrypt(private: rsa.RSAPrivateKey, data: bytes) -> bytes:
    for oaep in _OAEPS:
        try:
            return private.decrypt(data, oaep)
        except ValueError:
            continue
    raise ValueError("undecryptable")


def _plain_name(name: str) -> str:
    return name[:-4] if name.endswith(".enc") else name
