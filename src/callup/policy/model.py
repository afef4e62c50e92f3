"""Validated models of a jurisdiction's rules.

A policy file holds the jurisdiction's fixed facts (name, regions) and a list of versions,
each with the date it takes effect. A later version states only what it changes; the rules in
force on a date are the first version with every later one up to that date merged on top
(see `loader.py`). Nothing in the code knows any particular country: every number here comes
from a file.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Sex = Literal["M", "F", "X"]
#: Letters and digits, with spaces and dashes inside: "01001", "SW1A 1AA", "123-4567".
POSTCODE_PATTERN = r"[A-Za-z0-9](?:[A-Za-z0-9 -]{0,14}[A-Za-z0-9])?"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Strict):
    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1)


class Registration(_Strict):
    """Who must be on the register."""

    citizenships: list[str] = Field(min_length=1, description="citizenship codes that make a person liable")
    sexes: list[Sex] = Field(min_length=1)
    age: int = Field(ge=10, le=60, description="age at which a person must be registered")
    in_year_of_birthday: bool = Field(
        default=False, description="register from 1 January of the year the person turns `age`, not from the birthday"
    )


class Conscription(_Strict):
    """Who may be called: liability starts on the `from_age` birthday and ends on the `until_age` birthday."""

    sexes: list[Sex] = Field(min_length=1)
    from_age: int = Field(ge=14, le=60)
    until_age: int = Field(ge=15, le=70)
    volunteers_first: bool = Field(default=False, description="volunteers fill each region's quota before the draw")
    max_over_call_rate: Decimal = Field(
        default=Decimal("2"), ge=0, le=10, allow_inf_nan=False,
        description="the largest over-call a campaign may add to its quota: 2 (the default) calls at most three times "
                    "the quota, enough for an induction yield down to a third; at most 10")

    @model_validator(mode="after")
    def _window(self) -> Conscription:
        if self.until_age <= self.from_age:
            raise ValueError(f"until_age ({self.until_age}) must be greater than from_age ({self.from_age})")
        return self


class CampaignWindow(_Strict):
    name: str
    start: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD")
    end: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD")

    @field_validator("start", "end")
    @classmethod
    def _real_day(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        try:
            dt.date(2000, month, day)  # a leap year, so 02-29 is allowed
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar day (MM-DD)") from None
        return value

    def dates(self, year: int) -> tuple[dt.date, dt.date]:
        start = dt.date(year, *map(int, self.start.split("-")))
        end = dt.date(year, *map(int, self.end.split("-")))
        return start, end


class Service(_Strict):
    term_months: int = Field(ge=1, le=60)
    alternative_service_term_months: int = Field(ge=1, le=72)


class FitnessCategory(_Strict):
    code: str
    description: str
    inductable: bool
    reexamine_months: int | None = Field(
        default=None, ge=1, le=60, description="a temporary category: the person is re-examined at most this many months "
        "later and returns to the pool of the campaigns after that date")

    @model_validator(mode="after")
    def _temporary_is_not_inducted(self) -> FitnessCategory:
        if self.inductable and self.reexamine_months is not None:
            raise ValueError(f"category {self.code}: an inductable category cannot have reexamine_months")
        return self


class DeferralGround(_Strict):
    code: str
    description: str
    evidence: list[str] = Field(default_factory=list, description="documents the applicant must supply")
    max_months: int = Field(ge=1, le=240)
    registry: str | None = Field(default=None, min_length=1, max_length=64, description="an imported registry "
                                 "(`callup registries import NAME FILE`) the ground is checked against when the application is made")
    auto_grant: bool = Field(default=False, description="grant at once when the registry verifies the ground; a ground "
                             "that does not verify waits for an officer (never an automatic refusal)")

    @model_validator(mode="after")
    def _auto_grant_needs_a_registry(self) -> DeferralGround:
        if self.auto_grant and self.registry is None:
            raise ValueError(f"deferral ground {self.code}: auto_grant needs a registry to verify the ground against")
        return self


class ExemptionGround(_Strict):
    code: str
    description: str
    evidence: list[str] = Field(default_factory=list)


class DeploymentRule(_Strict):
    status: str = Field(description="service status the rule applies to: conscript, contract (after a conversion) or "
                        "alternative_service")
    forbidden_zones: list[str] = Field(default_factory=list)
    overridable_zones: list[str] = Field(default_factory=list, description="forbidden zones where an assignment may "
                                         "still be made with a named second officer; absent: no override at all")

    @model_validator(mode="after")
    def _overrides_are_forbidden_zones(self) -> DeploymentRule:
        stray = sorted(set(self.overridable_zones) - set(self.forbidden_zones))
        if stray:
            raise ValueError(f"deployment {self.status}: overridable_zones {stray} are not forbidden zones")
        return self


class ContractService(_Strict):
    """Conversion of a serving conscript to contract service: who may sign, and the first contract's term.

    A conscript who signs leaves conscript service and starts contract service the same day; the
    deployment rules then apply to them as `contract` (a `[[versions.deployment]]` rule with
    `status = "contract"`; none: no zone is forbidden to contract soldiers).
    """

    min_months_served: int = Field(ge=0, le=60, description="whole months of conscript service a conscript must have "
                                   "completed on the day they sign")
    fitness_categories: list[str] = Field(min_length=1, description="fitness categories (codes from fitness_categories) "
                                          "the medical board must have found for the conscript to sign")
    until_age: int = Field(ge=18, le=70, description="a conscript may sign before this birthday (excluded)")
    term_months: int = Field(ge=1, le=120, description="months of the first contract, from the day of signing")


class Reminders(_Strict):
    """Reminders by e-mail and text message to people whose register entry holds an address or number.

    A reminder is a courtesy: it is never a summons and never evidence that one was delivered."""

    on: list[Literal["published", "deadline", "appointment"]] = Field(
        default=["published", "deadline", "appointment"],
        description="when to remind: when the summons is published, before each deadline it sets, before the "
                    "appointment; an empty list sends none")
    channels: list[Literal["email", "sms"]] = Field(
        default=["email", "sms"], description="how: e-mail, text message, or both (each only where the "
                                                             "register holds an address or number)")
    days_before_deadline: int = Field(default=3, ge=1, le=60, description="days before a deadline when its reminder goes")
    days_before_appointment: int = Field(default=1, ge=1, le=60, description="days before the appointment when its "
                                         "reminder goes (1: the day before)")
    attempts: int = Field(default=3, ge=1, le=10, description="attempts at one reminder before it is given up "
                          "(temporary failures only: a permanent failure is never retried)")


class Notices(_Strict):
    channels: list[Literal["post", "portal"]] = Field(min_length=1)
    response_days: int = Field(ge=1, le=365, description="days from delivery to appear")
    deemed_delivered_days: dict[str, int] = Field(
        default_factory=dict, description="per channel: days after dispatch when an unconfirmed notice counts as delivered"
    )
    language: str = Field(default="en", min_length=2, max_length=16, description="language of letters when the person's is unknown")
    legal_basis: str = Field(default="", description="the law under which people are summoned, as printed on the summons")
    move_days: int | None = Field(default=None, ge=0, le=365, description="how many days a summoned person may move their "
                                  "appointment from the original date in the portal; absent: no self-service moves")
    code_valid_days: int = Field(default=90, ge=1, le=730, description="days the portal sign-in code printed on a summons stays valid (for every visit)")
    what_to_bring: list[str] = Field(default_factory=list, description="what a summoned person brings to the appointment, "
                                     "one item each, as the portal lists it")
    reminders: Reminders = Field(default_factory=Reminders, description="reminders by e-mail and text message")

    @model_validator(mode="after")
    def _known_channels(self) -> Notices:
        unknown = set(self.deemed_delivered_days) - set(self.channels)
        if unknown:
            raise ValueError(f"deemed_delivered_days names channels not in channels: {sorted(unknown)}")
        return self


class NoShows(_Strict):
    referral_authority: str = Field(min_length=1, max_length=200, description="the authority an officer may refer an "
                                    "unexcused no-show to; nothing punitive follows a no-show automatically")


class Appeals(_Strict):
    deadline_days: int = Field(default=30, ge=1, le=365, description="days from a case decision within which it may be appealed")
    further_remedy: str = Field(default="", max_length=300, description="where a person may turn when their appeal is "
                                "refused (a court, an ombudsman), as the portal names it; empty: none is named")


class Decisions(_Strict):
    """How long the office takes to decide, as the portal tells a person who applies or appeals."""

    application_days: int = Field(default=30, ge=1, le=365, description="days within which an application (deferral, "
                                  "exemption, civilian service) is decided")
    appeal_days: int = Field(default=30, ge=1, le=365, description="days within which an appeal is decided")


class Publication(_Strict):
    """What may be published about a campaign (the transparency report)."""

    disclosure_threshold: int = Field(default=5, ge=1, le=1000, description="counts under this are published as "
                                      "\"<N\", with enough others withheld that none can be worked out from the totals; 1 "
                                      "publishes every count")


class Retention(_Strict):
    register_years_after_liability: int = Field(ge=0, le=100)
    medical_years: int = Field(ge=0, le=100)
    audit_years: int = Field(ge=0, le=100)


#: What an answer can do (`[[versions.questionnaire.questions.effects]]`): put the person on the medical
#: board's pre-assessment list, or pre-fill a deferral check against the ground's registry.
Route = Literal["medical_preassessment", "deferral_check"]
QuestionType = Literal["yes_no", "choice", "date", "text"]


class Words(_Strict):
    """A text in each language of the portal and the form."""

    en: str = Field(min_length=1, max_length=500)
    ru: str = Field(min_length=1, max_length=500)


class Choice(_Strict):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    text: Words


class AnswerEffect(_Strict):
    """What one answer does. An effect only ever routes a person to a list for people to look at: it is never a
    refusal (of a deferral, an exemption or anything else)."""

    when: str = Field(min_length=1, max_length=32, description="the answer that takes the effect: `yes` or `no` (yes/no "
                      "questions), a choice's `code`, or `answered` (any answer to a date or text question)")
    route: Route = Field(description="`medical_preassessment`: the medical board's pre-assessment list; `deferral_check`: "
                         "a deferral check on `ground` against its registry, pre-filled with the answer")
    ground: str | None = Field(default=None, min_length=1, max_length=64, description="for `deferral_check`: the "
                               "deferral ground (one with a `registry`)")


class Question(_Strict):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$", description="the question's name in "
                    "answers, web addresses and the printed form (lower-case letters, digits, _)")
    type: QuestionType = Field(description="`yes_no`, `choice` (one of `choices`), `date` (YYYY-MM-DD) or `text` "
                               "(at most 500 characters)")
    text: Words = Field(description="the question, in plain words")
    hint: Words | None = Field(default=None, description="a line under the question that helps to answer it")
    mandatory: bool = Field(default=True, description="an answer is needed before the questionnaire can be sent")
    choices: list[Choice] = Field(default_factory=list, description="the answers to choose from (`choice` questions "
                                  "only)")
    effects: list[AnswerEffect] = Field(default_factory=list, description="what answers do")

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        codes = [c.code for c in self.choices]
        if self.type == "choice" and len(codes) < 2:
            raise ValueError(f"question {self.id}: a choice question needs at least two choices")
        if self.type != "choice" and codes:
            raise ValueError(f"question {self.id}: only a choice question has choices")
        if len(set(codes)) != len(codes):
            raise ValueError(f"question {self.id}: duplicate choice codes")
        allowed = {"yes_no": {"yes", "no"}, "choice": set(codes), "date": {"answered"}, "text": {"answered"}}[self.type]
        for effect in self.effects:
            if effect.when not in allowed:
                raise ValueError(f"question {self.id}: effect when = {effect.when!r} is not an answer of a {self.type} "
                                 f"question ({', '.join(sorted(allowed))})")
            if (effect.route == "deferral_check") != (effect.ground is not None):
                raise ValueError(f"question {self.id}: a deferral_check effect names a ground, and only it")
        return self


class Questionnaire(_Strict):
    """The self-declaration sent to a birth cohort before it is called: questions, who must answer, the deadline,
    who may read the answers and what they do. Absent: no questionnaire."""

    age: int = Field(ge=14, le=60, description="the cohort: people who reach this age (on the day it is sent, or in "
                     "its year with `in_year_of_birthday`) among those the conscription rules could call (sexes, "
                     "citizenships, alive on the register)")
    in_year_of_birthday: bool = Field(default=True, description="the cohort is everyone born in the year the send "
                                      "date's year less `age`; false: everyone whose `age`-th birthday fell in the "
                                      "year up to the send date")
    deadline_days: int = Field(ge=7, le=365, description="days from sending to answer")
    code_valid_days: int = Field(default=180, ge=7, le=730, description="days the sign-in code printed on the "
                                 "questionnaire letter stays valid")
    readers: list[Literal["administrator", "officer", "medical", "auditor"]] = Field(
        min_length=1, description="roles of the administration that may read answers (each read is audited); the "
                                  "citizen always reads their own")
    leave_out_of_pool: list[Route] = Field(default_factory=list, description="routes whose people a campaign leaves "
                                           "out of its frozen pool while the route is open (it only ever spares a "
                                           "call: not answering never leaves anyone out)")
    answers_kept_months: int = Field(default=24, ge=1, le=600, description="months after a round's deadline that its "
                                     "answers, routes and letters are kept; `callup retention apply` then erases them")
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Questionnaire:
        ids = [q.id for q in self.questions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"questions: duplicate ids {dupes}")
        return self

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


class PolicyVersion(_Strict):
    """The complete rules in force from `effective_from` until the next version."""

    version: str = Field(min_length=1)
    effective_from: dt.date

    @field_validator("effective_from", mode="before")
    @classmethod
    def _a_date(cls, value: object) -> object:
        # A TOML date is a date; a number would be read as seconds since 1970 (0 = 1970-01-01).
        if isinstance(value, (int, float, bool)):
            raise ValueError(f"must be a date written YYYY-MM-DD, not the number {value!r}")
        return value
    summary: str = ""
    registration: Registration
    conscription: Conscription
    campaigns: list[CampaignWindow] = Field(min_length=1)
    service: Service
    fitness_categories: list[FitnessCategory] = Field(min_length=1)
    deferral_grounds: list[DeferralGround] = Field(default_factory=list)
    exemption_grounds: list[ExemptionGround] = Field(default_factory=list)
    deployment: list[DeploymentRule] = Field(default_factory=list)
    contract: ContractService | None = Field(default=None, description="absent: a conscript cannot convert to contract service")
    notices: Notices
    appeals: Appeals = Field(default_factory=Appeals)
    decisions: Decisions = Field(default_factory=Decisions)
    no_shows: NoShows | None = Field(default=None, description="absent: a no-show cannot be referred anywhere")
    publication: Publication = Field(default_factory=Publication)
    retention: Retention
    questionnaire: Questionnaire | None = Field(default=None, description="absent: no self-declaration is sent")

    @model_validator(mode="after")
    def _unique_codes(self) -> PolicyVersion:
        for name in ("fitness_categories", "deferral_grounds", "exemption_grounds", "campaigns"):
            items = getattr(self, name)
            keys = [getattr(item, "code", None) or item.name for item in items]
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"{name}: duplicate codes {dupes}")
        if not any(c.inductable for c in self.fitness_categories):
            raise ValueError("fitness_categories: at least one category must be inductable")
        if self.contract is not None:
            codes = {c.code for c in self.fitness_categories}
            stray = [c for c in self.contract.fitness_categories if c not in codes]
            if stray:
                raise ValueError(f"contract.fitness_categories: {stray} are not codes of fitness_categories")
        checked = {g.code for g in self.deferral_grounds if g.registry}
        for question in self.questionnaire.questions if self.questionnaire else []:
            for effect in question.effects:
                if effect.ground is not None and effect.ground not in checked:
                    raise ValueError(f"questionnaire question {question.id}: deferral ground {effect.ground!r} is not a "
                                     f"ground with a registry ({', '.join(sorted(checked)) or 'none'})")
        return self

    def campaign(self, name: str) -> CampaignWindow:
        for window in self.campaigns:
            if window.name == name:
                return window
        raise KeyError(name)


class Jurisdiction(_Strict):
    """A whole policy file: fixed facts plus the effective-dated versions, oldest first."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    source: str = Field(default="", description="file the policy was read from")
    sha256: str = Field(default="", description="hash of the file's bytes, recorded with every campaign")
    postcode_pattern: str = Field(
        default=POSTCODE_PATTERN, min_length=1, max_length=200,
        description="regular expression a whole postcode must match (register import, contact changes); it cannot let "
                    "a postcode begin with = + - @, which a spreadsheet would run as a formula")
    regions: list[Region] = Field(min_length=1)
    versions: list[PolicyVersion] = Field(min_length=1)

    @field_validator("postcode_pattern")
    @classmethod
    def _a_pattern(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc})") from None
        if any(compiled.fullmatch(c + "1") or compiled.fullmatch(c + "A") for c in "=+-@"):
            raise ValueError("must not match a postcode beginning with = + - or @ (a spreadsheet formula)")
        if value != POSTCODE_PATTERN:  # the register import checks it with Arrow's RE2: no look-arounds or back-references
            import pyarrow as pa
            import pyarrow.compute as pc

            try:
                pc.match_substring_regex(pa.array(["0"]), f"^(?:{value})$")
            except pa.ArrowInvalid as exc:
                raise ValueError(f"not a pattern the register import can use ({exc})") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Jurisdiction:
        codes = [r.code for r in self.regions]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"regions: duplicate codes {dupes}")
        dates = [v.effective_from for v in self.versions]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("versions: effective_from dates must be strictly increasing")
        names = [v.version for v in self.versions]
        if len(set(names)) != len(names):
            raise ValueError("versions: version names must be unique")
        return self

    @property
    def region_codes(self) -> list[str]:
        return [r.code for r in self.regions]

    def in_force(self, on: dt.date) -> PolicyVersion:
        """The version in force on `on`; raises `PolicyNotInForce` before the first version."""
        from callup.policy.errors import PolicyNotInForce

        current = None
        for version in self.versions:
            if version.effective_from <= on:
                current = version
        if current is None:
            raise PolicyNotInForce(
                f"{self.source or self.code}: no version in force on {on.isoformat()} "
                f"(the first takes effect {self.versions[0].effective_from.isoformat()})"
            )
        return current
