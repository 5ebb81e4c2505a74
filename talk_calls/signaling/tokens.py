"""The hello v2 token (talk-signaling.md C4): a JWT for signaling servers of upstream 1.0.0 or newer.

Offered in ``helloAuthParams["2.0"]`` only while ``TALK_CALLS["SIGNALING_TOKEN_PRIVATE_KEY"]``
holds a private key (PEM) of ``SIGNALING_TOKEN_ALGORITHM`` (default ES256, as the reference).
The server verifies the token itself with the public key it reads from the app's
capabilities (``config.signaling.hello-v2-token-key``, ``public_key_text()``); it never asks
the ``auth`` backend request about it. Claims: ``iss`` the app's base URL, ``iat`` now, ``exp``
now + 60 s, ``sub`` the user id and ``userdata.displayname`` (both left out for guests).
Debian's 0.4.1 speaks hello 1.0 only and ignores the token.

PyJWT and cryptography are needed only when a key is configured (the ``hpb`` extra); the
system check ``talk_calls.E025`` reports a missing library, an unreadable key or a key that
does not fit the algorithm.
"""

import base64
import time
from functools import lru_cache

from ..conf import app_settings

try:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
except ImportError:  # the hpb extra is not installed: no hello v2 tokens
    jwt = None  # type: ignore[assignment]

#: Seconds a token is valid (the reference's 60 s; the server allows some leeway).
TOKEN_LIFETIME = 60
#: Asymmetric algorithms only: the signaling server accepts no others.
ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "EdDSA")
_KEY_TYPES = {"ES": "ec", "RS": "rsa", "Ed": "ed25519"}


def token_key_configured() -> bool:
    return bool(app_settings.SIGNALING_TOKEN_PRIVATE_KEY)


@lru_cache(maxsize=4)
def _load(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _key_kind(key) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ec"
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    return type(key).__name__


def key_error(pem, algorithm) -> str | None:
    """Return what is wrong with a configured key and algorithm, or None (no key is fine)."""
    if not pem:
        return None
    if algorithm not in ALGORITHMS:
        return f"SIGNALING_TOKEN_ALGORITHM must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}"
    if jwt is None:
        return "hello v2 tokens need PyJWT and cryptography (pip install 'talk_calls[hpb]')"
    if not isinstance(pem, str):
        return "SIGNALING_TOKEN_PRIVATE_KEY must be a PEM string"
    try:
        key = _load(pem)
    except (ValueError, TypeError) as exc:
        return f"SIGNALING_TOKEN_PRIVATE_KEY is not a readable unencrypted PEM private key ({exc})"
    expected = _KEY_TYPES[algorithm[:2]]
    if _key_kind(key) != expected:
        return f"{algorithm} needs an {expected} key, SIGNALING_TOKEN_PRIVATE_KEY holds an {_key_kind(key)} key"
    return None


def _usable_key():
    pem = app_settings.SIGNALING_TOKEN_PRIVATE_KEY
    if not pem or key_error(pem, app_settings.SIGNALING_TOKEN_ALGORITHM) is not None:
        return None
    return _load(pem)


def public_key_text() -> str:
    """Return the public key for the capabilities: PEM, or base64 of the raw key for EdDSA
    (as the reference); "" while no usable key is configured."""
    key = _usable_key()
    if key is None:
        return ""
    public = key.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def make_token(*, user_id: str | None, display_name: str, issuer: str, now: float | None = None) -> str | None:
    """Return a hello v2 token for ``user_id`` (None: a guest), or None while no key is configured."""
    key = _usable_key()
    if key is None:
        return None
    issued = int(time.time() if now is None else now)
    claims: dict = {"iss": issuer, "iat": issued, "exp": issued + TOKEN_LIFETIME}
    if user_id:
        claims["sub"] = user_id
        claims["userdata"] = {"displayname": display_name}
    return jwt.encode(claims, key, algorithm=app_settings.SIGNALING_TOKEN_ALGORITHM)


def new_private_key(algorithm: str = "ES256") -> str:
    """Return a new unencrypted PEM private key for ``algorithm`` (``talk_calls_hpb_config token-key``)."""
    if jwt is None:
        raise ValueError("hello v2 tokens need PyJWT and cryptography (pip install 'talk_calls[hpb]')")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}")
    kind = _KEY_TYPES[algorithm[:2]]
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if kind == "ec":
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[algorithm]
        key = ec.generate_private_key(curve)
    elif kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
