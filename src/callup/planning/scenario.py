"""A force-planning scenario: stocks, monthly rates, campaigns, targets and their uncertainty.

A scenario is a TOML file (see docs/planning.md and examples/scenarios/) validated here with
pydantic. Every rate is a *monthly* probability in [0, 1]; the outflow rates of one category
must add up to at most 1 (nobody leaves twice). Anything else is rejected with an `InputError`
whose message names the file, the key and the problem, e.g.::

    examples/x.toml: contract.attrition_monthly: must be between 0 and 1, got -0.1
"""

from __future__ import annotations

import datetime as dt
import math
import os
import pathlib
import tomllib
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from callup.errors import InputError


def _rate(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {value:g}")
    return value


def _non_negative(value: float) -> float:
    if not math.isfinite(value):  # TOML has nan and inf; a projection of them is all NaN
        raise ValueError(f"must be a finite number, got {value:g}")
    if value < 0:
        raise ValueError(f"must not be negative, got {value:g}")
    return value


Rate = Annotated[float, AfterValidator(_rate)]
Count = Annotated[float, AfterValidator(_non_negative)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_outflows(owner: str, rates: dict[str, float]) -> None:
    total = sum(rates.values())
    if total > 1.0 + 1e-12:
        parts = " + ".join(f"{name} {value:g}" for name, value in rates.items())
        raise ValueError(f"{owner}outflow rates add up to {total:g} ({parts}), must be at most 1")


class Conscripts(_Strict):
    """Conscripts, tracked by month of service so that a term of N months is exact."""

    term_months: int = Field(12, ge=1, le=60, description="length of the term of service")
    initial: Count | list[Count] = Field(
        0.0,
        description="serving now: one number (spread evenly over the term) or one per month of service, newest first",
    )
    attrition_monthly: Rate = 0.0  # discharged early (health, hardship); share `to_reserve` joins the reserve
    losses_monthly: Rate = 0.0  # killed, missing, invalided: leave without joining the reserve
    conversion_monthly: Rate = 0.0  # sign a contract during the term
    conversion_at_term_end: Rate = 0.0  # share of those completing the term who sign a contract
    to_reserve: Rate = 1.0  # share of other leavers (term end and attrition) who join the reserve

    @model_validator(mode="after")
    def _rows_at_most_one(self) -> Conscripts:
        _check_outflows("", {"attrition_monthly": self.attrition_monthly, "losses_monthly": self.losses_monthly, "conversion_monthly": self.conversion_monthly})
        if isinstance(self.initial, list) and len(self.initial) != self.term_months:
            raise ValueError(f"initial has {len(self.initial)} values, term_months is {self.term_months}: give one per month of service")
        return self

    def initial_by_service(self) -> list[float]:
        """Serving conscripts per month of service (index 0: inducted this month)."""
        if isinstance(self.initial, list):
            return list(self.initial)
        return [self.initial / self.term_months] * self.term_months


class Category(_Strict):
    """A category counted as one stock: contract soldiers, officers, other recruits."""

    initial: Count = 0.0
    recruitment_monthly: Count = 0.0  # joiners from outside each month
    attrition_monthly: Rate = 0.0  # leave at end of contract or early; share `to_reserve` joins the reserve
    losses_monthly: Rate = 0.0  # killed, missing, invalided
    retirement_monthly: Rate = 0.0  # retire (age or length of service); share `to_reserve` joins the reserve
    to_reserve: Rate = 0.0
    max_recruitment_monthly: Count | None = None  # bound for the solver when recruitment is a lever

    @model_validator(mode="after")
    def _rows_at_most_one(self) -> Category:
        _check_outflows("", {"attrition_monthly": self.attrition_monthly, "losses_monthly": self.losses_monthly, "retirement_monthly": self.retirement_monthly})
        return self


class Reserve(_Strict):
    """Trained reservists with a mobilisation assignment; not part of the active force."""

    initial: Count = 0.0
    attrition_monthly: Rate = 0.0
    retirement_monthly: Rate = 0.0  # age out of the reserve

    @model_validator(mode="after")
    def _rows_at_most_one(self) -> Reserve:
        _check_outflows("", {"attrition_monthly": self.attrition_monthly, "retirement_monthly": self.retirement_monthly})
        return self


class Campaign(_Strict):
    """A call-up campaign held every year in `month`; `quota` people are inducted per campaign."""

    name: str = Field(min_length=1)
    month: int = Field(ge=1, le=12, description="calendar month of the first intake")
    quota: Count = 0.0  # inducted per campaign (not called)
    spread_months: int = Field(1, ge=1, le=6)  # intake spread evenly over this many months
    induction_yield: float = Field(1.0, gt=0.0, le=1.0)  # inducted per person called (see `plan calibrate`)
    min_quota: Count = 0.0  # policy floor on inducted per campaign (the solver never goes below)
    max_quota: Count | None = None  # policy limit on inducted per campaign
    eligible_pool: Count | None = None  # people the register can call in this campaign
    office_capacity: Count | None = None  # people the offices can process (call) in this campaign

    @model_validator(mode="after")
    def _floor_below_bounds(self) -> Campaign:
        if self.min_quota > self.quota_bound():
            raise ValueError(f"min_quota {self.min_quota:g} is above what the bounds allow ({self.quota_bound():g})")
        return self

    def quota_bound(self) -> float:
        """The largest quota the bounds allow (inducted per campaign); infinity when unbounded."""
        bounds = [float("inf")]
        if self.max_quota is not None:
            bounds.append(self.max_quota)
        for called in (self.eligible_pool, self.office_capacity):
            if called is not None:
                bounds.append(called * self.induction_yield)
        return min(bounds)


class Targets(_Strict):
    total: Count | None = None  # active + reserve
    active: Count | None = None  # conscripts + contract + officers + other
    by_month: int = Field(ge=1, description="month (1 = first projected month) by which the targets must be met")


Parameter = Literal[
    "conscripts.attrition_monthly",
    "conscripts.losses_monthly",
    "conscripts.conversion_monthly",
    "conscripts.conversion_at_term_end",
    "contract.attrition_monthly",
    "contract.losses_monthly",
    "contract.recruitment_monthly",
    "officers.attrition_monthly",
    "officers.losses_monthly",
    "officers.recruitment_monthly",
    "other.attrition_monthly",
    "other.losses_monthly",
    "other.recruitment_monthly",
    "reserve.attrition_monthly",
    "campaigns.fulfilment",
]


class Uncertain(_Strict):
    """One uncertain input and its distribution.

    Rates are drawn once per run (a run lives in one "world"); `campaigns.fulfilment`, the share
    of each quota actually inducted, is drawn per campaign and run; `*.recruitment_monthly` is
    the mean of a Poisson draw each month, itself drawn once per run.
    """

    parameter: Parameter
    dist: Literal["uniform", "triangular", "normal"]
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, ge=0.0)

    @model_validator(mode="after")
    def _complete(self) -> Uncertain:
        needs = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "normal": ("mean", "sd")}[self.dist]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.dist} distribution of {self.parameter} needs {', '.join(missing)}")
        if self.dist != "normal":
            points = [getattr(self, name) for name in needs]
            if points != sorted(points):
                raise ValueError(f"{self.parameter}: need {' <= '.join(needs)}, got {', '.join(f'{p:g}' for p in points)}")
            if points[0] < 0:
                raise ValueError(f"{self.parameter}: low must not be negative, got {points[0]:g}")
            if self.parameter.endswith("_monthly") and not self.parameter.endswith("recruitment_monthly") and points[-1] > 1:
                raise ValueError(f"{self.parameter}: a rate cannot exceed 1, got high {points[-1]:g}")
        return self


