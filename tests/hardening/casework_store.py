"""The prepared store carried on through a campaign's case work, for the every-command JSON harness.

Starting from the hostile harness's store (a register, campaign c1 drawn with its summonses, c2
created), it does through the command line (and, for the status document, the portal's own
functions) what an office does after a draw, so that every command has something to act on: letters
printed, published, some delivered; a case of each kind in the state its next step needs; people
found fit, one inducted; a second campaign frozen and a third committed; accounts; a signed status
document; a self-declaration answered on paper; an import that failed part-way. It returns the names of what it made (`{name}` values of the harness's arguments).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import shutil

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import command_harness as harness

#: A day after the first appointments (2026-04-15): appearances and no-shows are recorded from then on.
LATER = "2026-04-16T09:00:00Z"
#: Three months after the induction, when the example policy lets a conscript sign a contract.
CONTRACT_DAY = "2026-07-03T09:00:00Z"
PASSWORD = "a long harness pass phrase\n"


def build(root: pathlib.Path, base_db: pathlib.Path, keys: str) -> dict[str, str]:
    """Copy the store at `base_db` to `root`/store.db, carry it on, and return the values made."""
    from hardening_support import run_cli

    shutil.copyfile(base_db, root / "store.db")
    url = f"sqlite:///{root / 'store.db'}"
    env = harness.environment(url, keys)

    def run(*args: str, stdin: str = "", **extra: str) -> str:
        code, out, err, uncaught = run_cli(list(args), input=stdin, env={**env, **extra})
        assert uncaught is None and code == 0, f"preparing the store: callup {' '.join(args)}: {code} {err[-400:]} {uncaught!r}"
        return out

    def query(sql: str) -> list[tuple]:
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text(sql))]
        engine.dispose()
        return rows

    run("service", "units", str(harness.EXAMPLES / "units" / "republic-of-example.csv"))
    run("notices", "print", "c1", "--out", str(root / "letters"))
    run("notices", "publish", "c1")
    called = query("SELECT c.national_id, c.region, s.reference, s.pseudonym FROM campaign_calls c JOIN summonses s "
                   "ON s.national_id = c.national_id AND s.campaign_id = c.campaign_id ORDER BY c.region, c.position")
    assert len(called) >= 13, called
    ids = [c[0] for c in called]
    refs = [c[2] for c in called]
    regions = ",".join(sorted({c[1] for c in called}))
    medical = {"CALLUP_ROLE": "medical", "CALLUP_REGIONS": regions}
    officer_b = {"CALLUP_ACTOR": "officer-b"}  # decides, so that another officer may decide the appeal

    def case(*args: str, **extra: str) -> int:
        made = json.loads(run("cases", *args, "--json", **extra))
        return int(made["case"]["id"] if "case" in made else made["id"])

    values = {"regions": regions}
    values["deferral"] = str(case("defer", "c1", ids[0], "--ground", "family_care", "--evidence", "letter of the carer"))
    values["civilian"] = str(case("civilian", "c1", ids[1], "--statement", "reasons of conscience"))
    run("cases", "decide", values["civilian"], "--grant", "--reason", "sincere and consistent", **officer_b)
    values["refused"] = str(case("exempt", "c1", ids[2], "--ground", "prior_service", "--evidence", "service book"))
    run("cases", "decide", values["refused"], "--refuse", "--reason", "the service book names another person", **officer_b)
    refused = case("exempt", "c1", ids[3], "--ground", "prior_service", "--evidence", "service book")
    run("cases", "decide", str(refused), "--refuse", "--reason", "no proof of service", **officer_b)
    values["appeal"] = str(case("appeal", str(refused), "--reason", "the proof was sent by post"))
    values["medical"] = str(case("examine", "c1", ids[4]))
    values["findings"] = str(case("examine", "c1", ids[5]))
    run("cases", "fitness", values["findings"], "--category", "B", "--details", "flat feet", **medical)
    for fit in (ids[6], ids[7]):
        run("cases", "fitness", str(case("examine", "c1", fit)), "--category", "A", **medical)
    values["fit"] = ids[6]
    run("service", "induct", "c1", ids[7], "--unit", "1-INF-TRG", "--start", "2026-04-01")
    values["record"] = str(query("SELECT id FROM service_records ORDER BY id")[0][0])
    values["overridden"], values["released"], values["examined"] = ids[8], ids[9], ids[12]
    values["receipt"], values["returned"], values["moved"], values["appeared"] = refs[8], refs[4], refs[12], refs[10]
    values["pseudonym"], values["reference"] = called[0][3], refs[0]

    # Letters the post confirmed: their holders' appearances may be recorded on the appointment day.
    (root / "receipts.csv").write_text(f"reference,delivered_on\n{refs[10]},2026-04-01\n{refs[11]},2026-04-01\n")
    run("notices", "import-receipts", str(root / "receipts.csv"))
    values["free_slot"] = _free_slot(query, refs[12])

    # A second campaign frozen (to commit), a third committed (to draw), with windows still ahead.
    from callup.campaigns import service
    from callup_test_support import make_context

    ctx = make_context(url, now=dt.date(2026, 4, 1))
    window = (dt.date(2026, 5, 1), dt.date(2026, 7, 15))
    service.open_campaign(ctx, service.Decree(name="to-commit", window=window, quota=3))
    service.open_campaign(ctx, service.Decree(name="to-draw", window=window, quota=3))
    service.commit_campaign(ctx, "to-draw", unverified="harness rehearsal")

    # Accounts: one to change, reset and end the sessions of; one disabled, to enable.
    run("users", "add", "officer-a", "--role", "officer", "--region", "R01", "--password-stdin", stdin=PASSWORD)
    run("users", "add", "officer-d", "--role", "officer", "--region", "R02", "--password-stdin", stdin=PASSWORD)
    run("users", "disable", "officer-d")

    # A status document as the portal signs and records it for its holder, and the keys that check it.
    values.update(_status_document(ctx, ids[10], called[10][3]))
    (root / "status-keys.json").write_text(run("status", "keys"))
    values["status_keys"] = str(root / "status-keys.json")

    # Two people of the self-declaration's cohort (turning 18 this year): one answered on paper, one not yet.
    cohort = [f"Q000{i},Ilves,Mart,2008-0{i + 2}-1{i},M,EXR,R01,{i} Harbour St,01001,alive,,," for i in (1, 2)]
    (root / "cohort.csv").write_text(harness.PEOPLE_HEADER + "\n" + "\n".join(cohort) + "\n")
    run("register", "import", str(root / "cohort.csv"))
    run("questionnaire", "send", "--name", "q1", "--on", "2026-04-01")
    forms = dict(query("SELECT national_id, reference FROM questionnaire_recipients"))
    assert set(forms) == {"Q0001", "Q0002"}, forms
    run("questionnaire", "key", forms["Q0001"], "--answer", "condition=yes", "--answer", "occupation=study",
        "--answer", "study_place=Arist University", "--answer", "study_until=2029-06-30", "--answer", "prior_service=no")
    values["declared"], values["form"] = "Q0001", forms["Q0002"]

    # The appointment day has passed: one person came, one did not (a no-show case to resolve).
    run("notices", "appearance", refs[11], "--outcome", "no_show", CALLUP_NOW=LATER)
    run("cases", "no-shows", "c1", CALLUP_NOW=LATER)
    values["no_show"] = str(query("SELECT id FROM cases WHERE kind = 'no_show'")[0][0])

    # An import that failed part-way (its last row group damaged): its first rows stay, it waits to be resumed or abandoned.
    _damaged_parquet(root / "damaged-at-the-end.parquet")
    code, _, err, uncaught = run_cli(["register", "import", str(root / "damaged-at-the-end.parquet")], env=env)
    assert uncaught is None and code == 2 and "damaged Parquet data" in err, (code, err)
    values["unfinished"] = str(query("SELECT id FROM imports WHERE status = 'failed'")[0][0])

    # A policy that allows an override of the combat zone for conscripts (the example allows none).
    policy = (harness.EXAMPLES / "policies" / "republic-of-example.toml").read_text(encoding="utf-8")
    assert "overridable_zones = []" in policy
    (root / "override.toml").write_text(policy.replace("overridable_zones = []", 'overridable_zones = ["combat"]', 1))
    values["override_policy"] = str(root / "override.toml")
    from callup.store.engine import disconnect

    disconnect(url)
    os.sync()
    return values


def _damaged_parquet(path: pathlib.Path) -> None:
    """A register file of four row groups whose last one's data is overwritten with zeros (its footer intact)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 40
    pq.write_table(pa.table({"national_id": [f"P{i:04d}" for i in range(n)], "family_name": ["Novak"] * n,
                             "given_names": ["Adam"] * n, "date_of_birth": ["2004-01-01"] * n, "sex": ["M"] * n,
                             "citizenship": ["EXR"] * n, "region": ["R01"] * n, "address": [f"{i} Main St" for i in range(n)],
                             "postcode": ["01001"] * n, "civil_status": ["alive"] * n}),
                   path, row_group_size=10, compression="none")
    data = bytearray(path.read_bytes())
    at = pq.ParquetFile(path).metadata.row_group(3).column(7).data_page_offset
    data[at:at + 40] = bytes(40)
    path.write_bytes(bytes(data))


