"""The policy file reference (`docs/policy-reference.md`), generated from the pydantic models.

Every key of every table, with its TOML path, type, whether it is required or its default, its
constraints and its description, read from `callup.policy.model`, so the reference cannot drift
from what `callup policy check` accepts. `callup policy reference --out docs/policy-reference.md`
rewrites the file; a test checks the committed file equals this output.
"""

from __future__ import annotations

import datetime as dt
import inspect
import types
import typing
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from callup.policy.model import Jurisdiction, PolicyVersion, Region

# Keys the loader fills in itself: never written in a policy file.
COMPUTED = {("Jurisdiction", "source"), ("Jurisdiction", "sha256"), ("Jurisdiction", "regions"), ("Jurisdiction", "versions")}

# Descriptions of keys whose model field has none (a field's own `description` wins). A test
# checks every key has one, so a new key without a description fails until it gets one.
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Jurisdiction", "code"): "the jurisdiction's code, recorded with every campaign",
    ("Jurisdiction", "name"): "the jurisdiction's name, printed on letters and reports",
    ("Region", "code"): "region code; the register's `region` column must use these codes",
    ("Region", "name"): "region name as shown in tables and letters",
    ("PolicyVersion", "version"): "the version's name, e.g. 2024.1 (unique in the file; recorded with every campaign)",
    ("PolicyVersion", "effective_from"): "first day this version is in force; strictly increasing over the file",
    ("PolicyVersion", "summary"): "one line on what the version changes (not inherited by the next version)",
    ("PolicyVersion", "registration"): "who must be on the register",
    ("PolicyVersion", "conscription"): "who may be called",
    ("PolicyVersion", "campaigns"): "the campaign windows of a year",
    ("PolicyVersion", "service"): "terms of service",
    ("PolicyVersion", "fitness_categories"): "the medical board's categories",
    ("PolicyVersion", "deferral_grounds"): "grounds on which a called person may be deferred",
    ("PolicyVersion", "exemption_grounds"): "grounds of permanent exemption",
    ("PolicyVersion", "deployment"): "zones a service status may not be assigned to",
    ("PolicyVersion", "contract"): "conversion of a serving conscript to contract service",
    ("PolicyVersion", "notices"): "summonses: channels, deadlines, delivery rules",
    ("PolicyVersion", "appeals"): "appeals against case decisions",
    ("PolicyVersion", "decisions"): "how long the office takes to decide applications and appeals (told to the applicant)",
    ("PolicyVersion", "publication"): "what may be published (the transparency report)",
    ("PolicyVersion", "retention"): "how long records are kept",
    ("Registration", "sexes"): "sexes that must register",
    ("Conscription", "sexes"): "sexes that may be called",
    ("Conscription", "from_age"): "liability starts on this birthday (included)",
    ("Conscription", "until_age"): "liability ends on this birthday (excluded)",
    ("CampaignWindow", "name"): "campaign name within the year, e.g. spring",
    ("Service", "term_months"): "months of military service",
    ("Service", "alternative_service_term_months"): "months of alternative civilian service",
    ("FitnessCategory", "code"): "category code, e.g. A (unique in the version)",
    ("FitnessCategory", "description"): "what the category means",
    ("FitnessCategory", "inductable"): "a person in this category may be inducted; otherwise the call ends and a replacement is called",
    ("DeferralGround", "code"): "ground code, e.g. study (unique in the version)",
    ("DeferralGround", "description"): "what the ground covers",
    ("DeferralGround", "max_months"): "longest deferral on this ground",
    ("ExemptionGround", "code"): "ground code, e.g. prior_service (unique in the version)",
    ("ExemptionGround", "description"): "what the ground covers",
    ("ExemptionGround", "evidence"): "documents the applicant must supply",
    ("DeploymentRule", "forbidden_zones"): "zones a person of this status may not be assigned to",
    ("Notices", "channels"): "how summonses are sent: by post, on the portal, or both",
    ("Retention", "register_years_after_liability"): "years a register record is kept after liability ends",
    ("Retention", "medical_years"): "years medical findings are kept",
    ("Retention", "audit_years"): "years audit entries are kept",
    ("Words", "en"): "in English",
    ("Words", "ru"): "in Russian",
    ("Choice", "code"): "the choice's name in answers (lower-case letters, digits, _; unique in the question)",
    ("Choice", "text"): "the choice, in plain words",
    ("Questionnaire", "questions"): "the questions, in the order they are asked (one a page on the portal)",
}

