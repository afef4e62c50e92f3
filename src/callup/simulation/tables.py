"""The progress of a simulation under way: the people of each round of summonses, written when the round
starts, and the phase each has reached, so that a run stopped part-way (killed, or a lost connection)
resumes with the rest of the round instead of starting again. The rows are removed when the simulation
finishes; the audit log keeps its counts (`simulation.batch`, `simulation.run`)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from callup.store.base import Base


class SimulatedPerson(Base):
    __tablename__ = "simulated_people"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    national_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, comment="the round of summonses the person is simulated in")
    phase: Mapped[int] = mapped_column(SmallInteger, default=0,
                                       comment="the next phase of the round to simulate for the person (8: finished; "
                                               "committed with the steps taken)")
