"""The OpenAPI document: error answers for every operation (docs/api-reference.md, Errors),
and operations described by their own views' words only."""

import inspect

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_doc


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, describing an operation by its method's docstring or its view
    class's own, and a serializer by its class's own, never one the class inherits:
    `accounts.permissions.AccessMixin`'s, about how views ask for their rules, or
    `config.fields.ModelSerializer`'s, about how fields are built, is for the code's
    readers, not integrators."""

    def get_description(self) -> str:  # type: ignore[override]
        method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        return get_doc(method) or _own_doc(type(self.view))

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if schema.get("description") == get_doc(type(serializer)):  # not set by an override
            own = _own_doc(type(serializer))
            if own:
                schema["description"] = own
            else:
                del schema["description"]
        return schema


def _own_doc(cls: type) -> str:
    own = vars(cls).get("__doc__")
    return inspect.cleandoc(own) if own else ""


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
CONFLICT = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
    "required": ["code", "detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": 'Field errors as DRF gives them: {"<field>": ["message"]}.',
    "additionalProperties": {},
}
WRITES = {"post", "put", "patch", "delete"}


def _answer(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _may_not_find(operation: dict) -> bool:
    """An operation without an id in its path may still answer 404: a page past the last,
    a required id in its query (`?city=`) that names nothing of the caller's, `?format=`."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        if parameter.get("name") in {"page", "format"}:
            return True
        if parameter.get("required") and (
            parameter.get("name") == "city" or parameter.get("schema", {}).get("format") == "uuid"
        ):
            return True
    return False


def _has_parameter(operation: dict, name: str) -> bool:
    return any(parameter.get("name") == name for parameter in operation.get("parameters", []))


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document 400/401/403/404/409/412/422/429."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", _answer("No or bad credentials.", ERROR))
            responses.setdefault("403", _answer("Your role may not do this.", ERROR))
            if "{" in path:
                responses.setdefault("404", _answer("Not found, or not yours.", ERROR))
            elif _may_not_find(operation):
                responses.setdefault(
                    "404",
                    _answer(
                        "A page past the last one, an object named in the query that does "
                        "not exist or is not yours, or an unknown format.",
                        ERROR,
                    ),
                )
            if method in WRITES or operation.get("parameters"):
                responses.setdefault("400", _answer("Invalid input.", FIELD_ERRORS))
            if method in WRITES:
                responses.setdefault("409", _answer("A state conflict.", CONFLICT))
            if method == "patch" or _has_parameter(operation, "If-Match"):
                responses.setdefault("412", _answer("A stale If-Match.", CONFLICT))
            if method == "post" and _has_parameter(operation, "Idempotency-Key"):
                responses.setdefault(
                    "422", _answer("The Idempotency-Key was used with another body.", CONFLICT)
                )
            responses.setdefault("429", _answer("Too many requests; see Retry-After.", ERROR))
    return result


# A property some callers do not get (`possible_duplicate` for all but coordinators) marks its
# schema with this key (`extend_schema_field`); read-only properties are otherwise listed as
# required.
OPTIONAL = "x-optional"


def optional_properties(result, generator, request, public):
    """drf-spectacular postprocessing hook: properties marked OPTIONAL are not required."""
    for component in result.get("components", {}).get("schemas", {}).values():
        properties = component.get("properties", {})
        optional = {name for name, schema in properties.items() if schema.pop(OPTIONAL, False)}
        if optional and "required" in component:
            component["required"] = [name for name in component["required"] if name not in optional]
            if not component["required"]:
                del component["required"]
    return result
