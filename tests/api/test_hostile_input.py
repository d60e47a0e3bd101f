"""Whatever a caller sends, the API answers with a problem, never a 500."""
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.factories import auth, token

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**12, max_value=10**12) | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
BODY_KEYS = ["username", "password", "name", "phone", "uscc", "legal_rep_username", "code", "address",
             "gc_enterprise_id", "wage_account", "enterprise_id", "kind", "role"]
BODIES = st.dictionaries(st.sampled_from(BODY_KEYS), JSON_VALUES, max_size=8) | JSON_VALUES
OK = {200, 201, 400, 401, 403, 404, 409, 422, 429}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, path=st.sampled_from(["/api/v1/accounts", "/api/v1/enterprises", "/api/v1/projects",
                                          "/api/v1/admin/roles", "/api/v1/auth/token",
                                          "/api/v1/projects/1/participants", "/api/v1/enterprises/1/hr-admins"]))
def test_random_json_bodies_never_cause_a_server_error(client, world, body, path):
    if not hasattr(world, "_admin_token"):
        world._admin_token = token(client, world.admin())
    response = client.post(path, json=body, headers=auth(world._admin_token))
    assert response.status_code in OK, (response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_random_bytes_are_400_or_422(client, raw):
    response = client.post("/api/v1/accounts", data=raw, content_type="application/json")
    assert response.status_code in {400, 422}, response.get_data(as_text=True)[:300]


def test_ids_beyond_a_database_integer_are_404(client, world):
    tok = token(client, world.admin())
    for path in ("/api/v1/projects/99999999999999", "/api/v1/enterprises/2147483648"):
        assert client.get(path, headers=auth(tok)).status_code == 404
