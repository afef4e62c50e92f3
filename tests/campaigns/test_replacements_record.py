"""The published folder of a campaign with replacements: every file checked by `callup verify`, tampering caught."""

from __future__ import annotations

import json
import pathlib

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from callup.campaigns import replacements, service
from callup.campaigns.tables import Call, OrderEntry
from callup.cli import app
from callup.lottery import replacements as record
from callup.register.tables import Person
from callup.uow import UnitOfWork
from campaign_helpers import create, load_register, replace

calls, order = Call.__table__, OrderEntry.__table__


def _drawn_format2(ctx, name: str = "spring-2027") -> int:  # noqa: ANN001
    create(ctx, name, quota=30, over_call="0")
    service.freeze_campaign(ctx, name)
    service.commit_campaign(ctx, name, unverified="rehearsal")
    service.draw_campaign(ctx, name, beacon_value="rehearsal value", unverified=True)
    with UnitOfWork(ctx, write=False) as uow:
        return service._load(uow.conn, name)["id"]


def _region_calls(engine, campaign_id: int) -> tuple[str, list[str], list[str]]:  # noqa: ANN001
    """A region with a reserve: its called people and its reserve, in call order."""
    with engine.connect() as conn:
        rows = conn.execute(select(order.c.region, order.c.national_id, order.c.position)
                            .where(order.c.campaign_id == campaign_id).order_by(order.c.region, order.c.position)).all()
        called = set(conn.execute(select(calls.c.national_id).where(calls.c.campaign_id == campaign_id)).scalars())
    for region in sorted({r.region for r in rows}):
        mine = [r.national_id for r in rows if r.region == region]
        if len([p for p in mine if p in called]) >= 3 and len(mine) - len(called & set(mine)) >= 6:
            return region, [p for p in mine if p in called], [p for p in mine if p not in called]
    raise AssertionError("no region with three called and a reserve of six")


def _drawn_region(ctx, engine, tmp_path):  # noqa: ANN001, ANN202
    """A drawn campaign on a 3,000-person register: its id, and a region's (name, called, reserve) in call order."""
    load_register(ctx, tmp_path, people=3000)
    campaign_id = _drawn_format2(ctx)
    return campaign_id, _region_calls(engine, campaign_id)