class SolverOptions(_Strict):
    levers: list[Literal["conscripts", "contract"]] = ["conscripts"]
    per_campaign_occurrence: bool = False  # one quota per campaign and year instead of one per campaign
    contract_weight: float = Field(default=1.0, gt=0)  # cost of a contract recruit relative to one person called


class Scenario(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    start: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="first projected month, YYYY-MM")
    months: int = Field(36, ge=1, le=600)
    conscripts: Conscripts
    campaigns: list[Campaign] = []
    contract: Category = Category()
    officers: Category = Category()
    other: Category = Category()
    reserve: Reserve = Reserve()
    targets: Targets | None = None
    uncertainty: list[Uncertain] = []
    solver: SolverOptions = SolverOptions()

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        names = [c.name for c in self.campaigns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"campaign names must be unique, repeated: {', '.join(duplicates)}")
        params = [u.parameter for u in self.uncertainty]
        repeated = sorted({p for p in params if params.count(p) > 1})
        if repeated:
            raise ValueError(f"uncertainty: each parameter at most once, repeated: {', '.join(repeated)}")
        return self

    def start_date(self) -> dt.date:
        year, month = map(int, self.start.split("-"))
        return dt.date(year, month, 1)

    def month_label(self, t: int) -> str:
        """Calendar label of projected month t (t = 0 is the month before the first projected one)."""
        start = self.start_date()
        index = start.year * 12 + start.month - 1 + t - 1
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    def calendar_month(self, t: int) -> int:
        return int(self.month_label(t)[5:])