# What each validator across keys checks, by model and validator name. A test checks every validator
# of the models is described here.
CHECKS: dict[tuple[str, str], str] = {
    ("Conscription", "_window"): "`until_age` is greater than `from_age`",
    ("CampaignWindow", "_real_day"): "`start` and `end` are calendar days (02-29 allowed)",
    ("FitnessCategory", "_temporary_is_not_inducted"): "an inductable category has no `reexamine_months`",
    ("DeferralGround", "_auto_grant_needs_a_registry"): "`auto_grant` needs a `registry`",
    ("DeploymentRule", "_overrides_are_forbidden_zones"): "every `overridable_zones` entry is among `forbidden_zones`",
    ("Notices", "_known_channels"): "`deemed_delivered_days` names only channels listed in `channels`",
    ("PolicyVersion", "_a_date"): "`effective_from` is a TOML date (YYYY-MM-DD), not a number",
    ("PolicyVersion", "_unique_codes"): "codes of fitness categories, deferral and exemption grounds, and campaign names "
                                        "are unique; at least one fitness category is inductable; `contract.fitness_categories` "
                                        "are codes of `fitness_categories`; a questionnaire's `deferral_check` names a "
                                        "deferral ground with a `registry`",
    ("Question", "_consistent"): "a `choice` question has two or more choices with unique codes, other types none; "
                                 "each effect's `when` is an answer the question can have; a `deferral_check` effect "
                                 "names a `ground`, and only it",
    ("Questionnaire", "_unique_ids"): "question ids are unique",
    ("Jurisdiction", "_a_pattern"): "`postcode_pattern` is a regular expression the register import can use, and matches no "
                                    "postcode beginning with = + - or @",
    ("Jurisdiction", "_consistent"): "region codes are unique; versions have unique names and strictly increasing "
                                     "`effective_from` dates",
}

HEADER = """# Policy file reference

<!-- Generated by `callup policy reference` from src/callup/policy/model.py: do not edit by hand;
     run `callup policy reference --out docs/policy-reference.md` after changing the models. -->

A policy file is TOML with three parts: `[jurisdiction]`, one `[[regions]]` table per region, and
one `[[versions]]` table per version of the law, oldest first. The first version is complete; a
later one states only what it changes and is merged onto the one before (tables key by key, lists
and values replaced whole). See `docs/policy.md` for effective dates and ages, and
`examples/policies/` for two complete files. `callup policy check FILE` validates a file against
exactly the rules below and names the first problem.

Columns: **key** as written in the file; **type** (`list[T]` is a TOML array, a table type links
to its section); **required** or the **default** taken when the key is absent from the merged
version; **constraints** checked on load (`>=`, `<=`, length of text or of a list, a pattern).
"""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for arg in (annotation, *get_args(annotation)):
        if inspect.isclass(arg) and issubclass(arg, BaseModel):
            return arg
    return None


def _anchor(model: type[BaseModel]) -> str:
    return _TITLES[model.__name__].lower().replace("[", "").replace("]", "").replace(".", "").replace(" ", "-")


