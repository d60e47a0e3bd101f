"""The OpenAPI 3 document, generated from the registered endpoints and their forms."""
import re

from app.api import bp
from app.api.form_schemas import form_schema
from app.api.registry import ENDPOINTS, endpoint

PROBLEM = {"$ref": "#/components/schemas/Problem"}
STATUS_TEXT = {200: "OK", 201: "Created", 400: "Malformed request", 401: "Not authenticated",
               403: "Not allowed", 404: "Not found or not visible", 409: "State conflict",
               422: "Validation or business rule refused", 429: "Too many attempts"}
TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "array": {"type": "array", "items": {}},
         "date-time": {"type": "string", "format": "date-time"}, "object": {"type": "object"},
         "boolean": {"type": "boolean"}, "number": {"type": "number"}}
INT_QUERY = {"page", "per_page"}  # the pagination of app/api/pages.py: positive integers, else 400
MAX_ID = 2**31 - 1  # <int:...> path ids beyond this are not found (app.BoundedInt)


def _type(name: str) -> dict:
    """A response field's schema from its short name; "integer|string" is either."""
    if "|" in name:
        return {"oneOf": [TYPES.get(part, {}) for part in name.split("|")]}
    return TYPES.get(name, {})


def _path(rule: str) -> tuple[str, list]:
    params = []

    def repl(match):
        converter, name = match.group(1), match.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID} if converter == "int"
                       else {"type": "string"}})
        return "{" + name + "}"

    return "/api/v1" + re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def _response(status: int, shape) -> dict:
    if status == 204:
        return {"description": "No content"}
    if status >= 400:
        return {"description": STATUS_TEXT.get(status, "Error"),
                "content": {"application/problem+json": {"schema": PROBLEM}}}
    schema = {"type": "object"}
    if isinstance(shape, dict):
        schema["properties"] = {k: _type(v) for k, v in shape.items()}
    content = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}} if shape == "pdf" \
        else {"application/json": {"schema": schema}}
    return {"description": STATUS_TEXT.get(status, "OK"), "content": content}


def _query_schema(name: str) -> dict:
    return {"type": "integer", "minimum": 1} if name in INT_QUERY else {"type": "string"}


def operation(ep) -> dict:
    path, params = _path(ep.rule)
    op = {"operationId": ep.view, "summary": ep.summary, "tags": [ep.tag],
          "parameters": params + [{"name": q, "in": "query", "required": False, "schema": _query_schema(q)}
                                  for q in ep.query],
          "responses": {str(s): _response(s, shape) for s, shape in sorted(ep.responses.items())}}
    if ep.query:  # a malformed query parameter is a 400
        op["responses"].setdefault("400", _response(400, None))
    if ep.auth:
        op["security"] = [{"bearer": []}]
        op["responses"].setdefault("401", _response(401, None))
    if ep.body == "xml" and ep.form is None:
        op["requestBody"] = {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}}
    if ep.form is not None:
        media = {"json": "application/json", "multipart": "multipart/form-data", "xml": "application/xml"}[ep.body]
        op["requestBody"] = {"required": True, "content": {media: {"schema": form_schema(ep.form)}}}
        op["responses"].setdefault("400", _response(400, None))
        op["responses"].setdefault("422", _response(422, None))
    return path, op


def document() -> dict:
    paths: dict = {}
    for ep in ENDPOINTS:
        path, op = operation(ep)
        paths.setdefault(path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "上海市建设工程实名制管理系统 API", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": {
                "type": "object", "required": ["type", "title", "status", "detail"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                               "status": {"type": "integer"}, "detail": {"type": "string"},
                               "errors": {"type": "object", "additionalProperties": {"type": "string"}}}}},
        },
    }


@endpoint(bp, "/openapi.json", "GET", summary="This document", tag="meta", auth=False,
          responses={200: {"openapi": "string", "paths": "object"}})
def openapi_json():
    return document()
