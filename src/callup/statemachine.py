"""State machines as data: one transition table per machine, one function that applies it.

A machine is declared once, next to the thing it governs::

    CAMPAIGN = Machine("campaign", {
        ("created", "freeze"): "frozen",
        ("frozen", "commit"): "committed",
        ...
    })

and every change of state goes through `CAMPAIGN.step(state, "freeze", subject="campaign 'spring-2027'")`,
which returns the next state or raises `TransitionRefused` naming the subject, its state, the
step and the steps that state allows. Nothing else decides what may follow what, so the table
is the whole truth (docs render it; the tests drive random step sequences against it).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from callup.errors import StateError


class TransitionRefused(StateError):
    """A step that the machine's table does not allow from the object's current state."""


#: A state or a step as a machine is declared with: its name, or an enum member whose value is its name.
Name = str | enum.Enum


def _name(value: Any) -> str:
    return value.value if isinstance(value, enum.Enum) else str(value)


@dataclasses.dataclass(frozen=True)
class Machine:
    """A named transition table `(state, step) -> next state`; states and steps are strings or enums
    (enum members are replaced by their values when the machine is made: its table then holds strings)."""

    name: str
    table: Mapping[tuple[Name, Name], Name]
    final: frozenset[Name] = frozenset()
    error: type[StateError] = TransitionRefused  # a feature's own kind of StateError, to catch narrowly

    def __post_init__(self) -> None:
        normal = {(_name(s), _name(t)): _name(n) for (s, t), n in self.table.items()}
        object.__setattr__(self, "table", normal)
        object.__setattr__(self, "final", frozenset(_name(s) for s in self.final))
        leaving_final = sorted(s for s, _ in normal if s in self.final)
        if leaving_final:
            raise ValueError(f"{self.name}: final states have outgoing steps: {leaving_final}")

    @property
    def states(self) -> list[str]:
        found = {_name(s) for s, _ in self.table} | {_name(n) for n in self.table.values()} | {_name(s) for s in self.final}
        return sorted(found)

    @property
    def steps(self) -> list[str]:
        return sorted({_name(t) for _, t in self.table})

    def allowed(self, state: Any) -> list[str]:
        """The steps allowed from `state`, sorted."""
        state = _name(state)
        return sorted(_name(t) for s, t in self.table if s == state)

    def can(self, state: Any, step: Any) -> bool:
        return (_name(state), _name(step)) in self.table

    def step(self, state: Any, step: Any, *, subject: str) -> str:
        """The state after `step` from `state`; `TransitionRefused` if the table has no such transition."""
        key = (_name(state), _name(step))
        try:
            return _name(self.table[key])
        except KeyError:
            allowed = self.allowed(state)
            hint = f"allowed from {key[0]}: {', '.join(allowed)}" if allowed else f"{key[0]} is final: nothing may follow"
            raise self.error(f"{subject} is {key[0]}: cannot {key[1]} ({hint})") from None

    def paths(self) -> Iterable[tuple[str, str, str]]:
        """Every declared transition as (state, step, next), sorted: for documentation."""
        return sorted((_name(s), _name(t), _name(n)) for (s, t), n in self.table.items())
