"""``dg scaffold defs ntropy_dagster.components.NtropyEnrichmentComponent <path>``.

Dagster's own :func:`~dagster.components.component_scaffolding.scaffold_component` writes the
``defs.yaml``; the attributes come from the scaffold parameters and the real classes' defaults, and
each key is then commented with its description from the component's YAML model (the classes' own
field descriptions), so the comments cannot drift from the code.
"""

from __future__ import annotations

import importlib
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import dagster as dg
from dagster.components.component_scaffolding import scaffold_component
from pydantic import BaseModel, Field

from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource

#: The options the scaffolded file spells out (with PipelineOptions' defaults); the rest stay implicit.
SCAFFOLDED_OPTIONS = ("batch_size", "max_in_flight", "max_attempts", "error_rate_threshold")
_COMMENT_WIDTH = 100


class NtropyScaffoldParams(BaseModel):
    """Options of ``dg scaffold defs ntropy_dagster.components.NtropyEnrichmentComponent <path>``."""

    raw_asset: str = Field(default="raw_transactions", description="Key of your raw-transactions asset.")
    partitioning: Literal["daily", "monthly", "none"] = "daily"
    start_date: str = Field(default="2024-01-01", description="First partition (daily or monthly).")
    mode: Literal["sensor", "blocking"] = "sensor"


def scaffold_attributes(params: NtropyScaffoldParams, attributes_model: type[BaseModel]) -> dict[str, Any]:
    """The attributes of a scaffolded ``defs.yaml``: working, sandbox-friendly values."""
    ntropy_model = _nested_model(attributes_model.model_fields["ntropy"].annotation)
    assert ntropy_model is not None, "the component's ntropy attribute has a YAML model"
    partitioning: dict[str, Any] = {"type": params.partitioning}
    if params.partitioning != "none":
        partitioning["start_date"] = params.start_date
    defaults = PipelineOptions()
    warehouse_fields = NtropyWarehouseResource.model_fields
    return {
        "raw_asset": params.raw_asset,
        "ntropy": {
            "api_key_env": ntropy_model.model_fields["api_key_env"].default,
            "region": NtropyResource.model_fields["region"].default,
            "base_url": "{{ env.NTROPY_BASE_URL }}",
        },
        "warehouse": {
            "url": warehouse_fields["url"].default,
            "table_prefix": warehouse_fields["table_prefix"].default,
        },
        "partitioning": partitioning,
        "mode": params.mode,
        "options": {name: getattr(defaults, name) for name in SCAFFOLDED_OPTIONS},
    }


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside a field annotation such as ``Model | str | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return next((m for m in map(_nested_model, get_args(annotation)) if m is not None), None)
    return None


def _comment(description: str, indent: str) -> Iterator[str]:
    for line in textwrap.wrap(description, _COMMENT_WIDTH - len(indent) - 2):
        yield f"{indent}# {line}"


def commented_yaml(text: str, attributes_model: type[BaseModel]) -> str:
    """``text`` (one scaffolded document) with each attribute key preceded by its description, and the
    attributes it leaves out listed at the end."""
    out: list[str] = []
    models: list[type[BaseModel] | None] = []  # the model of the mapping open at each indent level
    given: set[str] = set()
    for line in text.splitlines():
        stripped = line.lstrip()
        if ":" not in stripped or stripped.startswith(("#", "-")):
            out.append(line)
            continue
        key, indent = stripped.split(":", 1)[0], line[: len(line) - len(stripped)]
        del models[len(indent) // 2 :]
        parent = models[-1] if models else None
        field = parent.model_fields.get(key) if parent else None
        if parent is attributes_model:
            given.add(key)
        if field is not None and field.description:
            out.extend(_comment(field.description, indent))
        if not indent and key == "attributes":
            models.append(attributes_model)
        else:
            models.append(_nested_model(field.annotation) if field is not None else None)
        out.append(line)
    out.append("  # Also available:")
    for name, field in attributes_model.model_fields.items():
        if name not in given:
            out.extend(_comment(f"{name}: {field.description or ''}", "  "))
    return "\n".join(out) + "\n"


class NtropyEnrichmentScaffolder(dg.Scaffolder[NtropyScaffoldParams]):
    """Scaffolds a ``defs.yaml`` with Dagster's scaffolder, then comments it from the schema."""

    @classmethod
    def get_scaffold_params(cls) -> type[NtropyScaffoldParams]:
        return NtropyScaffoldParams

    def scaffold(self, request: dg.ScaffoldRequest[NtropyScaffoldParams]) -> None:
        # The component class is named by the request, as Dagster found this scaffolder through it.
        module_name, _, class_name = request.type_name.rpartition(".")
        model = getattr(importlib.import_module(module_name), class_name).model()
        params = request.params or NtropyScaffoldParams()
        path = request.target_path if request.append else request.target_path / "defs.yaml"
        before = path.read_text(encoding="utf-8") if request.append and path.exists() else ""
        scaffold_component(request, scaffold_attributes(params, model))
        if request.scaffold_format == "yaml":
            written = Path(path).read_text(encoding="utf-8")[len(before) :]
            Path(path).write_text(before + commented_yaml(written, model), encoding="utf-8")
