"""The replacements record: every release after the draw and who was called for it, hash-chained.

After the draw, called people are released (deferred, exempted, found unfit...) and the next
people of their region's reserve are called. The record makes this checkable from public files:
`replacements.jsonl` has one line per event, each line the RFC 8785 canonical JSON of an entry
that names the draw record it continues (`draw_record`) and the previous entry (`previous`), so
an entry edited, removed from the middle or reordered breaks the chain. Lines are only ever
appended; the hash of the last line (`head`) is what an observer compares with an earlier copy.

Two kinds of entry:

- `release`: a called person (`pseudonym`) is released for a `reason` from `REASONS` on `date`,
  and their call is filled (`filled_by`) by the region's first supernumerary (a replacement kept
  after the person they replaced got their call back on appeal), else by the first reserve
  position after the last position called in the region (`position`, `called`), passing over
  only positions listed in `skipped` (people who had left the register), else by nobody (the
  reserve is exhausted); the release of a supernumerary call itself is filled by nobody (that call
  was beyond the region's number);
- `restore`: a decision was overturned on appeal: the released `pseudonym` is called again, and
  whoever filled that release (`kept`) keeps their call, beyond the region's number.

`check(...)` replays the entries against the call order that the draw gives each region and
says which of the rules above any entry breaks. See docs/lottery.md, section 9.1.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from callup.lottery.errors import RecordError
from callup.lottery.jcs import canonicalize

FORMAT = "callup-replacements/1"
#: The public release categories (a category, never the decision's detail).
REASONS = ("deferred", "exempted", "unfit", "left_pool", "civilian_service")
FILLED_BY = ("reserve", "supernumerary", "nobody")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def record_hash(record_document: Mapping[str, Any]) -> str:
    """SHA-256 of the RFC 8785 canonical JSON of the draw record (the parsed draw-record.json), hex."""
    return hashlib.sha256(canonicalize(record_document)).hexdigest()


def entry_line(entry: Mapping[str, Any]) -> bytes:
    """One line of replacements.jsonl: the entry's canonical JSON, without the line feed."""
    return canonicalize(entry)


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def release_entry(*, seq: int, previous: str, draw_record: str, date: str, region: str, pseudonym: str, reason: str,
                  filled_by: str, called: str | None = None, position: int | None = None,
                  skipped: Sequence[int] = ()) -> dict[str, Any]:
    return {"format": FORMAT, "seq": seq, "previous": previous, "draw_record": draw_record, "date": date, "kind": "release",
            "region": region, "pseudonym": pseudonym, "reason": reason, "filled_by": filled_by, "called": called,
            "position": position, "skipped": list(skipped)}


def restore_entry(*, seq: int, previous: str, draw_record: str, date: str, region: str, pseudonym: str,
                  kept: str | None) -> dict[str, Any]:
    return {"format": FORMAT, "seq": seq, "previous": previous, "draw_record": draw_record, "date": date, "kind": "restore",
            "region": region, "pseudonym": pseudonym, "kept": kept}


