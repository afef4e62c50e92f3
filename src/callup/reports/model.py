"""The campaign report as typed data: what every renderer shows, with nothing left to compute.

Each section holds plain values (numbers, strings, dates, small lists and dicts), so the HTML
and PDF renderers and the JSON output show the same figures. A section that depends on work
the store does not record yet (induction, deployment) is `None` and renders as "not recorded".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any


@dataclasses.dataclass(frozen=True)
class PoolRules:
    """The eligible pool on one date under one policy version's age limits."""

    version: str
    effective_from: dt.date
    from_age: int
    until_age: int  # liability ends on this birthday
    total: int
    by_region: dict[str, int]
    by_age: dict[int, int]
    by_region_age: dict[str, dict[int, int]] = dataclasses.field(default_factory=dict)  # region -> age -> people


@dataclasses.dataclass(frozen=True)
class PoolSection:
    """The pool on the campaign's eligibility date under the rules in force and under the other age limits."""

    on: dt.date
    in_force: PoolRules
    compared: PoolRules | None  # the version before (or after) the age change, applied on the same date

    @property
    def rules(self) -> list[PoolRules]:
        """Oldest rules first."""
        both = [self.in_force] + ([self.compared] if self.compared else [])
        return sorted(both, key=lambda r: r.effective_from)


@dataclasses.dataclass(frozen=True)
class AllocationRow:
    region: str
    name: str
    pool: int
    volunteers: int
    quota: int
    number: int  # quota with the over-call: how many the draw calls
    called: int  # live calls (draw and replacements)
    released: int


@dataclasses.dataclass(frozen=True)
class VerificationCheck:
    name: str
    ok: bool
    detail: str
    rules_out: str


@dataclasses.dataclass(frozen=True)
class DrawSection:
    """The published draw record and its independent re-computation from the published files."""

    format_version: int
    commitment_hash: str
    beacon: str
    beacon_value: str
    seed: str
    pool_size: int
    pool_fingerprint: str
    called_total: int
    shortfall_total: int
    results_fingerprint: str
    verdict: str  # MATCH or MISMATCH
    checks: list[VerificationCheck]
    limits: list[str]
    files: dict[str, str]  # kind -> file name of the public record written beside the report


@dataclasses.dataclass(frozen=True)
class FunnelRow:
    """One region's path from called to inducted; `inducted` is None until case work records induction."""

    region: str
    called_by_draw: int
    replacements: int
    released: dict[str, int]  # reason -> people
    summoned: int  # people issued a summons (one cancelled by a release included)
    delivered: int
    appeared: int
    no_show: int
    inducted: int | None
    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)  # case work: where every called person stands
    converted: int = 0  # of the inducted, those who signed a contract during conscript service (still counted as inducted)

    @property
    def called(self) -> int:
        return self.called_by_draw + self.replacements

    @property
    def still_called(self) -> int:
        return self.called - sum(self.released.values())


@dataclasses.dataclass(frozen=True)
class FunnelSection:
    source: str  # where the funnel comes from: the case-work report, or calls and summonses until it exists
    stages: list[str]
    regions: list[FunnelRow]
    note: str
    outcomes: list[str] = dataclasses.field(default_factory=list)  # case work's outcomes, final ones first
    adds_up: bool | None = None  # case work's identities hold in every region (None: no case-work report)

    def total(self, stage: str) -> int | None:
        values = [stage_value(r, stage) for r in self.regions]
        known = [v for v in values if v is not None]
        return sum(known) if len(known) == len(values) else None


def stage_value(row: FunnelRow, stage: str) -> int | None:
    return {"called": row.called, "released": sum(row.released.values()), "still called": row.still_called,
            "summoned": row.summoned, "delivered": row.delivered, "appeared": row.appeared,
            "inducted": row.inducted}[stage]


@dataclasses.dataclass(frozen=True)
class FairnessTest:
    name: str
    statistic: str
    p_value: float
    rejects: bool


@dataclasses.dataclass(frozen=True)
class FairnessSection:
    n: int
    alpha: float
    flagged: bool
    tests: list[FairnessTest]
    months: list[dict[str, float]]  # month, count, mean share of the region's pool ahead, standard error
    regions: list[dict[str, Any]]  # region, pool, number, called_by_draw, selection_rate, expected_rate
    reasons: list[str]
    level: float = 0.0  # the level of each test (Bonferroni: alpha over the number of tests)
    untested: str = ""  # what could not be tested and why (import order when the pool came in one import batch)


@dataclasses.dataclass(frozen=True)
class DeliveryRow:
    region: str
    proved: int  # postal receipt, portal opening or acknowledgement
    deemed: int  # the policy's deemed-delivery rule
    undelivered: int  # returned, or no evidence yet
    by_source: dict[str, int]

    @property
    def total(self) -> int:
        return self.proved + self.deemed + self.undelivered


@dataclasses.dataclass(frozen=True)
class DeliverySection:
    regions: list[DeliveryRow]
    returned: int
    awaiting: int

    def total(self, field: str) -> int:
        return sum(getattr(r, field) for r in self.regions)


@dataclasses.dataclass(frozen=True)
class OpenCaseKind:
    kind: str
    count: int
    median_age_days: float
    oldest_age_days: int


@dataclasses.dataclass(frozen=True)
class CasesSection:
    total: int
    kinds: list[OpenCaseKind]
    age_buckets: dict[str, int]  # "0-7 days" -> cases
    by_region: dict[str, int]


@dataclasses.dataclass(frozen=True)
class GuardrailSection:
    """Deployment-guardrail events: refusals to deploy a status to a zone its policy forbids."""

    events: list[dict[str, Any]] | None  # None: case work does not record deployments yet
    forbidden: dict[str, list[str]]  # status -> zones the policy forbids


@dataclasses.dataclass(frozen=True)
class ProjectionSection:
    scenario: str
    months: int
    series: list[dict[str, Any]]  # month, label, total, active
    targets: list[dict[str, Any]]  # name, target, deadline, met_label, met_by_deadline, value_at_deadline, shortfall


@dataclasses.dataclass(frozen=True)
class QuestionnaireRow:
    region: str
    name: str
    sent: int
    answered: int
    on_paper: int
    rate: float


@dataclasses.dataclass(frozen=True)
class QuestionnaireSection:
    """The self-declaration sent before the campaign: response rates by region and where answers sent people."""

    round: str
    sent_on: dt.date
    deadline: dt.date
    sent: int
    answered: int
    rate: float
    regions: list[QuestionnaireRow]
    routes: dict[str, int]  # open routes by name
    leave_out_of_pool: list[str]  # routes the policy leaves out of a campaign's pool


@dataclasses.dataclass(frozen=True)
class CampaignReport:
    campaign: str
    status: str
    jurisdiction: str
    jurisdiction_name: str
    policy_version: str
    policy_sha256: str
    window: tuple[dt.date, dt.date]
    eligibility_date: dt.date
    quota: int
    over_call_rate: str
    allocation_method: str
    generated_at: dt.datetime
    generated_by: str
    pool: PoolSection
    allocation: list[AllocationRow]
    draw: DrawSection | None
    funnel: FunnelSection | None
    fairness: FairnessSection | None
    delivery: DeliverySection | None
    guardrail: GuardrailSection | None
    cases: CasesSection
    projection: ProjectionSection | None
    region_names: dict[str, str]
    frozen_pool: int | None = None  # people in the pool frozen for the draw
    questionnaire: QuestionnaireSection | None = None  # the newest self-declaration sent on or before the eligibility date
