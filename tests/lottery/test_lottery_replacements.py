"""The replacements record's rules (docs/lottery.md section 9.1), replayed without a database.

An office model below writes entries as the rule says; any history it writes must pass, and one
favour (a reserve position skipped, even with every hash recomputed) or one edited line must not.
"""

from __future__ import annotations

import json

import spec_checker
from hypothesis import given, settings, strategies as st

from callup.lottery import replacements as record

DRAW = "ab" * 32
REGIONS = ("North", "Süd")


def _orders(sizes: dict[str, int]) -> dict[str, list[str]]:
    return {name: [f"{k:02x}{i:030x}" for i in range(n)] for k, (name, n) in enumerate(sizes.items())}


class Office:
    """Writes the record as the rule says: nobody for a supernumerary's own release, else supernumerary first, then the
    next reserve position, passing over the dead."""

    def __init__(self, orders: dict[str, list[str]], called: dict[str, int], dead: set[str]) -> None:
        self.orders, self.dead, self.lines = orders, dead, []
        self.last = dict(called)
        self.live = {p for name, order in orders.items() for p in order[: called[name]]}
        self.replaces: dict[str, str] = {}
        self.filler: dict[str, str | None] = {}
        self.region = {p: name for name, order in orders.items() for p in order}
        self.exhausted: set[str] = set()  # regions where a release found nobody left to call

    def _chain(self) -> dict:
        previous = record.line_hash(self.lines[-1]) if self.lines else DRAW
        return {"seq": len(self.lines) + 1, "previous": previous, "draw_record": DRAW, "date": "2027-05-01"}

    def release(self, p: str, reason: str) -> None:
        name, order = self.region[p], self.orders[self.region[p]]
        spare = sorted((r for r, q in self.replaces.items() if r in self.live and q in self.live and r != p
                        and self.region[r] == name), key=lambda r: (self.replaces[r] != p, order.index(r)))
        beyond = p in self.live and self.replaces.get(p) in self.live  # p's own call is supernumerary
        self.live.discard(p)
        if beyond:
            entry = record.release_entry(**self._chain(), region=name, pseudonym=p, reason=reason, filled_by="nobody")
            who = None
            for r, q in list(self.replaces.items()):  # calls beyond the number through p's stay beyond it through p's person
                if q == p and r in self.live:
                    self.replaces[r] = self.replaces[p]
        elif spare:
            entry = record.release_entry(**self._chain(), region=name, pseudonym=p, reason=reason, filled_by="supernumerary",
                                         called=spare[0])
            who = spare[0]
            for r, q in list(self.replaces.items()):  # other calls beyond the number through p's: now through who's
                if q == p and r in self.live and r != who:
                    self.replaces[r] = who
        else:
            nxt = next((i for i in range(self.last[name] + 1, len(order) + 1) if order[i - 1] not in self.dead), None)
            self.exhausted.add(name) if nxt is None else None
            end = nxt if nxt is not None else len(order) + 1
            skipped = list(range(self.last[name] + 1, end))
            who = order[nxt - 1] if nxt else None
            entry = record.release_entry(**self._chain(), region=name, pseudonym=p, reason=reason,
                                         filled_by="reserve" if nxt else "nobody", called=who, position=nxt, skipped=skipped)
            if nxt:
                self.last[name] = nxt
                self.live.add(who)
        if who:
            self.replaces[who] = p
        self.filler[p] = who
        self.lines.append(record.entry_line(entry))

    def restore(self, p: str) -> None:
        self.live.add(p)
        kept = self.filler.pop(p)
        held = spec_checker.holding(self.replaces.get(p), p, self.live, self.replaces)
        if held is not None:  # the call p's call filled is held by someone live: p is beyond the number
            self.replaces[p] = held
        elif (holder := spec_checker.holder_of(p, p, self.live, self.replaces)) is not None:
            self.replaces[holder] = p  # p's call counts again: whoever holds it now is beyond the number
        entry = record.restore_entry(**self._chain(), region=self.region[p], pseudonym=p, kept=kept)
        self.lines.append(record.entry_line(entry))

    def counted(self, name: str) -> int:
        """The region's live calls that count towards its number (the supernumerary ones left out)."""
        return len([p for p in self.live if self.region[p] == name and self.replaces.get(p) not in self.live])

    def file(self) -> bytes:
        return b"".join(line + b"\n" for line in self.lines)


@st.composite
def histories(draw):  # noqa: ANN001, ANN201
    sizes = {name: draw(st.integers(2, 12)) for name in REGIONS}
    called = {name: draw(st.integers(1, n)) for name, n in sizes.items()}
    orders = _orders(sizes)
    reserve = [p for name, order in orders.items() for p in order[called[name]:]]
    dead = set(draw(st.lists(st.sampled_from(reserve), max_size=3))) if reserve else set()
    office = Office(orders, called, dead)
    for _ in range(draw(st.integers(1, 14))):
        released = sorted(office.filler)
        if released and draw(st.booleans()):
            office.restore(draw(st.sampled_from(released)))
        elif office.live:
            office.release(draw(st.sampled_from(sorted(office.live))), draw(st.sampled_from(record.REASONS)))
        for name in REGIONS:  # the rule keeps every region at its number, short of it only once its reserve is spent
            assert office.counted(name) == called[name] or name in office.exhausted and office.counted(name) < called[name]
    return orders, called, office


def _check(data: bytes, orders, called):  # noqa: ANN001, ANN202
    return record.check(record.parse(data), draw_record=DRAW, call_order=lambda name: orders.get(name, []), called=called)


