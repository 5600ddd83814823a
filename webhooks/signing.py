"""Standard Webhooks signatures (https://www.standardwebhooks.com), standard library only.

A secret is `whsec_` and the base64 of 32 random bytes. Each try of a delivery is sent
with `webhook-id` (the message's, the same on every try), `webhook-timestamp` (the try's
time in Unix seconds) and `webhook-signature: v1,<base64 of HMAC-SHA256>`, keyed with
the secret's decoded bytes, over `{id}.{timestamp}.{body}`. tests/webhooks checks this
against the specification's published test vector and its Python library.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
SECRET_BYTES = 32


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The bytes a secret stands for: the base64 after its `whsec_` prefix."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def signature(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header of one try: `v1,<base64>`."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one try."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret=secret, webhook_id=webhook_id, timestamp=timestamp, body=body
        ),
    }
