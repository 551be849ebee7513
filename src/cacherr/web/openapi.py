"""The OpenAPI 3.1 document, generated from the routes the API registers and their pydantic models.

API views are declared with ``routes.Routes.api``, which records the Flask rule and the operation (summary,
query model, body model, responses); ``create_app`` builds an ``ApiSpec`` of them per app, and
``ApiSpec.document()`` turns the record into
the document served at ``/api/v1/openapi.json`` (and rendered to docs/api.md by ``openapi_md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from cacherr import __version__
from cacherr.web.schemas import ErrorOut

REF = "#/components/schemas/{model}"
_PARAM_RE = re.compile(r"<(?:(int|string):)?(\w+)>")
ERROR_TEXT = {400: "Bad request: the message says what to fix", 401: "Authentication required",
              403: "Forbidden: CSRF token missing or invalid, or wrong secret", 404: "Not found",
              409: "Busy: a cycle or restore is already running", 415: "Unsupported media type",
              422: "Invalid values, with a message per field", 429: "Too many attempts",
              503: "A dependency (Plex, the cycle service) is not available"}


@dataclass(frozen=True)
class Operation:
    rule: str  # the Flask rule below the blueprint prefix
    method: str
    summary: str
    tag: str
    status: int
    response: type[BaseModel]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    form_fields: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    description: str = ""
    also: tuple[tuple[int, type[BaseModel], str], ...] = ()  # further documented answers with their own body
    prefixed: bool = True  # registered on the /api/v1 blueprint (False: at the root, like /health)


@dataclass
class ApiSpec:
    prefix: str
    title: str = "Cacherr API"
    operations: list[Operation] = field(default_factory=list)

    # --- the document --------------------------------------------------------------------------
    def document(self) -> dict[str, Any]:
        models: set[tuple[type[BaseModel], Literal["validation", "serialization"]]] = {(ErrorOut, "serialization")}
        for op in self.operations:
            models.add((op.response, "serialization"))
            if op.body is not None:
                models.add((op.body, "validation"))
            models.update((model, "serialization") for _, model, _ in op.also)
        _, defs = models_json_schema(sorted(models, key=lambda m: m[0].__name__), ref_template=REF)
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            path = _PARAM_RE.sub(r"{\2}", self._full(op))
            paths.setdefault(path, {})[op.method.lower()] = self._operation(op)
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": __version__,
                     "description": "Control and observe Cacherr. Authentication (when enabled in settings): "
                     "header X-Api-Key, or the dashboard's session cookie plus header X-CSRF-Token on "
                     "requests that change something."},
            "servers": [{"url": "/"}],
            "paths": dict(sorted(paths.items())),
            "components": {
                "schemas": defs.get("$defs", {}),
                "securitySchemes": {
                    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "cacherr_session"},
                },
            },
            "security": [{"apiKey": []}, {"session": []}],
        }

    @staticmethod
    def _id_rule(op: Operation) -> str:
        """The rule an operationId is made from (the *arr-style /api/v1/health beside the root /health)."""
        return ("/v1" + op.rule if op.prefixed and op.rule == "/health" else op.rule).lower()

    def _full(self, op: Operation) -> str:
        return self.prefix + op.rule if op.prefixed else op.rule

    def _operation(self, op: Operation) -> dict[str, Any]:
        out: dict[str, Any] = {
            "summary": op.summary, "tags": [op.tag],
            "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', self._id_rule(op)).strip('_')}",
            "responses": {str(op.status): _json_response(op.response, "Accepted" if op.status == 202 else "OK")},
        }
        if op.description:
            out["description"] = op.description
        params = _path_params(op.rule) + (_query_params(op.query) if op.query else [])
        if params:
            out["parameters"] = params
        if op.body is not None:
            out["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.body)}}}
        if op.form_fields:
            props = {name: {"type": "string"} for name in op.form_fields}
            out["requestBody"] = {"required": True, "content": {"multipart/form-data": {
                "schema": {"type": "object", "properties": props, "required": list(op.form_fields)}}}}
        errors = set(op.errors)
        if params or op.body is not None or op.form_fields:
            errors.add(400)
        if _path_params(op.rule):
            errors.add(404)
        if not op.public:
            errors.add(401)
            if op.method != "GET":
                errors.add(403)  # CSRF
        if op.body is not None:
            errors.add(415)
        for code in sorted(errors):
            out["responses"][str(code)] = _json_response(ErrorOut, ERROR_TEXT.get(code, "Error"))
        for code, model, text in op.also:
            out["responses"][str(code)] = _json_response(model, text)
        if op.public:
            out["security"] = []
        return out


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json_response(model: type[BaseModel], text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": _ref(model)}}}


def _path_params(rule: str) -> list[dict[str, Any]]:
    params = []
    for kind, name in _PARAM_RE.findall(rule):
        schema: dict[str, Any] = ({"type": "integer", "minimum": 1, "maximum": 2**62} if kind == "int"
                                  else {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        description = prop.pop("description", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out
