"""The dashboard through Flask's test client: logging in with a key, what each key may see, CSRF, the buttons."""

from __future__ import annotations

import pytest

from metasync.access.keys import create_key, revoke_key
from metasync.store.changes import Change
from metasync.store.documents import SyncRun
from tests.dashboard_helpers import SECRET, csrf_of, seed_tenant

pytestmark = pytest.mark.services


@pytest.fixture
def app(make_app, shared_db):
    return make_app(WEB_SESSION_SECRET=SECRET)


@pytest.fixture
def seeded(shared_db, redis_client):
    return {"a": seed_tenant("tenant-a"), "b": seed_tenant("tenant-b", ("act_201",))}


def log_in(client, raw: str):
    page = client.get("/dashboard/login")
    return client.post("/dashboard/login", data={"api_key": raw, "csrf_token": csrf_of(page.text)})


def logged_in(app, tenant: str | None, scope: str = "write"):
    client = app.test_client()
    raw = create_key(tenant, scope, admin=tenant is None)[0]
    assert log_in(client, raw).status_code == 302
    return client, raw


def test_without_a_session_secret_the_dashboard_says_which_setting_is_missing(make_app, shared_db):
    response = make_app(WEB_SESSION_SECRET=None).test_client().get("/dashboard/")
    assert response.status_code == 503
    assert "set WEB_SESSION_SECRET" in response.text


def test_pages_need_a_login_and_a_wrong_key_is_refused(app, seeded):
    client = app.test_client()
    assert client.get("/dashboard/t/tenant-a").headers["Location"].startswith("/dashboard/login")
    response = log_in(client, "msk_" + "x" * 43)
    assert response.status_code == 401 and "not valid" in response.text
    assert client.get("/dashboard/t/tenant-a").status_code == 302


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app, seeded):
    raw = create_key("tenant-a", "read")[0]
    plain = log_in(app.test_client(), raw).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    assert raw not in plain
    https = app.test_client()
    page = https.get("/dashboard/login", base_url="https://localhost")
    cookie = https.post(
        "/dashboard/login",
        data={"api_key": raw, "csrf_token": csrf_of(page.text)},
        base_url="https://localhost",
    ).headers["Set-Cookie"]
    assert "Secure" in cookie


def test_a_tenant_key_sees_its_tenant_and_never_another(app, seeded):
    client, _ = logged_in(app, "tenant-a", "read")
    assert client.get("/dashboard/").headers["Location"] == "/dashboard/t/tenant-a"
    page = client.get("/dashboard/t/tenant-a").text
    assert "act_101" in page and "act_102" in page and "act_201" not in page
    assert client.get("/dashboard/t/tenant-b").status_code == 404
    b = str(seeded["b"][0].id)
    assert client.get("/dashboard/pick?tenant=tenant-b").headers["Location"] == "/dashboard/t/tenant-b"
    write_client, _ = logged_in(app, "tenant-a", "write")
    token = csrf_of(write_client.get("/dashboard/t/tenant-a").text)
    for path in (f"/dashboard/t/tenant-b/connections/{b}/resync", f"/dashboard/t/tenant-a/connections/{b}/resync"):
        assert write_client.post(path, data={"csrf_token": token}).status_code == 404
    discard = write_client.post("/dashboard/t/tenant-b/change-sets/cs-tenant-b-1/discard", data={"csrf_token": token})
    assert discard.status_code == 404
    assert Change.objects(tenant_id="tenant-b", status="REJECTED").count() == 0
    assert SyncRun.objects(trigger="dashboard").count() == 0


def test_an_admin_key_picks_any_tenant(app, seeded):
    client, _ = logged_in(app, None)
    page = client.get("/dashboard/").text
    assert 'data-tenant="tenant-a"' in page and 'data-tenant="tenant-b"' in page
    assert "act_201" in client.get("/dashboard/t/tenant-b").text


def test_a_post_without_the_csrf_token_is_refused_and_starts_nothing(app, seeded):
    client, _ = logged_in(app, "tenant-a")
    a = str(seeded["a"][0].id)
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/dashboard/t/tenant-a/connections/{a}/resync", data=data)
        assert response.status_code == 400 and "Form refused" in response.text
    assert client.post("/dashboard/login", data={"api_key": "x"}).status_code == 400
    assert SyncRun.objects(trigger="dashboard").count() == 0


def test_re_sync_queues_an_entity_run_named_after_the_key(app, seeded):
    client, raw = logged_in(app, "tenant-a")
    a = seeded["a"][0]
    token = csrf_of(client.get("/dashboard/t/tenant-a").text)
    response = client.post(f"/dashboard/t/tenant-a/connections/{a.id}/resync", data={"csrf_token": token})
    assert response.status_code == 303
    [run] = SyncRun.objects(trigger="dashboard")
    assert (run.connection, run.kind, run.status, run.requested_by) == (
        a.id,
        "ENTITIES",
        "QUEUED",
        f"apikey:{raw[:12]}",
    )
    page = client.get("/dashboard/t/tenant-a").text
    assert "Queued re-sync of act_101" in page and f'data-run="{run.id}"' in page


def test_a_read_key_gets_no_buttons_and_may_not_press_them(app, seeded):
    client, _ = logged_in(app, "tenant-a", "read")
    page = client.get("/dashboard/t/tenant-a").text
    assert "Re-sync" not in page and "Discard" not in page
    a = str(seeded["a"][0].id)
    response = client.post(f"/dashboard/t/tenant-a/connections/{a}/resync", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 403


def test_a_revoked_key_loses_the_dashboard_on_its_next_request(app, seeded):
    client, raw = logged_in(app, "tenant-a", "read")
    assert client.get("/dashboard/t/tenant-a").status_code == 200
    revoke_key(raw[:12])
    assert client.get("/dashboard/t/tenant-a").headers["Location"].startswith("/dashboard/login")


def test_discard_rejects_the_open_and_failed_changes_with_who_in_history(app, seeded):
    client, raw = logged_in(app, "tenant-a")
    token = csrf_of(client.get("/dashboard/t/tenant-a").text)
    client.post("/dashboard/t/tenant-a/change-sets/cs-tenant-a-1/discard", data={"csrf_token": token})
    changes = list(Change.objects(change_set_id="cs-tenant-a-1"))
    assert {c.status for c in changes} == {"REJECTED"}
    assert all(c.history[-1]["reason"].startswith(f"discarded by apikey:{raw[:12]}") for c in changes)
    assert "Nothing waiting" in client.get("/dashboard/t/tenant-a").text


def test_apply_queues_a_changes_run_of_the_change_set(app, seeded):
    client, _ = logged_in(app, "tenant-a")
    token = csrf_of(client.get("/dashboard/t/tenant-a").text)
    client.post("/dashboard/t/tenant-a/change-sets/cs-tenant-a-1/apply", data={"csrf_token": token})
    [run] = SyncRun.objects(trigger="dashboard")
    assert (run.kind, run.target) == ("CHANGES", {"change_set_id": "cs-tenant-a-1"})


def test_the_page_shows_the_database_s_numbers(app, seeded):
    client, _ = logged_in(app, "tenant-a", "read")
    page = client.get("/dashboard/t/tenant-a").text
    assert '<b id="connection-count">2</b>' in page
    assert '<b id="runs-24h">4</b>' in page
    assert '<b id="changes-pending">1</b>' in page and '<b id="changes-failed">1</b>' in page
    # account level only (the campaign rows are not added on top): 123.45 + 123.46 yesterday, 5.00 + 5.00 before
    assert ">246.91<" in page and ">10.00<" in page and ">3.00<" in page