def parse(data: bytes, *, source: str = "replacements.jsonl") -> list[tuple[bytes, dict[str, Any]]]:
    """The (line, entry) pairs of a replacements file; `RecordError` naming the line for anything not JSON objects."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise RecordError(f"{source}: starts with a byte order mark; the file is UTF-8 without one")
    if data and not data.endswith(b"\n"):
        raise RecordError(f"{source}: the last line does not end with a line feed (a cut-off copy?)")
    out = []
    for number, line in enumerate(data.split(b"\n")[:-1] if data else [], start=1):
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RecordError(f"{source}: line {number}: not a JSON object") from None
        if not isinstance(entry, dict):
            raise RecordError(f"{source}: line {number}: not a JSON object")
        out.append((line, entry))
    return out


@dataclass(frozen=True)
class ReplacementsCheck:
    """What replaying the file found: problems per rule (empty lists mean the rule holds)."""

    entries: int
    head: str  # hash of the last line (the draw record's hash when there is none)
    releases: int
    restorations: int
    chain: list[str] = field(default_factory=list)
    reserve: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)


@dataclass
class _Region:
    order: Sequence[str]  # pseudonyms in call order
    positions: dict[str, int]  # pseudonym -> 1-based position
    last: int  # last position called
    live: set[str]
    replaces: dict[str, str] = field(default_factory=dict)  # replacement -> the person whose call it fills
    filling: dict[str, set[str]] = field(default_factory=dict)  # person -> the replacements that name them (inverse)
    filler: dict[str, str | None] = field(default_factory=dict)  # released person -> who filled their latest release
    spare: set[str] = field(default_factory=set)  # supernumerary calls: live replacements whose person is live again

    def position(self, pseudonym: str) -> int:
        return self.positions[pseudonym]

    def first_spare(self, released: str) -> str | None:
        """The supernumerary call that fills `released`'s release: the one that filled their earlier release (it takes
        that call back), else the one with the smallest position; `released` itself excepted (few exist: appeals are
        rare)."""
        return min((r for r in self.spare if r != released), key=lambda r: (self.replaces.get(r) != released,
                                                                             self.position(r)), default=None)

    def fill(self, released: str, by: str | None) -> None:
        """`released` lost their call, now filled by `by`; kept in step with the supernumerary calls: one that named
        them now names who holds their call (`by`), or, when theirs was itself beyond the number, the one they named."""
        heir = self.replaces.get(released) if released in self.spare else by
        self.live.discard(released)
        self.spare.discard(released)
        for r in [r for r in self.filling.get(released, ()) if r in self.live and r != by]:
            if heir is not None:
                self._name(r, heir)
            else:
                self.spare.discard(r)
        self.filler[released] = by
        if by is not None:
            self._name(by, released)

    def give_back(self, restored: str) -> None:
        """`restored` is live again: replacements naming them are spare. If the call their call filled is held by
        someone live (that person, or whoever fills it now), they are beyond the number and name that person; else
        their call counts, and whoever holds it now is beyond the number, naming them."""
        self.live.add(restored)
        self.spare.update(r for r in self.filling.get(restored, ()) if r in self.live)
        held = self._holding(self.replaces.get(restored), restored)
        if held is not None:
            self._name(restored, held)
            return
        holder = self._holder(restored, restored)
        if holder is not None:
            self._name(holder, restored)

    def _name(self, replacement: str, person: str) -> None:
        """`replacement`'s call now fills `person`'s: supernumerary while both are live."""
        self.filling.get(self.replaces.get(replacement, ""), set()).discard(replacement)
        self.replaces[replacement] = person
        self.filling.setdefault(person, set()).add(replacement)
        if replacement in self.live and person in self.live:
            self.spare.add(replacement)
        else:
            self.spare.discard(replacement)

    def _holder(self, person: str, restored: str) -> str | None:
        """Who holds `person`'s call now, `restored` apart: them while live, else (or when they are `restored`) the
        live call, not beyond the number, that fills it through released ones (their replacement, or its, and so on)."""
        if person in self.live and person != restored:
            return person
        frontier, seen = [person], {person}
        while frontier:
            children = [r for q in frontier for r in sorted(self.filling.get(q, ())) if r not in seen and r != restored]
            seen.update(children)
            for r in children:
                if r in self.live and r not in self.spare:
                    return r
            frontier = [r for r in children if r not in self.live]
        return None

    def _holding(self, held: str | None, restored: str) -> str | None:
        """The live person, `restored` apart, who holds the call `held` held, or the call `held`'s own call filled, and so
        on up; None when nobody does."""
        seen: set[str] = set()
        while held is not None and held not in seen:
            seen.add(held)
            holder = self._holder(held, restored)
            if holder is not None:
                return holder
            held = self.replaces.get(held)
        return None


def check(lines: Sequence[tuple[bytes, Mapping[str, Any]]], *, draw_record: str,
          call_order: Callable[[str], Sequence[str]], called: Mapping[str, int]) -> ReplacementsCheck:
    """Replay the entries over the draw's outcome.

    `call_order(region)` is the region's call order (pseudonyms, 32 hex; empty for a region not
    in the pool), `called[region]` how many the draw called there (positions 1..called).
    """
    chain: list[str] = []
    reserve: list[str] = []
    restored: list[str] = []
    regions: dict[str, _Region] = {}
    previous = draw_record
    releases = restorations = 0
    for i, (line, entry) in enumerate(lines, start=1):
        where = f"entry {i}"
        if line != entry_line(entry):
            chain.append(f"{where}: the line is not the canonical JSON of its entry")
        if entry.get("format") != FORMAT or entry.get("seq") != i:
            chain.append(f"{where}: expected format {FORMAT} and seq {i}")
        if entry.get("draw_record") != draw_record:
            chain.append(f"{where}: continues draw record {entry.get('draw_record')}, not this one ({draw_record})")
        if entry.get("previous") != previous:
            chain.append(f"{where}: previous is {entry.get('previous')}, the hash of the line before it is {previous}")
        previous = line_hash(line)
        if not _DATE.match(str(entry.get("date", ""))):
            chain.append(f"{where}: date must be YYYY-MM-DD")
        pseud, name = entry.get("pseudonym"), entry.get("region")
        region = regions.get(name) if isinstance(name, str) else None
        if region is None and isinstance(name, str):
            order = call_order(name)
            n = called.get(name, 0)
            region = regions[name] = _Region(order, {p: k for k, p in enumerate(order, start=1)}, n, set(order[:n]))
        if region is None or pseud not in region.positions:
            reserve.append(f"{where}: {pseud} is not in the pool of region {name!r}")
            continue
        kind = entry.get("kind")
        if kind == "release":
            releases += 1
            reserve.extend(f"{where}: {p}" for p in _release(region, entry))
        elif kind == "restore":
            restorations += 1
            restored.extend(f"{where}: {p}" for p in _restore(region, entry))
        else:
            chain.append(f"{where}: kind must be release or restore, not {kind!r}")
    return ReplacementsCheck(len(lines), previous, releases, restorations, chain, reserve, restored)


def _release(region: _Region, entry: Mapping[str, Any]) -> list[str]:
    problems = []
    pseud = entry["pseudonym"]
    if entry.get("reason") not in REASONS:
        problems.append(f"reason {entry.get('reason')!r} is not one of {', '.join(REASONS)}")
    if pseud not in region.live:
        return [*problems, f"{pseud} is released but has no live call"]
    filled, called, position, skipped = entry.get("filled_by"), entry.get("called"), entry.get("position"), entry.get("skipped")
    if pseud in region.spare:  # a supernumerary call ends: it was beyond the region's number, nobody fills it
        if filled != "nobody" or called is not None or position is not None or skipped != []:
            problems.append(f"{pseud} held a supernumerary call, beyond the region's number: nobody fills its release")
        region.fill(pseud, None)
        return problems
    spare = region.first_spare(pseud)
    if spare is not None:
        if filled != "supernumerary" or called != spare or position is not None or skipped != []:
            problems.append(f"the region has a supernumerary call ({spare}): it must fill this release, nobody new is "
                            "called")
        region.fill(pseud, spare)
        return problems
    if not isinstance(skipped, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in skipped):
        return [*problems, "skipped must be a list of positions"]
    if filled == "nobody":
        rest = list(range(region.last + 1, len(region.order) + 1))
        if called is not None or position is not None or skipped != rest:
            problems.append(f"nobody was called although the reserve continues at position {region.last + 1}"
                            if rest != skipped else "nobody called, but the entry names a called person")
        region.fill(pseud, None)
        return problems
    if filled != "reserve" or not isinstance(position, int) or isinstance(position, bool):
        return [*problems, "filled_by must be reserve, supernumerary or nobody, with the position called"]
    expected_skip = list(range(region.last + 1, position))
    if position <= region.last or position > len(region.order):
        problems.append(f"position {position} is not after the last position called ({region.last})")
    elif skipped != expected_skip:
        problems.append(f"position {position} called, but the first uncalled position of the region is {region.last + 1} "
                        f"and the entry passes over {expected_skip} without listing them as skipped")
    elif called != region.order[position - 1]:
        problems.append(f"position {position} of the call order is {region.order[position - 1]}, not {called}")
    if not problems:  # `called` is the one at `position` of the call order
        region.last = position
        region.live.add(region.order[position - 1])
        region.fill(pseud, region.order[position - 1])
    else:
        region.fill(pseud, None)
    return problems


def _restore(region: _Region, entry: Mapping[str, Any]) -> list[str]:
    pseud = entry["pseudonym"]
    if pseud in region.live or pseud not in region.filler:
        return [f"{pseud} is restored but was not released"]
    kept = region.filler.pop(pseud)
    region.give_back(pseud)
    if entry.get("kept") != kept:
        return [f"the release being undone was filled by {kept}, the entry says {entry.get('kept')} keeps the call"]
    return []


__all__ = ["FILLED_BY", "FORMAT", "REASONS", "ReplacementsCheck", "check", "entry_line", "line_hash", "parse", "record_hash",
           "release_entry", "restore_entry"]
