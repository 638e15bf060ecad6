"""YAML for the real classes: a Dagster ``Resolver`` that builds a project class from its own fields.

``real_class_resolver(NtropyResource, ...)`` gives a :class:`dagster.Resolver` whose YAML model is
derived from the class itself (its fields, annotations, defaults and descriptions), so a component
resolves the very classes Python users construct instead of restating them. It works for pydantic
models (including ``dg.ConfigurableResource``) and for dataclasses (``PipelineOptions``); dataclass
field descriptions come from the ``Attributes:`` section of the class docstring.

Every field also accepts a template string (``"{{ env.X }}"``), rendered at load time. A field named in
``env_fields`` is instead read when a run starts: the YAML gives ``<field>_env: NAME`` and the instance
gets ``dg.EnvVar(NAME)``, so the value never appears in the YAML, the Dagster UI, a repr or a log.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin, get_type_hints

import dagster as dg
from pydantic import BaseModel, Field, TypeAdapter, create_model, model_validator
from pydantic_core import PydanticUndefined

_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOC_ATTRIBUTE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:, [A-Za-z_][A-Za-z0-9_]*)*):\s*(.*)$")


@dataclass(frozen=True)
class EnvField:
    """A field of the target class whose value is read from an environment variable at run time.

    Attributes:
        name: the field of the target class.
        default_env: the environment variable used when the YAML names none (None: no default).
        literal_allowed: False for secrets: the YAML may not give the value itself, only ``<name>_env``.
    """

    name: str
    default_env: str | None = None
    literal_allowed: bool = True


@dataclass(frozen=True)
class _TargetField:
    """One constructor field of the target class, as the YAML model shows it."""

    name: str
    annotation: Any
    default: Any
    default_factory: Callable[[], Any] | None
    description: str | None

    @property
    def accepts_none(self) -> bool:
        """Whether None is a valid value (an unset template then means "not given")."""
        optional = get_origin(self.annotation) in (Union, types.UnionType) and type(None) in get_args(
            self.annotation
        )
        return optional or self.default is None


def attribute_docs(cls: type) -> dict[str, str]:
    """Field descriptions from the ``Attributes:`` section of a Google-style class docstring."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    if "Attributes:" not in lines:
        return {}
    parts: dict[str, list[str]] = {}
    names: list[str] = []
    item_indent: int | None = None
    for line in lines[lines.index("Attributes:") + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            break  # the next section
        item_indent = indent if item_indent is None else item_indent
        match = _DOC_ATTRIBUTE.match(line)
        if indent == item_indent and match:
            names = match.group(1).split(", ")
            parts.update({name: [match.group(2)] for name in names})
        else:
            for name in names:
                parts[name].append(line.strip())
    return {name: " ".join(words) for name, words in parts.items()}


def _target_fields(target: type) -> list[_TargetField]:
    if dataclasses.is_dataclass(target):
        hints = get_type_hints(target)
        docs = attribute_docs(target)
        return [
            _TargetField(
                name=f.name,
                annotation=hints[f.name],
                default=PydanticUndefined if f.default is dataclasses.MISSING else f.default,
                default_factory=None if f.default_factory is dataclasses.MISSING else f.default_factory,
                description=docs.get(f.name),
            )
            for f in dataclasses.fields(target)
            if f.init
        ]
    if not issubclass(target, BaseModel):
        raise TypeError(f"{target.__name__} is neither a pydantic model nor a dataclass")
    return [
        _TargetField(
            name=name,
            annotation=info.rebuild_annotation(),
            default=info.default,
            default_factory=info.default_factory,  # type: ignore[arg-type]
            description=info.description,
        )
        for name, info in target.model_fields.items()
    ]


def yaml_model(target: type, env_fields: tuple[EnvField, ...] = ()) -> type[dg.Model]:
    """The YAML model of ``target``: its fields (each may also be a template string) and ``<f>_env``."""
    by_name = {f.name: f for f in env_fields}
    model_fields: dict[str, Any] = {}
    for f in _target_fields(target):
        env = by_name.get(f.name)
        if env is None or env.literal_allowed:
            default: dict[str, Any] = (
                {"default_factory": f.default_factory} if f.default_factory else {"default": f.default}
            )
            model_fields[f.name] = (f.annotation | str, Field(description=f.description, **default))
        if env is not None:
            model_fields[f"{f.name}_env"] = (
                str | None,
                Field(
                    default=env.default_env,
                    description=f"Name of the environment variable holding {f.name}, read when a run "
                    "starts (dg.EnvVar): the value never appears in the YAML, the Dagster UI or the logs."
                    + (f" Instead of {f.name}." if env.literal_allowed else ""),
                ),
            )
    secrets = tuple(env.name for env in env_fields if not env.literal_allowed)
    return create_model(
        f"{target.__name__}Yaml",
        __base__=dg.Model,
        # pydantic's stub types __validators__ as plain callables; a decorated validator is what it accepts.
        __validators__={"_no_secret_in_yaml": model_validator(mode="before")(_refuse_fields(secrets))},  # type: ignore[dict-item]
        **model_fields,
    )


def _refuse_fields(secrets: tuple[str, ...]) -> Callable[[type, Any], Any]:
    """A before-validator rejecting a secret written in the YAML with a message saying what to do."""

    def refuse(cls: type, data: Any) -> Any:
        given = [name for name in secrets if isinstance(data, dict) and name in data]
        if given:
            name = given[0]
            raise ValueError(
                f"{name} may not be written in YAML: give {name}_env, the name of the environment "
                "variable that holds it (read when a run starts)"
            )
        return data

    return refuse


def _path(context: dg.ResolutionContext, name: str) -> str:
    return ".".join(str(part) for part in [*context.path, name])


def _render(context: dg.ResolutionContext, field: _TargetField, raw: Any) -> Any:
    """The field's value with its templates rendered; a template that renders to nothing is an error
    unless the field accepts None (then it means "not given")."""
    value = context.at_path(field.name).resolve_value(raw)
    if isinstance(raw, str) and raw and value in (None, ""):
        if field.accepts_none:
            return None
        raise ValueError(
            f"{_path(context, field.name)} is empty after rendering {raw!r} "
            "(is the environment variable it reads set?)"
        )
    return value


def _env_var(context: dg.ResolutionContext, env: EnvField, raw_name: Any) -> dg.EnvVar:
    name = context.resolve_value(raw_name)
    if not isinstance(name, str) or not _ENV_VAR_NAME.fullmatch(name):
        raise ValueError(
            f"{_path(context, env.name + '_env')} must be the name of an environment variable, got {name!r}"
        )
    return dg.EnvVar(name)


def build_from_model(
    target: type, env_fields: tuple[EnvField, ...], context: dg.ResolutionContext, model: BaseModel
) -> Any:
    """An instance of ``target`` from its YAML model: only the fields the YAML gives are passed, so the
    class's own defaults and validation apply."""
    fields = {f.name: f for f in _target_fields(target)}
    values = {
        name: _render(context, fields[name], getattr(model, name))
        for name in model.model_fields_set
        if name in fields
    }
    for env in env_fields:
        raw_name = getattr(model, f"{env.name}_env")
        if raw_name is None:
            continue
        if env.name in values:
            where = _path(context, env.name)
            raise ValueError(f"give {where} or {where}_env, not both")
        values[env.name] = _env_var(context, env, raw_name)
    if dataclasses.is_dataclass(target):
        return TypeAdapter(target).validate_python(values)
    return target(**values)


def real_class_resolver(
    target: type,
    *,
    env_fields: tuple[EnvField, ...] = (),
    check: Callable[[Any], None] | None = None,
    description: str | None = None,
) -> dg.Resolver:
    """A ``dg.Resolver`` building ``target`` from YAML (see the module docstring).

    Args:
        target: a pydantic model, ``dg.ConfigurableResource`` or dataclass.
        env_fields: fields read from environment variables at run time.
        check: called with the built instance; raises ``ValueError`` for what the class cannot check.
        description: the attribute's description in the component's YAML schema.
    """
    model = yaml_model(target, env_fields)

    def resolve(context: dg.ResolutionContext, value: BaseModel) -> Any:
        instance = build_from_model(target, env_fields, context, value)
        if check is not None:
            check(instance)
        return instance

    return dg.Resolver(resolve, model_field_type=model, description=description)


def keyword_defaults(fn: Callable[..., Any]) -> Mapping[str, Any]:
    """The defaults of ``fn``'s keyword arguments (so a component shows the function's own defaults)."""
    return {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
