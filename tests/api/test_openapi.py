"""The OpenAPI document is generated from the code, valid, and covers every API route."""
import re

from openapi_spec_validator import validate

from tests.support.factories import auth, token


def test_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.get_json())


def test_every_api_route_is_documented(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"].get(path, {}), f"{method} {path} is not documented"


def test_request_schemas_come_from_the_forms(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    signup = doc["paths"]["/api/v1/accounts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(signup["required"]) == {"username", "password", "name", "phone"}
    project = doc["paths"]["/api/v1/projects"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(project["properties"]["wage_account"]["properties"]) == {"bank_name", "account_no", "account_name"}
    participant = doc["paths"]["/api/v1/projects/{pid}/participants"]["post"]["requestBody"]
    kinds = participant["content"]["application/json"]["schema"]["properties"]["kind"]["enum"]
    assert kinds == ["labor_subcontractor", "specialist_subcontractor"]
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]


def test_documented_fields_are_accepted(client, world):
    """A body built from the documented schema is taken by the endpoint."""
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/api/v1/enterprises"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    admin = world.admin()
    world.user("rep")
    from tests.support.identifiers import make_uscc
    values = {"name": "文档测试公司", "uscc": make_uscc(5), "legal_rep_username": "rep"}
    assert set(values) == set(schema["properties"])
    assert client.post("/api/v1/enterprises", json=values, headers=auth(token(client, admin))).status_code == 201


def test_custom_fields_describe_themselves(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    body = doc["paths"]["/api/v1/projects/{pid}/allocations"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["person_ids"]["type"] == "array"
    assert body["schema"]["properties"]["person_ids"]["items"]["type"] == "integer"