def _free_slot(query, reference: str) -> str:  # noqa: ANN001
    """An office, day and start of the summons's own office with no appointment yet: a day after its own."""
    office, day, start = query(f"SELECT office, date, start FROM summonses WHERE reference = '{reference}'")[0]
    moved = dt.date.fromisoformat(str(day)[:10]) + dt.timedelta(days=1)
    taken = {str(s)[:5] for (s,) in query(f"SELECT start FROM summonses WHERE office = '{office}' AND date LIKE '{moved}%'")}
    free = next(f"{h:02d}:{m:02d}" for h in range(9, 15) for m in (0, 20, 40) if f"{h:02d}:{m:02d}" not in taken)
    return json.dumps([office, str(moved), free])


def _status_document(ctx, national_id: str, pseudonym: str) -> dict[str, str]:  # noqa: ANN001
    from callup.military_service import status_documents
    from callup.register.queries import name_and_birth_date
    from callup.uow import UnitOfWork
    from callup.web import statusdoc

    with UnitOfWork(ctx) as uow:
        holder, born = name_and_birth_date(uow, national_id)
        document = statusdoc.issue(ctx.keyring(), pseudonym=pseudonym, campaign="c1", status="summoned", on=ctx.today(),
                                   holder=holder, born=born)
        keys = {kid: statusdoc.signing_key(ctx.keyring(), kid).public_key() for kid in ctx.keyring().keys}
        claim = statusdoc.check(document, keys, on=ctx.today()).claim
        status_documents.record(uow, serial=claim.serial, national_id=national_id, campaign=claim.campaign,
                                status=claim.status, issued=claim.issued, valid_until=claim.valid_until)
    return {"document": document, "serial": claim.serial, "holder": holder, "born": born.isoformat()}
