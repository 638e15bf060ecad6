"""Personalisation rules: validation messages and application to enrichment results."""

from __future__ import annotations

from typing import Any

import pytest

from ntropy_dagster.sandbox.enrichment import EnrichmentEngine, validate_rules


@pytest.fixture(scope="module")
def engine() -> EnrichmentEngine:
    return EnrichmentEngine()


def run(
    engine: EnrichmentEngine,
    description: str,
    rules: list[Any],
    entry_type: str = "outgoing",
    holder: str | None = "consumer",
    amount: float = 25.0,
) -> dict[str, Any]:
    assert validate_rules(rules) == []
    tx = {
        "id": "r1",
        "description": description,
        "entry_type": entry_type,
        "amount": amount,
        "currency": "USD",
    }
    return engine.enrich(tx, account_holder_type=holder, rules=rules)


def test_documented_example_rule(engine: EnrichmentEngine) -> None:
    rule = {
        "if": {"is_substring": [{"get": "website"}, "ntropy"]},
        "else": [{"remove_label": "coffee shops"}],
    }
    out = run(engine, "STARBUCKS", [rule])
    assert out["categories"]["general"] == "not enough information"
    untouched = run(engine, "NETFLIX", [rule])
    assert untouched["categories"]["general"] == "streaming services"


def test_set_fields(engine: EnrichmentEngine) -> None:
    rules = [
        {
            "if": {"is_substring": [{"get": "description"}, "acme"]},
            "then": [
                {"set": "merchant", "to": "Acme Corporation"},
                {"set": "website", "to": "acme.example"},
                {"set": "logo", "to": "https://logos.example/acme.png"},
                {"set": "mccs", "to": 5734},
                {"set": "category", "to": "software"},
            ],
        }
    ]
    out = run(engine, "ACME DEV TOOLS 1234", rules, holder="business")
    cp = out["entities"]["counterparty"]
    assert (cp["name"], cp["website"], cp["logo"], cp["mccs"]) == (
        "Acme Corporation",
        "acme.example",
        "https://logos.example/acme.png",
        [5734],
    )
    assert out["categories"]["general"] == "software"


def test_set_creates_counterparty_when_missing(engine: EnrichmentEngine) -> None:
    out = run(
        engine, "", [{"set": "counterparty", "to": "Cash"}, {"set": "counterparty_type", "to": "person"}]
    )
    assert out["entities"]["counterparty"]["name"] == "Cash"
    assert out["entities"]["counterparty"]["type"] == "person"
    assert out["entities"]["counterparty"]["mccs"] == []


def test_labels_and_later_rules_see_earlier_edits(engine: EnrichmentEngine) -> None:
    rules = [
        {"add_label": "coffee"},
        {"if": {"has_label": "coffee"}, "then": [{"set": "accounting", "to": "operational expenses"}]},
        {"if": {"==": [{"get": "category"}, "coffee"]}, "then": [{"add_label": "caffeine"}]},
    ]
    out = run(engine, "SBUX 1234", rules)
    assert out["categories"] == {"general": "caffeine", "accounting": "operational expenses"}
    out = run(engine, "SBUX", [{"set_labels": ["a", "b"]}])
    assert out["categories"]["general"] == "a"


def test_operators(engine: EnrichmentEngine) -> None:
    def label_if(expr: Any, description: str = "SQ *BLUE BOTTLE COFFEE", **kw: Any) -> str:
        rules = [{"if": expr, "then": [{"add_label": "yes"}], "else": [{"add_label": "no"}]}]
        return run(engine, description, rules, **kw)["categories"]["general"]

    amount = {"get": "amount"}
    assert label_if({">": [amount, 20]}) == "yes"
    assert label_if({"<=": [amount, 20]}) == "no"
    assert label_if({">=": [{"*": [amount, 2]}, 50]}) == "yes"
    assert label_if({"==": [{"//": [amount, 10]}, 2]}) == "yes"
    assert label_if({"&&": [{"==": [{"get": "entry_type"}, "outgoing"]}, {"has_mcc": 5814}]}) == "yes"
    assert label_if({"and": [True, {"not": {"has_mcc": 5814}}]}) == "no"
    assert label_if({"||": [False, {"starts_with": [{"get": "merchant"}, "blue"]}]}) == "yes"
    assert label_if({"ends_with": [{"get": "website"}, ".COM"]}) == "yes"
    assert label_if({"==": [{"to_lower": {"get": "merchant"}}, "blue bottle coffee"]}) == "yes"
    assert label_if({"==": [{"upper": {"get": "intermediary"}}, "SQUARE"]}) == "yes"
    assert label_if({"!=": [{"get": "account_holder_type"}, "consumer"]}) == "no"
    assert label_if({"==": [{"get": "city"}, "Oakland"]}, "SQ *BLUE BOTTLE COFFEE OAKLAND CA") == "yes"
    assert label_if({"==": [{"get": "counterparty_type"}, "person"]}, "VENMO *JOHN SMITH") == "yes"


