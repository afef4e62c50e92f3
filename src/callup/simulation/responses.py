"""Simulated responses: drive a drawn campaign from summonses to induction, for demos, rehearsals and tests.

Every called person (and every replacement the simulated decisions cause) goes through the
real services: summons delivered or not (acknowledged on the portal, or by the post's
receipt); an application for civilian service, an exemption or a deferral, decided, sometimes
appealed; appearance or a no-show case resolved by an officer; the medical board; an appeal
against an unfit finding, sometimes overturned (a second examination follows); induction into
a unit the guardrail allows; for some, a contract signed later in the term where the policy's
conditions allow it. A round of summonses goes in phases (delivery, applications, decisions on
them, appeals against refusals, appearances, the medical board, appeals against its findings, induction),
everyone of the round through one before the next, as a campaign's work goes. Rates come from
a TOML file (`Rates`); the same seed on the same store gives the same run, whether it runs at
once or is stopped and resumed (a phase's people are simulated 500 a transaction). Decisions
are taken by named simulated actors and every reason says "simulation", so the audit log shows
them for what they are. Run it on a rehearsal store only."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import pathlib
import random
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Table, delete, exists, func, insert, select, text, update

from callup.audit import AuditEvent
from callup.campaigns.calls import release_reason as call_release_reason
from callup.campaigns.errors import CampaignNotFound, CampaignStateError
from callup.campaigns.tables import Call, Campaign
from callup.cases import appeals, civilian, deferrals, exemptions, medical, noshows, transitions
from callup.cases.decisions import ApplicationDecision, decide_application, decide_applications
from callup.cases.errors import CaseInputError, CaseStateError
from callup.cases.views import CaseView
from callup.context import Actor, Context, FixedClock, Role
from callup.military_service import induction
from callup.military_service.tables import Unit
from callup.military_service.units import import_units
from callup.notices import service as notices
from callup.notices.tables import LIVE, Summons
from callup.policy.months import add_months
from callup.simulation.tables import SimulatedPerson
from callup.store.columns import enum_value
from callup.uow import UnitOfWork

calls, campaigns, summonses, units = Call.__table__, Campaign.__table__, Summons.__table__, Unit.__table__
simulated = cast(Table, SimulatedPerson.__table__)
OFFICER = Actor("simulated officer", Role.administrator)
JUDGE = Actor("simulated appeals officer", Role.administrator)
BOARD = Actor("simulated medical board", Role.medical)
SYSTEM = Actor("simulation", Role.system)
#: The phases of a round, in order. Every person of a round takes a phase before anyone takes the next (the summons
#: delivered, then the applications made and decided, the appeals against refusals, the appointments kept, the medical board,
#: the appeals against its findings, induction), as a campaign's work goes: so the order of the releases, and with it
#: who replaces whom, is the same whatever the batch size.
DELIVERY, APPLICATION, DECISION, RECONSIDERATION, APPEARANCE, EXAMINATION, REVIEW, INDUCTION, FINISHED = range(9)
PHASE_NAMES = ("delivery", "application", "decision", "reconsideration", "appearance", "examination", "review", "induction")
#: The kinds of case a person's application opens.
APPLICATIONS = ("civilian_service", "exemption", "deferral")


class _Rates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Application(_Rates):
    apply: float = Field(ge=0, le=1)
    grant: float = Field(ge=0, le=1)
    grounds: dict[str, float] = Field(default_factory=dict, description="relative weights of the grounds cited")


class Appeal(_Rates):
    rate: float = Field(default=0.25, ge=0, le=1, description="share of refusals and unfit findings appealed")
    overturn: float = Field(default=0.3, ge=0, le=1)


class NoShow(_Rates):
    excuse: float = Field(default=0.5, ge=0)
    reschedule: float = Field(default=0.4, ge=0)
    refer: float = Field(default=0.1, ge=0)


class Rates(_Rates):
    """The simulation's rates; every key is optional (the defaults are a plausible campaign)."""

    delivery: float = Field(default=0.92, ge=0, le=1)
    portal: float = Field(default=0.5, ge=0, le=1, description="share of the delivered who acknowledge their summons on the "
                          "portal; the post's receipts deliver the rest")
    appearance: float = Field(default=0.86, ge=0, le=1)
    fitness: dict[str, float] = Field(default_factory=lambda: {"A": 0.45, "B": 0.3, "V": 0.1, "G": 0.08, "D": 0.07})
    deferral: Application = Application(apply=0.12, grant=0.7, grounds={"study": 0.6, "family_care": 0.2, "children": 0.2})
    exemption: Application = Application(apply=0.04, grant=0.6, grounds={"prior_service": 0.5, "bereaved_sibling": 0.5})
    civilian_service: Application = Application(apply=0.02, grant=0.8)
    appeal: Appeal = Appeal()
    no_show: NoShow = NoShow()
    contract: float = Field(default=0.05, ge=0, le=1, description="share of inducted conscripts who sign a contract during "
                            "their term, where the policy's conditions allow (on a day drawn between the policy's minimum "
                            "months served and the end of the term)")