def _type(annotation: Any) -> str:
    origin = get_origin(annotation)
    if annotation is type(None):
        return "none"
    if origin is Literal:
        return " \\| ".join(f'`"{a}"`' for a in get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        parts = [a for a in get_args(annotation) if a is not type(None)]
        text = " \\| ".join(_type(a) for a in parts)
        return f"{text} (optional)" if len(parts) < len(get_args(annotation)) else text
    if origin is list:
        (item,) = get_args(annotation)
        return f"list[{_type(item)}]"
    if origin is dict:
        key, value = get_args(annotation)
        return f"table of {_type(key)} → {_type(value)}"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return f"[`{_TITLES[annotation.__name__]}`](#{_anchor(annotation)})"
    names = {int: "integer", str: "string", bool: "boolean", float: "number", Decimal: "decimal number",
             dt.date: "date (YYYY-MM-DD)"}
    if annotation in names:
        return names[annotation]
    return str(annotation).replace("typing.", "")


def _constraints(info: FieldInfo) -> str:
    out = []
    labels = {"ge": ">= {}", "gt": "> {}", "le": "<= {}", "lt": "< {}", "min_length": "length >= {}",
              "max_length": "length <= {}", "pattern": "matches `{}`", "multiple_of": "multiple of {}"}
    for meta in info.metadata:
        for attr, label in labels.items():
            value = getattr(meta, attr, None)
            if value is not None:
                out.append(label.format(value))
    return ", ".join(out)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        value = typing.cast("typing.Callable[[], Any]", info.default_factory)()  # the policy's factories take no data
        if isinstance(value, BaseModel):
            return "the table's defaults"
        return f"`{value!r}`".replace("'", '"')
    value = info.default
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list):
        return f"`{value!r}`".replace("'", '"')
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def description(model: type[BaseModel], name: str) -> str:
    """A key's description: the model field's own, else the one kept here; empty when neither has one."""
    return model.model_fields[name].description or DESCRIPTIONS.get((model.__name__, name), "")


def checks(model: type[BaseModel]) -> list[str]:
    """What the model's validators check across keys; a `KeyError` names a validator with no text here."""
    found = model.__pydantic_decorators__
    names = list(found.model_validators) + list(found.field_validators)
    missing = [name for name in names if (model.__name__, name) not in CHECKS]
    if missing:
        raise KeyError(f"{model.__name__}: validators {missing} are not described in CHECKS (callup/policy/reference.py)")
    return [CHECKS[(model.__name__, name)] for name in names]


def _describe(model: type[BaseModel]) -> list[str]:
    doc = inspect.getdoc(model) or ""
    own = doc if model.__doc__ and "__doc__" in vars(model) else ""
    lines = [f"## `{_TITLES[model.__name__]}`", ""]
    if own:
        lines += [" ".join(own.split()), ""]
    lines += ["| key | type | required / default | constraints | description |", "| --- | --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        if (model.__name__, name) in COMPUTED:
            continue
        lines.append(f"| `{name}` | {_type(info.annotation)} | {_default(info)} | {_cell(_constraints(info))} | "
                     f"{_cell(description(model, name))} |")
    lines.append("")
    for check in checks(model):
        lines += [f"Checked: {check}.", ""]
    return lines


def models() -> list[type[BaseModel]]:
    """Every table of a policy file, in the order a file is written: depth first from the top."""
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for info in model.model_fields.values():
            inner = _model_of(info.annotation)
            if inner is None:
                for arg in get_args(info.annotation):
                    inner = inner or _model_of(arg)
            if inner is not None:
                visit(inner)

    for top in (Jurisdiction, Region, PolicyVersion):
        visit(top)
    return seen


def _titles() -> dict[str, str]:
    titles = {"Jurisdiction": "[jurisdiction]", "Region": "[[regions]]", "PolicyVersion": "[[versions]]"}

    def visit(model: type[BaseModel], path: str) -> None:  # tables inside tables: [versions.notices.reminders]
        for name, info in model.model_fields.items():
            inner = _model_of(info.annotation)
            if inner is None:
                for arg in get_args(info.annotation):
                    inner = inner or _model_of(arg)
            if inner is not None and inner.__name__ not in titles:  # a table used in several places: its first
                many = get_origin(info.annotation) is list
                titles[inner.__name__] = f"[[{path}.{name}]]" if many else f"[{path}.{name}]"
                visit(inner, f"{path}.{name}")

    visit(PolicyVersion, "versions")
    return titles


_TITLES = _titles()


def policy_reference() -> str:
    """The whole reference as Markdown text (ends with one newline)."""
    lines = HEADER.splitlines() + [""]
    for model in models():
        lines += _describe(model)
    return "\n".join(lines).rstrip("\n") + "\n"
