"""Personalisation rules (``/v3/rules``): validation and application to an enrichment result.

Grammar (contract §2.8 plus the operator list of the v2 rules reference):

* rule = action | ``{"if": expr, "then": [rule...], "else": [rule...]}`` (``then``/``else`` optional; a
  ``null`` rule is a no-op, as in the published request samples).
* actions: ``{"set": field, "to": expr}``, ``{"add_label": str}``, ``{"remove_label": str}``,
  ``{"set_labels": [str...]}``, ``{"add_mcc": int}``, ``{"remove_mcc": int}``, ``{"set_mccs": [int...]}``.
* expr = literal | ``{op: operand}`` / ``{op: [operands]}`` with op one of ``get``, ``==``, ``!=``, ``<``,
  ``<=``, ``>``, ``>=``, ``&&``/``and``, ``||``/``or``, ``!``/``not``, ``+``, ``-``, ``*``, ``/``, ``//``,
  ``is_substring``, ``starts_with``, ``ends_with``, ``to_lower``/``lower``, ``to_upper``/``upper``,
  ``has_label``, ``has_mcc``.

Labels: v3 transactions carry one label, ``categories.general``. Assumption: ``add_label X`` and
``set_labels [X, ...]`` set it to X (the last action wins), ``remove_label X`` resets it to
``not enough information`` when it equals X, and ``has_label X`` compares it with X.
Assumption: ``is_substring [a, b]`` is true when b occurs in a (the documented example tests whether the
website contains "ntropy"); it and ``starts_with``/``ends_with`` ignore case. Runtime type mismatches
evaluate to null/false instead of failing the transaction.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .categories import NOT_ENOUGH_INFORMATION
from .knowledge import blank_entity

_MAX_DEPTH = 64

_NAME_FIELDS = ("merchant", "merchant_name", "counterparty", "counterparty_name", "name")
_ID_FIELDS = ("merchant_id", "counterparty_id")
_LABEL_FIELDS = ("category", "general", "label", "labels")
_ACCOUNTING_FIELDS = ("accounting", "accounting_category")
_TX_FIELDS = ("description", "amount", "entry_type", "currency", "date", "id", "account_holder_id")
_LOCATION_FIELDS = ("city", "state", "postcode", "country", "country_code", "store_number")

SETTABLE_FIELDS: frozenset[str] = frozenset(
    (
        "website",
        "logo",
        "mccs",
        "counterparty_type",
        *_NAME_FIELDS,
        *_ID_FIELDS,
        *_LABEL_FIELDS,
        *_ACCOUNTING_FIELDS,
    )
)
GETTABLE_FIELDS: frozenset[str] = SETTABLE_FIELDS | frozenset(
    (*_TX_FIELDS, *_LOCATION_FIELDS, "account_holder_type", "intermediaries", "intermediary", "raw_address")
)

_ACTIONS = ("set", "add_label", "remove_label", "set_labels", "add_mcc", "remove_mcc", "set_mccs")
_UNARY = frozenset({"!", "not", "to_lower", "lower", "to_upper", "upper", "has_label", "has_mcc", "get"})
_BINARY = frozenset({"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "//"}) | frozenset(
    {"is_substring", "starts_with", "ends_with"}
)
_VARIADIC = frozenset({"&&", "and", "||", "or"})
OPERATORS: frozenset[str] = _UNARY | _BINARY | _VARIADIC

# ---------------------------------------------------------------------------------------------- validation


def validate_rules(rules: Any) -> list[str]:
    """Problems of a ruleset (a list of rules); an empty list means it is valid."""
    if not isinstance(rules, Sequence) or isinstance(rules, (str, bytes)):
        return ["the ruleset must be a list of rules"]
    problems: list[str] = []
    for i, rule in enumerate(rules):
        _check_rule(rule, f"rules[{i}]", problems, 0)
    return problems


def _check_rule(rule: Any, path: str, problems: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        problems.append(f"{path}: rules are nested too deeply")
        return
    if rule is None:
        return
    if not isinstance(rule, Mapping):
        problems.append(f"{path}: a rule must be an object (an action or an if/then/else conditional)")
        return
    if "if" in rule:
        extra = set(rule) - {"if", "then", "else"}
        if extra:
            problems.append(f"{path}: unexpected keys in a conditional: {sorted(extra)}")
        _check_expr(rule["if"], f"{path}.if", problems, depth + 1)
        for branch in ("then", "else"):
            if branch not in rule:
                continue
            actions = rule[branch]
            if not isinstance(actions, list):
                problems.append(f"{path}.{branch}: must be a list of rules")
                continue
            for j, sub in enumerate(actions):
                _check_rule(sub, f"{path}.{branch}[{j}]", problems, depth + 1)
        return
    kinds = [k for k in _ACTIONS if k in rule]
    if len(kinds) != 1:
        problems.append(f"{path}: a rule needs exactly one of 'if', {', '.join(repr(a) for a in _ACTIONS)}")
        return
    kind = kinds[0]
    allowed = {"set", "to"} if kind == "set" else {kind}
    extra = set(rule) - allowed
    if extra:
        problems.append(f"{path}: unexpected keys in a '{kind}' action: {sorted(extra)}")
    value = rule[kind]
    if kind == "set":
        if not isinstance(value, str) or value not in SETTABLE_FIELDS:
            problems.append(f"{path}.set: unknown field {value!r}; settable: {sorted(SETTABLE_FIELDS)}")
        if "to" not in rule:
            problems.append(f"{path}: a 'set' action needs 'to'")
        else:
            _check_expr(rule["to"], f"{path}.to", problems, depth + 1)
    elif kind in ("add_label", "remove_label") and not isinstance(value, str):
        problems.append(f"{path}.{kind}: must be a string")
    elif kind == "set_labels" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        problems.append(f"{path}.set_labels: must be a list of strings")
    elif kind in ("add_mcc", "remove_mcc") and not _is_int(value):
        problems.append(f"{path}.{kind}: must be an integer MCC")
    elif kind == "set_mccs" and not (isinstance(value, list) and all(_is_int(v) for v in value)):
        problems.append(f"{path}.set_mccs: must be a list of integer MCCs")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_expr(expr: Any, path: str, problems: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        problems.append(f"{path}: expression is nested too deeply")
        return
    if expr is None or isinstance(expr, (str, bool, int, float)):
        return
    if isinstance(expr, list):
        problems.append(f"{path}: a list is not an expression (operands go inside an operator)")
        return
    if not isinstance(expr, Mapping) or len(expr) != 1:
        problems.append(f"{path}: an expression is a literal or an object with exactly one operator")
        return
    op, arg = next(iter(expr.items()))
    if op not in OPERATORS:
        problems.append(f"{path}: unknown operator {op!r}")
        return
    if op == "get":
        if not isinstance(arg, str) or arg not in GETTABLE_FIELDS:
            problems.append(f"{path}.get: unknown field {arg!r}; known: {sorted(GETTABLE_FIELDS)}")
        return
    args = arg if isinstance(arg, list) else [arg]
    if op in _BINARY and len(args) != 2:
        problems.append(f"{path}.{op}: needs exactly 2 operands, got {len(args)}")
    elif op in _UNARY and len(args) != 1:
        problems.append(f"{path}.{op}: needs exactly 1 operand, got {len(args)}")
    elif op in _VARIADIC and not args:
        problems.append(f"{path}.{op}: needs at least 1 operand")
    for k, sub in enumerate(args):
        _check_expr(sub, f"{path}.{op}[{k}]", problems, depth + 1)


# ---------------------------------------------------------------------------------------------- application


class _State:
    """Read/write view of one enrichment result for the rule interpreter."""

    def __init__(
        self, result: dict[str, Any], tx: Mapping[str, Any], account_holder_type: str | None
    ) -> None:
        self.result = result
        self.tx = tx
        self.account_holder_type = account_holder_type

    def _counterparty(self, create: bool) -> dict[str, Any] | None:
        entities = self.result["entities"]
        if entities["counterparty"] is None and create:
            entities["counterparty"] = {**blank_entity(), "type": "organization"}
        return entities["counterparty"]

    def get(self, name: str) -> Any:
        cp = self._counterparty(False) or {}
        cats = self.result["categories"]
        structured = self.result["location"].get("structured") or {}
        if name in _TX_FIELDS:
            return self.tx.get(name)
        if name == "account_holder_type":
            return self.account_holder_type
        if name in ("website", "logo"):
            return cp.get(name)
        if name == "mccs":
            return list(cp.get("mccs") or [])
        if name in _NAME_FIELDS:
            return cp.get("name")
        if name in _ID_FIELDS:
            return cp.get("id")
        if name == "counterparty_type":
            return cp.get("type")
        if name in _LABEL_FIELDS:
            return cats.get("general")
        if name in _ACCOUNTING_FIELDS:
            return cats.get("accounting")
        if name in ("intermediaries", "intermediary"):
            names = [e.get("name") for e in self.result["entities"]["intermediaries"]]
            return names if name == "intermediaries" else (names[0] if names else None)
        if name == "raw_address":
            return self.result["location"].get("raw_address")
        return structured.get(name)

    def set(self, name: str, value: Any) -> None:
        cats = self.result["categories"]
        if name in _LABEL_FIELDS:
            if isinstance(value, list):
                value = value[0] if value else NOT_ENOUGH_INFORMATION
            cats["general"] = None if value is None else str(value)
        elif name in _ACCOUNTING_FIELDS:
            cats["accounting"] = value if value is None else str(value)
        elif name == "mccs":
            values = value if isinstance(value, list) else [value]
            self._counterparty(True)["mccs"] = [int(v) for v in values if _is_int(v)]  # type: ignore[index]
        elif name == "counterparty_type":
            if value in ("person", "organization"):
                self._counterparty(True)["type"] = value  # type: ignore[index]
        else:
            key = "name" if name in _NAME_FIELDS else "id" if name in _ID_FIELDS else name
            self._counterparty(True)[key] = value if value is None else str(value)  # type: ignore[index]

    def labels(self) -> str | None:
        return self.result["categories"].get("general")


def apply_rules(
    rules: Sequence[Any], result: dict[str, Any], tx: Mapping[str, Any], account_holder_type: str | None
) -> None:
    """Apply a ruleset to a result in place (rules run in order; later rules see earlier edits)."""
    state = _State(result, tx, account_holder_type)
    for rule in rules:
        _run(rule, state, 0)


def _run(rule: Any, state: _State, depth: int) -> None:
    if depth > _MAX_DEPTH or not isinstance(rule, Mapping):
        return
    if "if" in rule:
        branch = "then" if _truthy(_eval(rule["if"], state, depth + 1)) else "else"
        for sub in rule.get(branch) or ():
            _run(sub, state, depth + 1)
        return
    if "set" in rule:
        field = rule["set"]
        if isinstance(field, str) and field in SETTABLE_FIELDS:
            state.set(field, _eval(rule.get("to"), state, depth + 1))
    elif "add_label" in rule:
        if isinstance(rule["add_label"], str):
            state.set("general", rule["add_label"])
    elif "remove_label" in rule:
        if state.labels() == rule["remove_label"]:
            state.set("general", NOT_ENOUGH_INFORMATION)
    elif "set_labels" in rule:
        labels = rule["set_labels"]
        if isinstance(labels, list):
            state.set("general", [str(v) for v in labels])
    elif "add_mcc" in rule or "remove_mcc" in rule or "set_mccs" in rule:
        _mcc_action(rule, state)


def _mcc_action(rule: Mapping[str, Any], state: _State) -> None:
    mccs = state.get("mccs")
    if "set_mccs" in rule and isinstance(rule["set_mccs"], list):
        mccs = rule["set_mccs"]
    elif _is_int(rule.get("add_mcc")) and rule["add_mcc"] not in mccs:
        mccs = [*mccs, rule["add_mcc"]]
    elif _is_int(rule.get("remove_mcc")):
        mccs = [m for m in mccs if m != rule["remove_mcc"]]
    state.set("mccs", mccs)


def _truthy(value: Any) -> bool:
    return bool(value)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _substring(a: Any, b: Any) -> bool:
    hay, needle = _text(a), _text(b)
    return hay is not None and needle is not None and needle.lower() in hay.lower()


def _starts(a: Any, b: Any) -> bool:
    s, p = _text(a), _text(b)
    return s is not None and p is not None and s.lower().startswith(p.lower())


def _ends(a: Any, b: Any) -> bool:
    s, p = _text(a), _text(b)
    return s is not None and p is not None and s.lower().endswith(p.lower())


_BINARY_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "is_substring": _substring,
    "starts_with": _starts,
    "ends_with": _ends,
}


def _eval(expr: Any, state: _State, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return None
    if not isinstance(expr, Mapping):
        return None if isinstance(expr, list) else expr
    if len(expr) != 1:
        return None
    op, arg = next(iter(expr.items()))
    if op == "get":
        return state.get(arg) if isinstance(arg, str) and arg in GETTABLE_FIELDS else None
    args = arg if isinstance(arg, list) else [arg]
    if op in ("&&", "and"):
        return all(_truthy(_eval(a, state, depth + 1)) for a in args)
    if op in ("||", "or"):
        return any(_truthy(_eval(a, state, depth + 1)) for a in args)
    values = [_eval(a, state, depth + 1) for a in args]
    try:
        return _apply_op(op, values, state)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError):
        return None


def _apply_op(op: str, values: list[Any], state: _State) -> Any:
    if op in _BINARY_FUNCS:
        if len(values) != 2:
            return None
        return _BINARY_FUNCS[op](values[0], values[1])
    value = values[0] if values else None
    if op in ("!", "not"):
        return not _truthy(value)
    if op in ("to_lower", "lower"):
        return value.lower() if isinstance(value, str) else None
    if op in ("to_upper", "upper"):
        return value.upper() if isinstance(value, str) else None
    if op == "has_label":
        return state.labels() == value
    if op == "has_mcc":
        return value in state.get("mccs")
    return None