def load_rates(path: pathlib.Path | None) -> Rates:
    """Rates from a TOML file (None: the defaults); errors name the file and the key."""
    if path is None:
        return Rates()
    path = pathlib.Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CaseInputError(f"{path}: cannot read rates file ({exc.strerror or exc})", field="rates") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseInputError(f"{path}: not valid TOML ({exc})", field="rates") from None
    try:
        return Rates.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CaseInputError(f"{path}: {problems}", field="rates") from None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Simulated(AuditEvent):
    """simulation.run: simulated responses drove a campaign (seed and counts; every step is audited on its own too)."""

    action: ClassVar[str] = "simulation.run"
    seed: int
    people: int
    steps: dict[str, int]


@dataclasses.dataclass(frozen=True, kw_only=True)
class SimulatedBatch(AuditEvent):
    """simulation.batch: a batch of a round's people taken through a phase and committed (counts; a stopped run resumes
    after it)."""

    action: ClassVar[str] = "simulation.batch"
    round: int
    phase: str
    people: int
    steps: dict[str, int]


@dataclasses.dataclass(frozen=True)
class SimulationResult:
    campaign: str
    seed: int
    rounds: int
    people: int
    steps: dict[str, int]
    already_done: bool = False


def _earlier_run(uow: UnitOfWork, campaign: str) -> SimulationResult | None:
    """The simulation already recorded for this campaign, if any: a campaign is simulated once."""
    import json

    row = uow.execute(text("SELECT details FROM audit_log WHERE action = :action AND target = :target ORDER BY seq DESC LIMIT 1"),
                      {"action": Simulated.action, "target": f"campaign:{campaign}"}).first()
    if row is None:
        return None
    d = json.loads(row.details)
    return SimulationResult(campaign, d["seed"], 0, d["people"], d["steps"], already_done=True)


