"""Meta's subscription handshake: the challenge echoed as plain text for our verify token, refused otherwise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import VERIFY_TOKEN
from webhooks.challenge import resolve_meta_webhook_challenge


@pytest.mark.services
def test_handshake_echoes_the_challenge_as_plain_text(client):
    response = client.get(
        "/webhooks/meta",
        query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "1158201444"


@pytest.mark.services
def test_handshake_with_a_wrong_token_is_forbidden(client):
    response = client.get(
        "/webhooks/meta",
        query_string={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )
    assert response.status_code == 403
    assert "1158201444" not in response.get_data(as_text=True)


@pytest.mark.services
@pytest.mark.parametrize("missing", ["hub.mode", "hub.verify_token", "hub.challenge"])
def test_handshake_missing_a_parameter_is_a_bad_request(client, missing):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    del query[missing]
    assert client.get("/webhooks/meta", query_string=query).status_code == 400


@pytest.mark.services
def test_handshake_with_another_mode_is_a_bad_request(client):
    query = {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    assert client.get("/webhooks/meta", query_string=query).status_code == 400


@pytest.mark.services
def test_handshake_without_a_configured_token_is_unavailable(make_app):
    client = make_app(META_APP_VERIFY_TOKEN="").test_client()
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"}
    assert client.get("/webhooks/meta", query_string=query).status_code == 503


@pytest.mark.services
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x"]), st.text(max_size=300), max_size=4
    )
)
def test_no_handshake_query_makes_the_receiver_fail(client, query):
    assert client.get("/webhooks/meta", query_string=query).status_code in (200, 400, 403)


# --- the answer itself, without the app ----------------------------------------------------------------------
def handshake(**overrides: str | None) -> dict[str, str]:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444", **overrides}
    return {key: value for key, value in query.items() if value is not None}


@pytest.mark.parametrize(
    "query, status",
    [
        (handshake(), 200),
        (handshake(**{"hub.verify_token": "guess"}), 403),
        (handshake(**{"hub.verify_token": "vérifié"}), 403),  # not ASCII: still just a wrong token
        (handshake(**{"hub.verify_token": ""}), 403),
        (handshake(**{"hub.verify_token": None}), 400),
        (handshake(**{"hub.mode": None}), 400),
        (handshake(**{"hub.challenge": ""}), 400),
        (handshake(**{"hub.mode": "unsubscribe"}), 400),
        (handshake(**{"hub.challenge": "9" * 257}), 400),
    ],
    ids=[
        "ours",
        "wrong-token",
        "non-ascii-token",
        "empty-token",
        "no-token",
        "no-mode",
        "empty-challenge",
        "other-mode",
        "long-challenge",
    ],
)
def test_only_our_verify_token_gets_the_challenge_back(query, status):
    answer = resolve_meta_webhook_challenge(query, VERIFY_TOKEN)
    assert answer.status == status
    assert (answer.body == query.get("hub.challenge")) == (status == 200)


def test_no_verify_token_configured_means_try_again_later():
    assert resolve_meta_webhook_challenge(handshake(**{"hub.verify_token": ""}), "").status == 503
