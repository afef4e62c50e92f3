"""Simulated answers to a self-declaration round, for rehearsals and the demo: most of the cohort answers (on the
portal, some on paper), a few declare a long-term condition, many declare a place of study. Recorded in bulk through
`questionnaire.service.record_answers` (one transaction and one audit entry per batch), so a large cohort takes
seconds; a rerun answers for nobody twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from callup.context import Context
from callup.questionnaire import service
from callup.uow import UnitOfWork

PLACES = ("National University", "Technical College", "Institute of Agriculture", "Medical School", "Academy of Arts",
          "Upper Secondary School No. 3")


@dataclasses.dataclass(frozen=True)
class SimulatedAnswers:
    round: str
    seed: int
    waiting: int  # had not answered before this run
    answered: int  # answered in this run


def _answers(rng: random.Random, today: dt.date) -> dict[str, str]:
    occupation = rng.choices(("study", "work", "neither"), weights=(45, 40, 15))[0]
    studying = occupation == "study"
    return {
        "condition": "yes" if rng.random() < 0.05 else "no",
        "occupation": occupation,
        "study_place": rng.choice(PLACES) if studying else "",
        "study_until": (today + dt.timedelta(days=rng.randint(180, 1800))).isoformat() if studying and rng.random() < 0.7 else "",
        "prior_service": "yes" if rng.random() < 0.01 else "no",
    }


def simulate_answers(ctx: Context, name: str, *, seed: int = 0, rate: float = 0.97, paper: float = 0.08) -> SimulatedAnswers:
    """Answer round `name` for a share `rate` of those who have not answered (a share `paper` of them on paper),
    with answers drawn from `seed`."""
    rng = random.Random(f"questionnaire {name} {seed}")
    with UnitOfWork(ctx, write=False) as uow:
        waiting = service.recipients_without_answers(uow, name)
    today = ctx.today()
    chosen = [(ref, _answers(rng, today), service.PAPER if rng.random() < paper else service.PORTAL)
              for ref, _region in waiting if rng.random() < rate]
    answered = service.record_answers(ctx, name, chosen)
    return SimulatedAnswers(name, seed, len(waiting), answered)