class _Run:
    def __init__(self, uow: UnitOfWork, campaign: str, campaign_id: int, seed: int, rates: Rates) -> None:
        self.uow, self.campaign, self.campaign_id, self.seed, self.rates = uow, campaign, campaign_id, seed, rates
        self.window_start: dt.date = uow.execute(select(campaigns.c.window_start).where(campaigns.c.id == campaign_id)).scalar_one()
        self.rng: random.Random  # each person's own draws, made by `person`
        self.steps: Counter[str] = Counter()
        version = uow.ctx.policy().in_force(uow.ctx.today())
        self.categories = {c.code: c for c in version.fitness_categories}
        unknown = sorted(set(rates.fitness) - set(self.categories))
        if unknown:
            raise CaseInputError(f"rates: fitness categories {unknown} are not the policy's ({', '.join(self.categories)})",
                                 field="rates")

    @contextlib.contextmanager
    def acting(self, actor: Actor, *, at: dt.datetime | None = None) -> Iterator[UnitOfWork]:
        """Act as `actor`, at the instant `at` when it is later than the run's clock (an appointment's day)."""
        own = self.uow.ctx
        self.uow.ctx = own.with_actor(actor)
        if at is not None and at > own.now():
            self.uow.ctx = dataclasses.replace(self.uow.ctx, clock=FixedClock(at))
        try:
            yield self.uow
        finally:
            self.uow.ctx = own

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, weights: dict[str, float]) -> str | None:
        items = [(k, w) for k, w in sorted(weights.items()) if w > 0]
        if not items:
            return None
        return self.rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]

    def released(self, national_id: str) -> bool:
        return call_release_reason(self.uow, self.campaign_id, national_id) is not None

    # -- the phases: each takes a batch of people (their live summonses: national_id, reference, appointment) ----

    def take(self, phase: int, batch: list[Any]) -> dict[str, int]:
        """Take `phase` for a batch of people; returns the phase each goes to next (`FINISHED` when their call has
        ended here). A phase is set-based where its services are (a day's appearances on one sheet), else person by
        person; either way the people are taken in the order of their summonses."""
        if phase != DELIVERY:  # everyone of a later phase was named on delivery: their commitments read together
            self.uow.will_name(s.national_id for s in batch)
        return self.PHASES[phase](self, batch)

    def draws(self, phase: int, national_id: str) -> random.Random:
        """A person's own draws in a phase: the same whichever batch or run takes them, and whoever came before."""
        self.rng = random.Random(f"{self.seed}/{national_id}/{phase}")
        return self.rng

    def deliver(self, batch: list[Any]) -> dict[str, int]:
        """Each summons delivered or not; of the delivered, some acknowledge theirs on the portal, each their own, and
        the post's receipts deliver the others, recorded together from the post's report."""
        portal: list[Any] = []
        by_post: list[Any] = []
        for summons in batch:
            self.draws(DELIVERY, summons.national_id)
            if self.chance(self.rates.delivery):
                (portal if self.chance(self.rates.portal) else by_post).append(summons)
        self.uow.will_name(s.national_id for s in portal)  # each acknowledgement names its person: named together
        for summons in portal:
            with self.acting(_citizen(summons.national_id)) as uow:
                notices.acknowledge(uow, summons.reference, evidence="simulation: portal acknowledgement")
        if by_post:
            with self.acting(OFFICER) as uow:
                notices.record_postal(uow, "receipts", [notices.PostalEvent(s.reference, uow.ctx.today(),
                                                                            "simulation: the post's receipt") for s in by_post])
        delivered = {s.national_id for s in portal + by_post}
        self.steps.update(delivered=len(delivered), not_delivered=len(batch) - len(delivered),
                          acknowledged_on_the_portal=len(portal))
        return {s.national_id: APPLICATION if s.national_id in delivered else FINISHED for s in batch}

    def apply(self, batch: list[Any]) -> dict[str, int]:
        """Each person perhaps applies, on their own (a deferral whose ground a registry verifies may be granted at
        once, ending the call); an officer decides the others in the next phase, once everyone of the round has
        applied, so that the order of the releases is the summonses' whatever the batch size."""
        going: dict[str, int] = {}
        for summons in batch:
            national_id = summons.national_id
            self.draws(APPLICATION, national_id)
            made = self.application(national_id)
            going[national_id] = APPEARANCE
            if made is None:
                continue
            kind, case, released = made
            if case.state == "applied":
                going[national_id] = DECISION
            elif released:  # granted at once
                self.steps[f"{kind}_granted"] += 1
                going[national_id] = FINISHED
        return going

    def decide(self, batch: list[Any]) -> dict[str, int]:
        """An officer decides the batch's applications as one list, in the order of the summonses (the calls the grants
        end are filled from the reserve in that order). A refusal may be appealed in the next phase."""
        people = [s.national_id for s in batch]
        cases = transitions.person_cases(self.uow, self.campaign_id, people)
        waiting = {n: _latest(rows, self.campaign_id, "applied") for n, rows in cases.items()}
        grant = {}
        for national_id in people:
            self.draws(DECISION, national_id)
            grant[national_id] = self.chance(getattr(self.rates, enum_value(waiting[national_id]["kind"])).grant)
        with self.acting(OFFICER) as uow:
            decided = decide_applications(uow, [ApplicationDecision(waiting[n]["id"], "grant" if grant[n] else "refuse",
                                                                    "simulation: decided") for n in people])
        going = {}
        for national_id, decision in zip(people, decided, strict=True):
            kind = decision.case.kind
            going[national_id] = APPEARANCE
            if decision.case.state == "refused":
                self.steps[f"{kind}_refused"] += 1
                going[national_id] = RECONSIDERATION
            elif decision.released:
                self.steps[f"{kind}_granted"] += 1
                going[national_id] = FINISHED
        return going

    def reconsider(self, batch: list[Any]) -> dict[str, int]:
        """Perhaps an appeal against a refused application, decided; a refusal overturned is granted on review and the
        call ends. Everyone's application was decided in the phase before: the order of the releases is the
        summonses'."""
        people = [s.national_id for s in batch]
        cases = transitions.person_cases(self.uow, self.campaign_id, people)
        refused = {n: _latest(rows, self.campaign_id, "refused") for n, rows in cases.items()}

        def grant_on_review(case_id: int) -> None:
            decide_application(self.uow, case_id, "grant", reason="simulation: granted on review")

        going = {}
        for national_id in people:
            self.draws(RECONSIDERATION, national_id)
            case = refused[national_id]
            overturned = self.maybe_appeal(case["id"], _citizen(national_id), redecide=grant_on_review)
            released = overturned and self.released(national_id)
            self.steps[f"{enum_value(case['kind'])}_granted"] += released
            going[national_id] = FINISHED if released else APPEARANCE
        return going

    def attend(self, batch: list[Any]) -> dict[str, int]:
        """Who came is recorded from each day's sheet at the end of that day; the no-shows' cases are then opened and
        an officer resolves them as one list (no resolution ends a call: the order changes nothing); those rescheduled
        who keep their new appointment are recorded from its sheet."""
        rngs: dict[str, random.Random] = {}
        came: dict[str, bool] = {}
        for summons in batch:
            rngs[summons.national_id] = self.draws(APPEARANCE, summons.national_id)
            came[summons.national_id] = self.chance(self.rates.appearance)
        days: dict[dt.date, list[Any]] = {}
        for summons in batch:
            days.setdefault(summons.date, []).append(summons)
        for day in sorted(days):
            sheet = days[day]
            with self.acting(OFFICER, at=max(self.appointment_end(s) for s in sheet)) as uow:
                notices.record_appearances(uow, [notices.AppearanceChoice(s.reference, "appeared" if came[s.national_id]
                                                                          else "no_show", shown=notices.UNSEEN) for s in sheet])
        missed = [s for s in batch if not came[s.national_id]]
        opened: dict[str, int] = {}
        if missed:  # their cases opened together once the last of their days has ended
            with self.acting(OFFICER, at=max(self.appointment_end(s) for s in missed)) as uow:
                opened = noshows.open_no_shows(uow, self.campaign, references=[s.reference for s in missed]).opened_for
        going: dict[str, int] = {}
        resolving: list[noshows.Resolution] = []
        came_later: list[Any] = []
        for summons in batch:
            national_id = summons.national_id
            self.rng = rngs[national_id]
            if came[national_id]:
                self.steps["appeared"] += 1
                going[national_id] = EXAMINATION
                continue
            resolution = self.no_show(opened.get(national_id), resolving)
            kept = resolution == "reschedule" and self.chance(self.rates.appearance)
            if kept:  # the rescheduled appointment kept
                came_later.append(summons)
                self.steps["appeared"] += 1
            going[national_id] = EXAMINATION if kept else FINISHED
        if resolving:  # an officer resolves the no-shows as one list
            with self.acting(OFFICER, at=max(self.appointment_end(s) for s in missed)) as uow:
                noshows.resolve_no_shows(uow, resolving)
        if came_later:
            with self.acting(OFFICER, at=max(self.appointment_end(s) for s in came_later)) as uow:
                notices.record_appearances(uow, [notices.AppearanceChoice(s.reference, "appeared", shown=notices.UNSEEN)
                                                 for s in came_later])
        return going

    def board(self, batch: list[Any]) -> dict[str, int]:
        """The day's examinations opened together and the board's findings recorded as one list, in the order of the
        summonses (the calls it ends are filled from the reserve in that order); a temporary category is re-examined
        as late as the policy allows. Whoever is not found inductable may appeal in the next phase."""
        with self.acting(OFFICER) as uow:
            cases = medical.open_examinations(uow, self.campaign, [s.national_id for s in batch])
        found: dict[str, str] = {}
        for summons in batch:
            self.draws(EXAMINATION, summons.national_id)
            found[summons.national_id] = self.pick(self.rates.fitness) or next(iter(self.categories))
        with self.acting(BOARD) as uow:
            today = uow.ctx.today()

            def finding(case: CaseView) -> medical.Finding:
                months = self.categories[found[case.national_id]].reexamine_months
                return medical.Finding(case.id, found[case.national_id], add_months(today, months) if months else None)

            medical.decide_fitness_each(uow, [finding(case) for case in cases], details="simulation")
        going = {}
        for case in cases:
            self.steps[f"fitness_{found[case.national_id]}"] += 1
            going[case.national_id] = INDUCTION if self.categories[found[case.national_id]].inductable else REVIEW
        return going

    def review(self, batch: list[Any]) -> dict[str, int]:
        """Perhaps an appeal against the board's finding, decided; an overturned one gives the call back and a second
        examination finds the person fit, and they go on to induction."""
        people = [s.national_id for s in batch]
        examined = medical.latest_examinations(self.uow, {(self.campaign, n) for n in people})
        inductable = sorted(c for c, v in self.categories.items() if v.inductable)

        def examine_again(case_id: int) -> None:
            medical.decide_fitness(self.uow, case_id, inductable[0], reason="simulation: second examination")

        going = {}
        for national_id in people:
            self.draws(REVIEW, national_id)
            overturned = self.maybe_appeal(examined[(self.campaign, national_id)]["id"], _citizen(national_id),
                                            redecide=examine_again)
            going[national_id] = INDUCTION if overturned and not self.released(national_id) else FINISHED
        return going

    def serve(self, batch: list[Any]) -> dict[str, int]:
        """The batch inducted from one list, each person into the first of the units in their own random order (one
        the guardrail refuses: the next, for that person alone); then, for some, a contract later in the term."""
        rngs: dict[str, random.Random] = {}
        units: dict[str, list[str]] = {}
        for summons in batch:
            rngs[summons.national_id] = self.draws(INDUCTION, summons.national_id)
            units[summons.national_id] = self.units()
        listed = [s.national_id for s in batch if units[s.national_id]]
        with self.acting(OFFICER) as uow:
            start = max(uow.ctx.today(), self.window_start)
            done = dict(zip(listed, induction.induct_all(uow, self.campaign, [(n, units[n][0]) for n in listed], start=start),
                            strict=True))
        for summons in batch:
            national_id = summons.national_id
            self.rng = rngs[national_id]
            first = done.get(national_id)
            record = first.record if first is not None else None
            if record is None:
                record = self.induct(national_id, units[national_id][1:])
            else:
                self.steps["inducted"] += 1
            if record is not None and self.chance(self.rates.contract):
                self.sign(record)
        return dict.fromkeys((s.national_id for s in batch), FINISHED)

    def application(self, national_id: str) -> tuple[str, CaseView, bool] | None:
        """Perhaps an application, made by the person: its kind, its case and whether it released them at once."""
        r, rates = self.rng.random(), self.rates
        kinds = (("civilian_service", rates.civilian_service), ("exemption", rates.exemption), ("deferral", rates.deferral))
        for kind, rate in kinds:
            if r >= rate.apply:
                r -= rate.apply
                continue
            released = False
            with self.acting(_citizen(national_id)) as uow:
                if kind == "civilian_service":
                    case = civilian.apply_for_civilian_service(uow, self.campaign, national_id, statement="simulation: conscience")
                else:
                    ground = self.pick(rate.grounds)
                    if ground is None:
                        return None
                    apply = exemptions.apply_for_exemption if kind == "exemption" else deferrals.apply_for_deferral
                    applied = apply(uow, self.campaign, national_id, ground, evidence="SIM-DOC")
                    case = applied.case if isinstance(applied, deferrals.DeferralOutcome) else applied
                    released = isinstance(applied, deferrals.DeferralOutcome) and applied.released
            self.steps[f"{kind}_applied"] += 1
            return kind, case, released
        return None

    def maybe_appeal(self, case_id: int, citizen: Actor, redecide: Any) -> bool:
        """Perhaps an appeal, decided; True when the decision was overturned (and taken again by `redecide`)."""
        if not self.chance(self.rates.appeal.rate):
            return False
        with self.acting(citizen) as uow:
            appeal = appeals.lodge_appeal(uow, case_id, reason="simulation: appeal")
        self.steps["appealed"] += 1
        overturn = self.chance(self.rates.appeal.overturn)
        with self.acting(JUDGE) as uow:
            appeals.decide_appeal(uow, appeal.id, "overturn" if overturn else "uphold", reason="simulation: appeal decided")
        self.steps["overturned" if overturn else "upheld"] += 1
        if overturn:
            with self.acting(OFFICER if redecide.__name__ != "examine_again" else BOARD):
                redecide(case_id)
        return overturn

    def appointment_end(self, summons: Any) -> dt.datetime:
        """When the summons' appointment ends: its outcome is recorded then, not before."""
        from zoneinfo import ZoneInfo

        return dt.datetime.combine(summons.date, summons.end, tzinfo=ZoneInfo(self.uow.ctx.timezone))

    def no_show(self, case_id: int | None, resolving: list[noshows.Resolution]) -> str:
        """How an officer resolves a no-show's case (`case_id`, opened), added to `resolving`."""
        self.steps["no_show"] += 1
        weights = self.rates.no_show
        resolution = self.pick({"excuse": weights.excuse, "reschedule": weights.reschedule, "refer": weights.refer}) or "excuse"
        if case_id is not None:
            resolving.append(noshows.Resolution(case_id, resolution, f"simulation: {resolution}"))
            self.steps[f"no_show_{resolution}"] += 1
        return resolution

    def induct(self, national_id: str, units: list[str]) -> induction.RecordView | None:
        """Into the first of `units` the guardrail allows; None when it allows none."""
        with self.acting(OFFICER) as uow:
            start = max(uow.ctx.today(), self.window_start)
            for unit in units:
                done = induction.induct(uow, self.campaign, national_id, unit=unit, start=start)
                if done.record is not None:
                    self.steps["inducted"] += 1
                    return done.record
        return None

    def sign(self, record: induction.RecordView) -> None:
        """A contract signed on a day drawn within the term, from the policy's minimum months served on (the service
        checks the other conditions: a conscript who does not meet them signs nothing)."""
        rules = self.uow.ctx.policy().in_force(record.start).contract
        if rules is None or rules.min_months_served >= record.term_months:
            return
        months = self.rng.randrange(rules.min_months_served, record.term_months)
        day = min(add_months(record.start, months) + dt.timedelta(days=self.rng.randrange(28)),
                  record.planned_end - dt.timedelta(days=1))
        at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        try:
            with self.acting(OFFICER, at=at) as uow:
                done = induction.convert(uow, record.id, on=day, reason="simulation: contract signed")
        except CaseStateError:  # a condition the draw did not foresee (e.g. age): no contract
            self.steps["contract_not_allowed"] += 1
            return
        self.steps["contract_signed" if done.contract is not None else "contract_refused_by_guardrail"] += 1

    def units(self) -> list[str]:
        """Units in zones the policy allows for conscripts, in a random order (the guardrail still checks each)."""
        if not hasattr(self, "_units"):
            rules = [r for r in self.uow.ctx.policy().in_force(self.uow.ctx.today()).deployment if r.status == "conscript"]
            forbidden = {z for r in rules for z in r.forbidden_zones}
            self._units = [r.code for r in self.uow.execute(select(units.c.code, units.c.zone).order_by(units.c.code))
                           if r.zone not in forbidden]
        return self.rng.sample(self._units, len(self._units))

    PHASES: ClassVar[tuple[Callable[[_Run, list[Any]], dict[str, int]], ...]] = (deliver, apply, decide, reconsider, attend, board,
                                                                                 review, serve)


