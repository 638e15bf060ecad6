"""``/v3/rules``: the key's personalisation ruleset (list, add, replace, patch one, delete one).

Rules are checked with the engine's ``validate_rules`` (422 with one error item per problem) and the
whole ruleset must stay within 200,000 bytes (413). The engine applies them to every enrichment.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError

from .. import rulesets
from ..context import ApiKey, Ctx, SandboxContext
from ..enrichment import validate_rules
from ..responses import no_content, raw_json

router = APIRouter(tags=["rules"])


def _check(rules: list[Any]) -> None:
    """422 listing every problem of the ruleset, 413 when it is too large."""
    if all(isinstance(rule, dict) for rule in rules):
        problems = validate_rules(rulesets.without_ids(rules))
    else:
        problems = ["every rule must be a JSON object"]
    if problems:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ["body"], "msg": problem, "input": None} for problem in problems]
        )
    if rulesets.size_of(rules) > rulesets.MAX_RULESET_BYTES:
        raise HTTPException(413, f"The ruleset exceeds {rulesets.MAX_RULESET_BYTES} bytes")


def _with_id(rule: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return {"id": rule_id, **{k: v for k, v in rule.items() if k != "id"}}


@router.get("/v3/rules")
def get_rules(ctx: Ctx, api_key: ApiKey) -> Response:
    """The whole ruleset (a bare array; every rule carries a string ``id``)."""
    return raw_json(orjson.dumps(rulesets.load(ctx.store, api_key)[0]))


@router.post("/v3/rules")
def add_rule(rule: Annotated[dict[str, Any], Body()], ctx: Ctx, api_key: ApiKey) -> Response:
    """Append one rule; answers it with its new id."""
    rules, next_id = rulesets.load(ctx.store, api_key)
    new_rule = _with_id(rule, str(next_id))
    _check([*rules, new_rule])
    rulesets.save(ctx.store, api_key, [*rules, new_rule], next_id + 1)
    return raw_json(orjson.dumps(new_rule))


def _replace(ctx: SandboxContext, api_key: str, raw: bytes) -> list[dict[str, Any]]:
    if len(raw) > rulesets.MAX_RULESET_BYTES:
        raise HTTPException(413, f"The ruleset exceeds {rulesets.MAX_RULESET_BYTES} bytes")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ["body", exc.pos], "msg": "JSON decode error", "input": None}]
        ) from None
    if not isinstance(body, list):
        raise RequestValidationError(
            [{"type": "list_type", "loc": ["body"], "msg": "Input should be a valid list", "input": body}]
        )
    _check(body)
    _, next_id = rulesets.load(ctx.store, api_key)
    rules = [_with_id(rule, str(next_id + i)) for i, rule in enumerate(body)]
    rulesets.save(ctx.store, api_key, rules, next_id + len(rules))
    return rules


@router.post("/v3/rules/replace")
async def replace_rules(request: Request, ctx: Ctx, api_key: ApiKey) -> Response:
    """Replace the whole ruleset with the array in the body."""
    rules = await run_in_threadpool(_replace, ctx, api_key, await request.body())
    return raw_json(orjson.dumps(rules))


def _index(rules: list[dict[str, Any]], rule_id: str) -> int:
    for i, rule in enumerate(rules):
        if rule.get("id") == rule_id:
            return i
    raise HTTPException(404, f"Rule with id '{rule_id}' not found")


@router.patch("/v3/rules/{rule_id}")
def patch_rule(rule_id: str, rule: Annotated[dict[str, Any], Body()], ctx: Ctx, api_key: ApiKey) -> Response:
    """Replace one rule, keeping its id."""
    rules, next_id = rulesets.load(ctx.store, api_key)
    position = _index(rules, rule_id)
    rules[position] = _with_id(rule, rule_id)
    _check(rules)
    rulesets.save(ctx.store, api_key, rules, next_id)
    return raw_json(orjson.dumps(rules[position]))


@router.delete("/v3/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: str, ctx: Ctx, api_key: ApiKey) -> Response:
    """Remove one rule."""
    rules, next_id = rulesets.load(ctx.store, api_key)
    del rules[_index(rules, rule_id)]
    rulesets.save(ctx.store, api_key, rules, next_id)
    return no_content()