#: The counts of people in a scenario (stocks, flows per month, quotas and their bounds, targets), by table.
COUNTS = {"conscripts": ("initial",), "contract": ("initial", "recruitment_monthly", "max_recruitment_monthly"),
          "officers": ("initial", "recruitment_monthly", "max_recruitment_monthly"),
          "other": ("initial", "recruitment_monthly", "max_recruitment_monthly"), "reserve": ("initial",),
          "targets": ("total", "active")}
CAMPAIGN_COUNTS = ("quota", "min_quota", "max_quota", "eligible_pool", "office_capacity")


def scaled(scenario: Scenario, factor: float) -> Scenario:
    """The scenario for a country `factor` times the size: every count of people multiplied, every rate kept.

    Uncertain recruitment (a count per month) is scaled with it; the other uncertain inputs are rates.
    """
    if not (math.isfinite(factor) and factor > 0):
        raise InputError(f"must be a positive number, got {factor:g}", field="scale")
    data = scenario.model_dump()

    def times(value: Any) -> Any:
        if value is None:
            return None
        return [v * factor for v in value] if isinstance(value, list) else value * factor

    for table, keys in COUNTS.items():
        if data.get(table) is not None:
            for key in keys:
                data[table][key] = times(data[table][key])
    for campaign in data["campaigns"]:
        for key in CAMPAIGN_COUNTS:
            campaign[key] = times(campaign[key])
    for u in data["uncertainty"]:
        if u["parameter"].endswith("recruitment_monthly"):
            for key in ("low", "mode", "high", "mean", "sd"):
                u[key] = times(u[key])
    return parse_scenario(data, source=f"{scenario.name} scaled by {factor:g}")


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _explain(source: str, exc: ValidationError) -> InputError:
    problems = []
    for err in exc.errors():
        where = _where(tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "list[", "float", "int")))))
        message = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if err["type"] not in ("value_error", "missing", "extra_forbidden") and isinstance(value, (int, float, str, bool)):
            message += f", got {value!r}"
        if err["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        problems.append(f"{where}: {message}" if where else message)
    return InputError(f"{source}: " + "; ".join(dict.fromkeys(problems)))


def parse_scenario(data: dict[str, Any], *, source: str = "scenario") -> Scenario:
    """Validate already-parsed TOML data; `source` names the file in error messages."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _explain(source, exc) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario file; raises `InputError` naming the file, key and problem."""
    path = pathlib.Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read scenario file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    where = _non_finite(data)
    if where:  # TOML allows nan and inf; no figure of a scenario may be either
        raise InputError(f"{path}: {where}: must be a finite number")
    return parse_scenario(data, source=str(path))


def _non_finite(value: Any, where: str = "") -> str | None:
    """The key of the first NaN or infinite number in a parsed TOML document, if any."""
    if isinstance(value, float) and not math.isfinite(value):
        return where or "(top level)"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _non_finite(item, f"{where}.{key}" if where and isinstance(key, str) else f"{where}[{key}]" if where else str(key))
        if found:
            return found
    return None