def _rechain(entries: list[dict]) -> bytes:
    out, previous = [], DRAW
    for entry in entries:
        line = record.entry_line({**entry, "previous": previous})
        previous = record.line_hash(line)
        out.append(line + b"\n")
    return b"".join(out)


@settings(max_examples=150, deadline=None)
@given(histories())
def test_every_history_the_rule_writes_verifies(history):
    orders, called, office = history
    found = _check(office.file(), orders, called)
    assert (found.chain, found.reserve, found.restored) == ([], [], [])
    assert found.entries == len(office.lines) and found.head == (record.line_hash(office.lines[-1]) if office.lines else DRAW)
    assert spec_checker.check_replacements(office.file(), DRAW, orders, called) == []  # written from the spec alone


@settings(max_examples=150, deadline=None)
@given(histories(), st.data())
def test_a_reserve_position_skipped_is_caught_even_with_every_hash_recomputed(history, data):
    orders, called, office = history
    entries = [json.loads(line) for line in office.lines]
    reserve_calls = [i for i, e in enumerate(entries) if e["kind"] == "release" and e["filled_by"] == "reserve"
                     and e["position"] < len(orders[e["region"]])]
    if not reserve_calls:
        return
    i = data.draw(st.sampled_from(reserve_calls))
    e = entries[i]
    favoured = {**e, "position": e["position"] + 1, "called": orders[e["region"]][e["position"]]}  # the next one instead
    entries[i] = favoured
    found = _check(_rechain(entries), orders, called)
    assert found.chain == [] and found.reserve[0].startswith(f"entry {i + 1}:")


@settings(max_examples=100, deadline=None)
@given(histories(), st.data())
def test_an_edited_line_or_a_line_removed_from_the_middle_breaks_the_chain(history, data):
    """The last line has no successor to break: editing it changes the head, which a published head shows."""
    orders, called, office = history
    lines = list(office.lines)
    i = data.draw(st.integers(0, len(lines) - 1)) if lines else None
    if i is None:
        return
    entry = json.loads(lines[i])
    edited = [*lines[:i], record.entry_line({**entry, "date": "2027-05-02"}), *lines[i + 1:]]
    found = _check(b"".join(x + b"\n" for x in edited), orders, called)
    assert found.chain if i < len(lines) - 1 else found.head != record.line_hash(lines[-1])
    if i < len(lines) - 1:
        cut = [*lines[:i], *lines[i + 1:]]
        assert _check(b"".join(x + b"\n" for x in cut), orders, called).chain


def test_a_release_left_unfilled_while_the_reserve_continues_is_caught():
    orders = _orders({"North": 5})
    office = Office(orders, {"North": 2}, set())
    office.release(orders["North"][0], "deferred")
    entry = json.loads(office.lines[0])
    hidden = {**entry, "filled_by": "nobody", "called": None, "position": None, "skipped": []}
    found = _check(_rechain([hidden]), orders, {"North": 2})
    assert found.reserve and "reserve continues at position 3" in found.reserve[0]


def test_a_supernumerary_passed_over_for_a_new_call_is_caught():
    orders = _orders({"North": 6})
    office = Office(orders, {"North": 2}, set())
    first, second = orders["North"][:2]
    office.release(first, "unfit")  # position 3 called
    office.restore(first)  # position 3 keeps the call: supernumerary
    office.release(second, "deferred")  # filled by position 3, nobody new
    entries = [json.loads(line) for line in office.lines]
    assert entries[2]["filled_by"] == "supernumerary"
    entries[2] = {**entries[2], "filled_by": "reserve", "called": orders["North"][3], "position": 4, "skipped": []}
    found = _check(_rechain(entries), orders, {"North": 2})
    assert found.reserve and "supernumerary" in found.reserve[0]


def test_a_call_given_back_to_someone_never_released_is_caught():
    orders = _orders({"North": 4})
    bogus = record.restore_entry(seq=1, previous=DRAW, draw_record=DRAW, date="2027-05-01", region="North",
                                 pseudonym=orders["North"][2], kept=None)
    found = _check(record.entry_line(bogus) + b"\n", orders, {"North": 2})
    assert found.restored and "not released" in found.restored[0]


def test_an_empty_record_is_valid_and_its_head_is_the_draw_record():
    found = _check(b"", {}, {})
    assert found.entries == 0 and found.head == DRAW and not (found.chain or found.reserve or found.restored)


def test_the_public_reasons_are_the_campaigns_release_reasons():
    from callup.campaigns.tables import ReleaseReason

    assert set(record.REASONS) == {r.value for r in ReleaseReason}


def test_a_supernumerary_call_that_ends_filled_from_the_reserve_is_caught():
    orders = _orders({"North": 6})
    office = Office(orders, {"North": 2}, set())
    first = orders["North"][0]
    office.release(first, "unfit")  # position 3 called
    office.restore(first)  # position 3 keeps the call: supernumerary
    office.release(orders["North"][2], "deferred")  # the supernumerary's own call ends: beyond the number, nobody fills it
    entries = [json.loads(line) for line in office.lines]
    assert (entries[2]["filled_by"], entries[2]["called"], entries[2]["skipped"]) == ("nobody", None, [])
    assert _check(office.file(), orders, {"North": 2}).reserve == []
    entries[2] = {**entries[2], "filled_by": "reserve", "called": orders["North"][3], "position": 4, "skipped": []}
    found = _check(_rechain(entries), orders, {"North": 2})
    assert found.reserve and "beyond the region's number" in found.reserve[0]