@pytest.fixture
def published(ctx, engine, tmp_path):
    """A campaign whose region saw releases, a reserve position passed over (the person died), a call given back on
    appeal (the replacement kept as supernumerary) and a release filled by that supernumerary; exported."""
    campaign_id, (region, called, reserve) = _drawn_region(ctx, engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(update(Person.__table__).where(Person.__table__.c.national_id == reserve[1]).values(civil_status="deceased"))
    first = replace(ctx, "spring-2027", called[0], "deferred")
    assert (first.replacement, first.filled_by) == (reserve[0], "reserve")
    second = replace(ctx, "spring-2027", called[1], "unfit")
    assert second.replacement == reserve[2]  # reserve[1] died: passed over, listed as skipped
    with UnitOfWork(ctx) as uow:  # an appeal overturns the first release: reserve[0] keeps the call, supernumerary
        assert replacements.restore_call(uow, campaign_id, called[0], "deferred", reserve[0])
    third = replace(ctx, "spring-2027", called[2], "exempted")
    assert (third.replacement, third.filled_by) == (reserve[0], "supernumerary")  # nobody new is called
    fourth = replace(ctx, "spring-2027", reserve[2], "left_pool")
    assert (fourth.replacement, fourth.filled_by) == (reserve[3], "reserve")
    files = service.export_campaign(ctx, "spring-2027", tmp_path / "public")
    return pathlib.Path(files["record"]).parent


_BUILT: dict[str, pathlib.Path] = {}  # backend -> the folder `published` exported, kept by this test process


@pytest.fixture
def published_folder(request, store_url, tmp_path, tmp_path_factory):
    """A copy of the folder `published` exports, built once per backend and test process, for the tests that only
    read or edit the folder (building it imports a register, draws and replaces: 2-7 s)."""
    import shutil

    backend = request.node.callspec.params["store_url"]
    if backend not in _BUILT:
        kept = tmp_path_factory.mktemp(f"published-{backend}") / "public"
        shutil.copytree(request.getfixturevalue("published"), kept)
        _BUILT[backend] = kept
    copy = tmp_path / "published-copy"
    shutil.copytree(_BUILT[backend], copy)
    return copy


def _spec_checker():  # noqa: ANN202 - the verifier written from docs/lottery.md alone (tests/lottery/spec_checker.py)
    import importlib.util

    path = pathlib.Path(__file__).resolve().parents[1] / "lottery" / "spec_checker.py"
    spec = importlib.util.spec_from_file_location("spec_checker", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _verify(folder: pathlib.Path, *extra: str) -> tuple[int, dict]:
    out = CliRunner().invoke(app, ["verify", str(folder), *extra, "--json"])
    return out.exit_code, json.loads(out.stdout)


def test_the_published_folder_with_replacements_verifies_and_every_file_and_check_is_listed(published_folder):
    names = sorted(p.name for p in published_folder.iterdir())
    assert names == ["allocation.csv", "commitment.json", "draw-record.json", "policy.toml", "pool.parquet",
                     "replacements.jsonl"]
    code, report = _verify(published_folder)
    assert code == 0 and report["verdict"] == "MATCH", [c for c in report["checks"] if not c["ok"]]
    checked = {c["name"] for c in report["checks"] if c["checked"]}
    assert {"policy", "allocation.csv", "replacements chain", "replacements reserve order",
            "replacements restorations", "pool fingerprint", "regions"} <= checked
    assert [c["name"] for c in report["checks"] if not c["checked"]] == ["announced commitment"]
    by_file = {f["file"]: f for f in report["files"]}
    assert by_file["replacements.jsonl"]["ok"] and by_file["policy.toml"]["ok"] and by_file["allocation.csv"]["ok"]
    assert any("skipped a reserve position" in r for r in by_file["replacements.jsonl"]["ruled_out"])
    assert report["replacements"]["releases"] == 4 and report["replacements"]["restorations"] == 1
    lines = (published_folder / "replacements.jsonl").read_bytes().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["kind"] for e in entries] == ["release", "release", "restore", "release", "release"]
    assert entries[1]["skipped"] and entries[3]["filled_by"] == "supernumerary"
    assert report["replacements"]["head"] == record.line_hash(lines[-1])
    assert _spec_checker().check_folder(published_folder) == []  # and by a verifier written from the specification alone


def test_closing_the_campaign_exports_the_final_record_and_states_its_head(published, engine):
    from callup import audit

    out = CliRunner().invoke(app, ["campaign", "close", "spring-2027", "--out", "final", "--json"])
    assert out.exit_code == 0, out.output
    closed = json.loads(out.stdout)
    final = pathlib.Path(closed["files"]["replacements"])
    assert final.read_bytes() == (published / "replacements.jsonl").read_bytes()
    assert closed["replacements"] == 5 and closed["replacements_head"] == record.line_hash(final.read_bytes().splitlines()[-1])
    assert _verify(final.parent)[0] == 0
    [event] = audit.entries(engine, action="campaign.close")
    assert event.details["replacements_head"] == closed["replacements_head"]


def test_a_supernumerary_call_that_ends_is_filled_by_nobody_and_the_region_stays_at_its_number(ctx, engine, tmp_path):
    """A release given back on appeal leaves its replacement beyond the number; when that replacement's own call ends,
    nobody new is called (calling the next in reserve left the region one over its number, with nobody supernumerary)."""
    from callup.reports.outcomes import campaign_report

    campaign_id, (region, called, reserve) = _drawn_region(ctx, engine, tmp_path)
    first = replace(ctx, "spring-2027", called[0], "unfit")
    assert (first.replacement, first.filled_by) == (reserve[0], "reserve")
    with UnitOfWork(ctx) as uow:  # the appeal overturns it: reserve[0] keeps the call, supernumerary
        assert replacements.restore_call(uow, campaign_id, called[0], "unfit", reserve[0])
    # The supernumerary's own call ends, released on the command line: it says why nobody is called.
    own = CliRunner().invoke(app, ["campaign", "replace", "spring-2027", reserve[0], "--reason", "deferred"])
    assert own.exit_code == 0, own.output
    assert "replaced by nobody: the call was one beyond the region's number" in " ".join(own.output.split())
    assert "exhausted" not in own.output
    again = CliRunner().invoke(app, ["campaign", "replace", "spring-2027", reserve[0], "--reason", "deferred"])
    assert again.exit_code == 0 and "replaced by nobody" in again.output and "already done" in again.output
    with engine.connect() as conn:
        assert reserve[1] not in set(conn.execute(select(calls.c.national_id).where(calls.c.campaign_id == campaign_id)).scalars())
    with UnitOfWork(ctx, write=False) as uow:
        row = next(r for r in campaign_report(uow, "spring-2027").regions if r.region == region)
    assert (row.counted_to_number, row.supernumerary) == (row.number, 0)
    nxt = replace(ctx, "spring-2027", called[1], "exempted")  # the next release calls the next in reserve
    assert (nxt.replacement, nxt.filled_by) == (reserve[1], "reserve")
    service.export_campaign(ctx, "spring-2027", tmp_path / "public")
    entries = [json.loads(line) for line in (tmp_path / "public" / "replacements.jsonl").read_bytes().splitlines()]
    assert [(e["kind"], e.get("filled_by"), e.get("skipped")) for e in entries] == [
        ("release", "reserve", []), ("restore", None, None), ("release", "nobody", []), ("release", "reserve", [])]
    code, report = _verify(tmp_path / "public")
    assert code == 0 and report["verdict"] == "MATCH", [c for c in report["checks"] if not c["ok"]]
    assert _spec_checker().check_folder(tmp_path / "public") == []


def _region_row(ctx, region):  # noqa: ANN001, ANN202
    from callup.reports.outcomes import campaign_report

    with UnitOfWork(ctx, write=False) as uow:
        return next(r for r in campaign_report(uow, "spring-2027").regions if r.region == region)


def _verifies(ctx, tmp_path):  # noqa: ANN001, ANN202
    service.export_campaign(ctx, "spring-2027", tmp_path / "public")
    code, report = _verify(tmp_path / "public")
    assert code == 0 and report["verdict"] == "MATCH", [c for c in report["checks"] if not c["ok"]]
    assert _spec_checker().check_folder(tmp_path / "public") == []


def test_a_call_given_back_after_its_filler_left_too_puts_whoever_fills_it_now_beyond_the_number(ctx, engine, tmp_path):
    """The kept replacement's own call ended before the appeal was decided (filled from the reserve in turn): giving
    the call back leaves that later replacement beyond the number, not the region one over it."""
    campaign_id, (region, called, reserve) = _drawn_region(ctx, engine, tmp_path)
    assert replace(ctx, "spring-2027", called[0], "unfit").replacement == reserve[0]
    with UnitOfWork(ctx) as uow:  # reserve[0] is beyond the number ...
        assert replacements.restore_call(uow, campaign_id, called[0], "unfit", reserve[0])
    second = replace(ctx, "spring-2027", called[1], "unfit")  # ... and fills the next release
    assert (second.replacement, second.filled_by) == (reserve[0], "supernumerary")
    third = replace(ctx, "spring-2027", reserve[0], "unfit")  # then its own call ends: the reserve fills it
    assert (third.replacement, third.filled_by) == (reserve[1], "reserve")
    with UnitOfWork(ctx) as uow:  # called[1]'s finding overturned: the call reserve[0] took is theirs again
        assert replacements.restore_call(uow, campaign_id, called[1], "unfit", reserve[0]).beyond == reserve[1]
    row = _region_row(ctx, region)
    assert (row.counted_to_number, row.supernumerary) == (row.number, 1)  # reserve[1] is beyond the number
    nxt = replace(ctx, "spring-2027", called[2], "deferred")  # and fills the next release: nobody new is called
    assert (nxt.replacement, nxt.filled_by) == (reserve[1], "supernumerary")
    assert _region_row(ctx, region).counted_to_number == row.number
    _verifies(ctx, tmp_path)


def test_a_call_given_back_whose_own_call_filled_one_given_back_before_is_the_one_beyond_the_number(ctx, engine, tmp_path):
    """called[0] released, their replacement reserve[0] released in turn (reserve[1] called); both given back: first
    called[0] (reserve[1] is now beyond the number), then reserve[0], whose call filled called[0]'s: reserve[0] is."""
    campaign_id, (region, called, reserve) = _drawn_region(ctx, engine, tmp_path)
    assert replace(ctx, "spring-2027", called[0], "unfit").replacement == reserve[0]
    assert replace(ctx, "spring-2027", reserve[0], "deferred").replacement == reserve[1]
    with UnitOfWork(ctx) as uow:
        assert replacements.restore_call(uow, campaign_id, called[0], "unfit", reserve[0]).beyond == reserve[1]
        assert replacements.restore_call(uow, campaign_id, reserve[0], "deferred", reserve[1]).beyond == reserve[0]
    row = _region_row(ctx, region)
    assert (row.counted_to_number, row.supernumerary) == (row.number, 2)
    _verifies(ctx, tmp_path)


def test_a_person_released_again_takes_back_the_call_their_first_replacement_kept(ctx, engine, tmp_path):
    """Two calls given back leave two supernumerary calls; when one of those people is released again, the replacement
    that filled their earlier release fills it again (another supernumerary filling it left the region one over)."""
    campaign_id, (region, called, reserve) = _drawn_region(ctx, engine, tmp_path)
    assert replace(ctx, "spring-2027", called[0], "unfit").replacement == reserve[0]
    assert replace(ctx, "spring-2027", called[1], "unfit").replacement == reserve[1]
    with UnitOfWork(ctx) as uow:
        assert replacements.restore_call(uow, campaign_id, called[0], "unfit", reserve[0]).beyond == reserve[0]
        assert replacements.restore_call(uow, campaign_id, called[1], "unfit", reserve[1]).beyond == reserve[1]
    assert _region_row(ctx, region).supernumerary == 2
    again = replace(ctx, "spring-2027", called[1], "deferred")
    assert (again.replacement, again.filled_by) == (reserve[1], "supernumerary")  # not reserve[0], the first by position
    row = _region_row(ctx, region)
    assert (row.counted_to_number, row.supernumerary) == (row.number, 1)
    _verifies(ctx, tmp_path)


def _rechain(entries: list[dict]) -> bytes:
    """The file an office would write to hide an edit: every hash recomputed, so only the rules can catch it."""
    out, previous = [], entries[0]["draw_record"]
    for entry in entries:
        line = record.entry_line({**entry, "previous": previous})
        previous = record.line_hash(line)
        out.append(line + b"\n")
    return b"".join(out)


def test_a_replacement_that_skipped_a_reserve_position_is_caught_even_with_a_recomputed_chain(published_folder):
    entries = [json.loads(line) for line in (published_folder / "replacements.jsonl").read_bytes().splitlines()]
    honest = entries[0]
    favoured = dict(honest, position=honest["position"] + 1, skipped=[])  # position 1 of the reserve passed over
    pool_order = _call_order(published_folder, honest["region"])
    favoured["called"] = pool_order[favoured["position"] - 1]
    (published_folder / "replacements.jsonl").write_bytes(_rechain([favoured, *entries[1:]]))
    code, report = _verify(published_folder)
    assert code == 1
    failed = {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}
    assert "replacements reserve order" in failed and "first uncalled position" in failed["replacements reserve order"]
    assert "replacements chain" not in failed
    assert _spec_checker().check_folder(published_folder)[0] == "reserve order at entry 1"


def test_an_edited_replacements_line_breaks_the_chain(published_folder):
    data = (published_folder / "replacements.jsonl").read_bytes()
    (published_folder / "replacements.jsonl").write_bytes(data.replace(b'"unfit"', b'"deferred"', 1))
    code, report = _verify(published_folder)
    assert code == 1 and any(c["name"] == "replacements chain" and not c["ok"] for c in report["checks"])


def test_an_edited_policy_file_is_caught(published_folder):
    policy = published_folder / "policy.toml"
    policy.write_bytes(policy.read_bytes() + b"\n# one more line\n")
    code, report = _verify(published_folder)
    assert code == 1 and [c["name"] for c in report["checks"] if not c["ok"]] == ["policy"]
    assert _spec_checker().check_folder(published_folder) == ["policy"]


def test_an_edited_allocation_csv_is_caught(published_folder):
    allocation = published_folder / "allocation.csv"
    lines = allocation.read_text(encoding="utf-8").splitlines(keepends=True)
    region, pool, volunteers, quota, number = lines[1].rstrip("\n").split(",")
    lines[1] = f"{region},{pool},{volunteers},{int(quota) + 1},{number}\n"
    allocation.write_text("".join(lines), encoding="utf-8")
    code, report = _verify(published_folder)
    failed = [c for c in report["checks"] if not c["ok"]]
    assert code == 1 and [c["name"] for c in failed] == ["allocation.csv"] and "line 2" in failed[0]["detail"]
    assert _spec_checker().check_folder(published_folder) == ["allocation.csv"]


def _call_order(folder: pathlib.Path, region: str) -> list[str]:
    import pyarrow as pa

    from callup.lottery import draw, load_record, read_pool
    from callup.lottery.pool import canonical
    from callup.lottery.pseudonyms import to_hex

    rec = load_record(folder / "draw-record.json")
    table = canonical(read_pool(folder / "pool.parquet"))
    result, _ = draw(table, bytes.fromhex(rec.seed), rec.commitment.numbers)
    return to_hex(table.column("pseudonym").combine_chunks().take(pa.array(result.call_rows(region)))).to_pylist()


def test_a_campaign_released_before_its_record_existed_publishes_no_partial_record(ctx, engine, tmp_path):
    from callup.campaigns.tables import ReplacementEntry

    campaign_id, (_, called, _) = _drawn_region(ctx, engine, tmp_path)
    replace(ctx, "spring-2027", called[0], "deferred")
    with engine.begin() as conn:  # as a store upgraded after this release was made
        conn.execute(ReplacementEntry.__table__.delete())
    replace(ctx, "spring-2027", called[1], "unfit")  # logged, but the record lacks the first release
    files = service.export_campaign(ctx, "spring-2027", tmp_path / "public")
    assert "replacements" not in files and "replacements_not_published" in files
    assert not (tmp_path / "public" / "replacements.jsonl").exists()
    code, report = _verify(tmp_path / "public")
    assert code == 0 and not next(c for c in report["checks"] if c["name"] == "replacements chain")["checked"]