def test_runtime_type_errors_do_not_fail(engine: EnrichmentEngine) -> None:
    rules = [
        {"if": {">": [{"get": "merchant"}, 5]}, "then": [{"add_label": "never"}]},
        {"if": {"/": [{"get": "amount"}, 0]}, "then": [{"add_label": "never"}]},
        {"if": {"is_substring": [{"get": "website"}, 3]}, "then": [{"add_label": "never"}]},
    ]
    out = run(engine, "", rules)
    assert out["categories"]["general"] == "not enough information"


def test_mcc_actions(engine: EnrichmentEngine) -> None:
    out = run(engine, "STARBUCKS", [{"add_mcc": 5812}, {"remove_mcc": 5814}])
    assert out["entities"]["counterparty"]["mccs"] == [5812]
    out = run(engine, "STARBUCKS", [{"set_mccs": [1111, 2222]}])
    assert out["entities"]["counterparty"]["mccs"] == [1111, 2222]


def test_rules_apply_without_account_holder(engine: EnrichmentEngine) -> None:
    out = run(engine, "STARBUCKS", [{"set": "website", "to": "example.com"}], holder=None)
    assert out["entities"]["counterparty"]["website"] == "example.com"
    assert out["categories"]["general"] == "missing account holder information"


def test_null_and_empty_branches_are_valid() -> None:
    assert (
        validate_rules([{"if": True, "then": [{"if": True, "then": [], "else": [None]}], "else": []}]) == []
    )
    assert validate_rules([]) == []


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        ("not a list", "must be a list"),
        ([42], "rules[0]: a rule must be an object"),
        ([{}], "exactly one of"),
        ([{"set": "website"}], "needs 'to'"),
        ([{"set": "nonsense", "to": 1}], "unknown field 'nonsense'"),
        ([{"add_label": 5}], "add_label: must be a string"),
        ([{"add_label": "a", "remove_label": "b"}], "exactly one of"),
        ([{"if": {"frobnicate": [1, 2]}, "then": []}], "unknown operator 'frobnicate'"),
        ([{"if": {"==": [1]}, "then": []}], "needs exactly 2 operands"),
        ([{"if": {"get": "password"}, "then": []}], "unknown field 'password'"),
        ([{"if": True, "then": {"add_label": "x"}}], "then: must be a list"),
        ([{"if": True, "then": [{"add_mcc": "5814"}]}], "rules[0].then[0].add_mcc"),
        ([{"if": [1, 2], "then": []}], "a list is not an expression"),
        ([{"if": {"==": [1, 2], "!=": [1, 2]}}], "exactly one operator"),
        ([{"if": True, "when": []}], "unexpected keys"),
        ([{"set_mccs": [1, "x"]}], "list of integer MCCs"),
    ],
)
def test_validation_messages(rules: Any, fragment: str) -> None:
    problems = validate_rules(rules)
    assert problems, rules
    assert any(fragment in p for p in problems), problems


def test_deep_nesting_is_rejected_not_crashing(engine: EnrichmentEngine) -> None:
    expr: Any = True
    for _ in range(200):
        expr = {"!": expr}
    assert any("nested too deeply" in p for p in validate_rules([{"if": expr, "then": []}]))
    out = engine.enrich({"description": "STARBUCKS"}, account_holder_type="consumer", rules=[{"if": expr}])
    assert out["categories"]["general"] == "coffee shops"
