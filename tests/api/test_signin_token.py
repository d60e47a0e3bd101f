"""The worker's sign-in checks the bearer token in the same statement as its facts: a
token refused anywhere else is refused here too, on the very next request — revoked,
ended by a password change, expired, of a disabled account — before anything is stored
and before the body is judged."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import SignIn
from app.services import accounts
from tests.support.factories import PASSWORD, auth, token
from tests.support.site import confirmed, officer, set_point, site_wgs84
from tests.support.staffing import staffing

REFUSED = "访问令牌无效或已过期"


@pytest.fixture
def signing(client, world):
    """A confirmed worker with a token, and the body of their sign-in at the point."""
    s = staffing(world, workers=2)
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    set_point(s.project, s.gc.pm)
    code = client.get("/api/v1/me/code", headers=auth(token(client, clerk.user))).get_json()["token"]
    lng, lat = site_wgs84()
    body = {"project_id": s.project.id, "officer_token": code, "lng": lng, "lat": lat, "coord_system": "wgs84"}
    return worker, token(client, worker.user), body


def sign_in(client, tok, body):
    return client.post("/api/v1/me/signins", json=body, headers=auth(tok))


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(SignIn))


def test_a_revoked_token_signs_in_no_more_and_another_token_of_the_worker_does(client, signing):
    worker, tok, body = signing
    assert client.delete("/api/v1/auth/token", headers=auth(tok)).status_code == 204
    refused = sign_in(client, tok, body)
    assert refused.status_code == 401 and refused.get_json()["detail"] == REFUSED
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert stored() == 0
    assert sign_in(client, token(client, worker.user), body).status_code == 201


def test_a_password_change_ends_the_token_for_the_sign_in_too(client, signing):
    worker, tok, body = signing
    changed = client.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "n3w-Secret9"},
                         headers=auth(tok))
    assert changed.status_code in (200, 204), changed.get_json()
    assert sign_in(client, tok, body).status_code == 401 and stored() == 0


def test_an_expired_token_or_a_disabled_account_is_refused(app, client, signing):
    worker, tok, body = signing
    later = datetime.now(timezone.utc) + timedelta(hours=app.config["API_TOKEN_HOURS"], minutes=1)
    with time_machine.travel(later, tick=False):
        assert sign_in(client, tok, body).status_code == 401
    worker.user.active = False
    db.session.commit()
    assert sign_in(client, tok, body).status_code == 401 and stored() == 0


def test_a_refused_or_missing_token_answers_401_before_a_bad_body(client, signing):
    _, tok, body = signing
    client.delete("/api/v1/auth/token", headers=auth(tok))
    assert sign_in(client, tok, {**body, "lng": None}).status_code == 401
    assert client.post("/api/v1/me/signins", json=body).status_code == 401
    assert sign_in(client, "not-a-token", body).status_code == 401


def test_an_account_without_a_person_is_told_to_register_first(app, client, signing):
    _, _, body = signing
    accounts.create_staff_account("operator1", PASSWORD, "运维", method=app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    refused = sign_in(client, token(client, "operator1"), body)
    assert refused.status_code == 404 and refused.get_json()["detail"] == "当前账号没有个人信息，请先完成个人信息登记"