def _latest(cases: list[Any], campaign_id: int, state: str) -> Any:
    """The latest of a person's applications in the campaign (their cases as `transitions.person_cases` reads them, which
    include civilian service anywhere) in `state`."""
    return max((c for c in cases if c["campaign_id"] == campaign_id and enum_value(c["kind"]) in APPLICATIONS
                and c["state"] == state), key=lambda c: c["id"])


def _citizen(national_id: str) -> Actor:
    return Actor("simulated person", Role.citizen, person_id=national_id)


#: People simulated in one transaction: a run stopped part-way loses at most this many people's work.
BATCH = 500
#: The tables the simulation fills. On PostgreSQL their statistics are refreshed when a round's summonses are issued
#: and each time the people simulated since the last refresh outnumber those before it: a plan made while they were
#: nearly empty (an index walk over the whole campaign's summonses for one person's) costs milliseconds a statement
#: at full size, and autovacuum may be off or behind.
GROWN = ("summonses", "campaign_calls", "cases", "case_transitions", "medical_findings", "service_records", "service_steps",
         "pool_holds", "simulated_people")


def simulate(ctx: Context, campaign: str, *, seed: int = 0, rates: Rates | None = None,
             offices: pathlib.Path | None = None, units_file: pathlib.Path | None = None,
             advance: Callable[[int], None] = lambda n: None, batch: int = BATCH) -> SimulationResult:
    """Drive the drawn campaign with simulated responses, `batch` people a transaction, once per campaign (a second
    run reports the first, `already_done`). A run stopped part-way resumes where it stopped: each round's people are
    written down when it starts and each person's draws come from the seed and their national id, so a resumed run
    ends as an uninterrupted one would. `advance(n)` is called after each batch of n people's phase."""
    from callup.examples import path as example

    rates = rates or Rates()
    with UnitOfWork(ctx) as uow:
        uow.ctx.require(Role.administrator, doing="simulating responses")
        campaign_id = _drawn(uow, campaign)
        earlier = _earlier_run(uow, campaign)
        if earlier is not None:
            return earlier
        run = _Run(uow, campaign, campaign_id, seed, rates)
        if uow.execute(select(units.c.code).limit(1)).first() is None:
            with run.acting(OFFICER):
                import_units(uow, units_file or example("units/republic-of-example.csv"))
    steps = _steps_so_far(ctx, campaign)
    analysed = 0  # people's phases simulated by this run when the statistics were last refreshed
    simulated_here = 0
    while True:
        with UnitOfWork(ctx) as uow:
            run.uow = uow
            with run.acting(OFFICER):
                rnd, phase, todo = _round(uow, campaign, campaign_id, offices or example("offices/republic-of-example.csv"))
        if not todo:
            break
        if phase == DELIVERY:
            _analyse(ctx)
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            with UnitOfWork(ctx) as uow:
                _claim(uow, campaign, campaign_id, phase, [t.national_id for t in chunk])
                run.uow, run.steps = uow, Counter()
                going: dict[int, list[str]] = {}
                for national_id, next_phase in run.take(phase, chunk).items():
                    going.setdefault(next_phase, []).append(national_id)
                advance(len(chunk))
                for next_phase, people in sorted(going.items()):
                    uow.execute(update(simulated).where(simulated.c.campaign_id == campaign_id, simulated.c.national_id.in_(people))
                                .values(phase=next_phase))
                uow.record(SimulatedBatch(target=f"campaign:{campaign}", round=rnd, phase=PHASE_NAMES[phase],
                                          people=len(chunk), steps=dict(run.steps)))
            steps.update(run.steps)
            simulated_here += len(chunk)
            if simulated_here >= 2 * max(analysed, batch // 2):
                _analyse(ctx)
                analysed = simulated_here
    with UnitOfWork(ctx) as uow:
        _drawn(uow, campaign)
        if (earlier := _earlier_run(uow, campaign)) is not None:  # another run at the same time finished first
            return earlier
        rounds, people = uow.execute(select(func.coalesce(func.max(simulated.c.round), 0), func.count())
                                     .where(simulated.c.campaign_id == campaign_id)).one()
        uow.execute(delete(simulated).where(simulated.c.campaign_id == campaign_id))
        ordered = dict(sorted(steps.items()))
        uow.record(Simulated(target=f"campaign:{campaign}", seed=seed, people=people, steps=ordered))
    return SimulationResult(campaign, seed, rounds, people, ordered)


def _analyse(ctx: Context) -> None:
    """Refresh PostgreSQL's statistics of the tables the simulation fills (SQLite keeps none unless asked)."""
    with UnitOfWork(ctx) as uow:
        if uow.conn.dialect.name == "postgresql":
            uow.execute(text("ANALYZE " + ", ".join(GROWN)))


def _drawn(uow: UnitOfWork, campaign: str) -> int:
    """The drawn campaign's id, its row locked until the transaction ends (one simulation at a time)."""
    c = uow.execute(select(campaigns.c.id, campaigns.c.status).where(campaigns.c.name == campaign).with_for_update()).first()
    if c is None:
        raise CampaignNotFound(f"no campaign named {campaign!r}", field="campaign")
    if enum_value(c.status) != "drawn":
        raise CampaignStateError(f"campaign {campaign!r} is {enum_value(c.status)}: "
                                 "responses are simulated on a drawn campaign")
    return int(c.id)


def _round(uow: UnitOfWork, campaign: str, campaign_id: int, offices: pathlib.Path) -> tuple[int, int, list[Any]]:
    """The round under way, its next phase and the people still to take it, in the order of their summonses. A round
    not finished by an earlier run goes on; else summonses are issued (to the replacements the last round called)
    and everyone with a live summons not simulated before is written down as the next round. Nobody, when another
    run at the same time has finished the simulation (and cleared its progress)."""
    _drawn(uow, campaign)
    if _earlier_run(uow, campaign) is not None:
        return 0, DELIVERY, []

    def in_order(theirs: Any) -> Any:
        return (select(simulated.c.round, simulated.c.phase, summonses.c.national_id, summonses.c.reference, summonses.c.date,
                       summonses.c.end)
                .join(summonses, theirs).where(simulated.c.campaign_id == campaign_id).order_by(summonses.c.region, summonses.c.rank))

    # the earliest round with anyone to take, and its earliest phase: people in review are counted apart (their summons
    # was cancelled by the finding they appeal)
    pending = uow.execute(select(simulated.c.round, func.min(simulated.c.phase)).join(summonses, _live)
                          .where(simulated.c.campaign_id == campaign_id, simulated.c.phase < FINISHED)
                          .group_by(simulated.c.round)).all()
    pending += uow.execute(select(simulated.c.round, simulated.c.phase).distinct()
                           .where(simulated.c.campaign_id == campaign_id, simulated.c.phase == REVIEW)).all()
    if pending:
        rnd = min(int(r) for r, _ in pending)
        phase = min(int(p) for r, p in pending if r == rnd)
        rows = uow.execute(in_order(_cancelled_or_live if phase == REVIEW else _live)
                           .where(simulated.c.round == rnd, simulated.c.phase == phase)).all()
        return rnd, phase, list({row.national_id: row for row in rows}.values())  # once each, in the summonses' order
    notices.issue_summonses(uow, campaign, offices_path=offices)
    notices.publish_notices(uow, campaign)
    rnd = uow.execute(select(func.coalesce(func.max(simulated.c.round), 0)).where(simulated.c.campaign_id == campaign_id)).scalar_one() + 1
    # NOT EXISTS, an anti-join: NOT IN a subquery too large to hash in memory is read again for every summons
    before = exists().where(simulated.c.campaign_id == campaign_id, simulated.c.national_id == summonses.c.national_id)
    new = uow.execute(select(summonses.c.national_id).where(summonses.c.campaign_id == campaign_id,
                                                          summonses.c.status.in_([s.value for s in LIVE]),
                                                          ~before)).scalars().all()
    if not new:
        return rnd, DELIVERY, []
    uow.execute(insert(simulated), [{"campaign_id": campaign_id, "national_id": n, "round": rnd, "phase": DELIVERY} for n in new])
    return rnd, DELIVERY, uow.execute(in_order(_live).where(simulated.c.round == rnd)).all()


#: A person's summons in the simulation: their live one (one at most, found by the partial index of live summonses);
#: in review, whichever the board's finding cancelled (and any before it), read apart so as not to lose that index.
_cancelled_or_live = (summonses.c.campaign_id == simulated.c.campaign_id) & (summonses.c.national_id == simulated.c.national_id)
_live = _cancelled_or_live & summonses.c.status.in_([s.value for s in LIVE])


def _claim(uow: UnitOfWork, campaign: str, campaign_id: int, phase: int, people: list[str]) -> None:
    """Lock the campaign for a batch; a batch another run simulated meanwhile (or a run that finished) stops this one."""
    _drawn(uow, campaign)
    waiting = uow.execute(select(func.count()).where(simulated.c.campaign_id == campaign_id, simulated.c.phase == phase,
                                                     simulated.c.national_id.in_(people))).scalar_one()
    if waiting != len(people):  # done, or the other run finished and cleared its progress
        raise CampaignStateError(f"campaign {campaign!r} is being simulated by another run at the same time")


def _steps_so_far(ctx: Context, campaign: str) -> Counter[str]:
    """The steps of the batches an earlier, stopped run committed (none when nothing was stopped part-way)."""
    import json

    steps: Counter[str] = Counter()
    with UnitOfWork(ctx, write=False) as uow:
        for (details,) in uow.execute(text("SELECT details FROM audit_log WHERE action = :action AND target = :target"),
                                      {"action": SimulatedBatch.action, "target": f"campaign:{campaign}"}):
            steps.update(json.loads(details)["steps"])
    return steps
