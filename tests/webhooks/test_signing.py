"""Signatures follow Standard Webhooks: the specification's published test vector, and
its Python library verifies what Berth signs."""

import base64
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from webhooks import signing

# The test vector of the Standard Webhooks specification's libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_test_vector():
    assert (
        signing.signature(
            secret=VECTOR_SECRET,
            webhook_id=VECTOR_ID,
            timestamp=VECTOR_TIMESTAMP,
            body=VECTOR_BODY,
        )
        == VECTOR_SIGNATURE
    )


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = signing.secret_new(), signing.secret_new()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_library_verifies_what_berth_signs_and_nothing_else():
    secret = signing.secret_new()
    body = '{"type":"party.registered","timestamp":"2022-09-28T08:00:00Z","data":{"size":3}}'
    headers = signing.headers(
        secret=secret, webhook_id="msg_1", timestamp=int(time.time()), body=body.encode()
    )
    assert Webhook(secret).verify(body, headers)["data"] == {"size": 3}
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.secret_new()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("3", "4"), headers)
