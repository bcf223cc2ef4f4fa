from unittest import mock

import pytest
from django.db.utils import OperationalError


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute",
                    side_effect=OperationalError("down")):
        resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json()["status"] == "error"


def test_live_server_serves_static_files_with_debug_off(shared_live_site, shared_live_server):
    with shared_live_site.client(shared_live_server) as c:
        css = c.get("/static/kefu/kefu.css")
        assert css.status_code == 200
        assert "text/css" in css.headers["content-type"]
        assert c.get("/api/v1/me").json()["organization"]["slug"] == "live"


@pytest.mark.django_db
def test_api_docs_load_their_assets_from_this_server_not_a_cdn(client, owner):
    client.force_login(owner.user)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert client.get("/api/v1/openapi.json").status_code == 200
