"""The campaign's fairness check tests rank against import order (registration batch) as well as birth date."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select, update

from callup.campaigns import service
from callup.campaigns.fairness import campaign_fairness
from callup.campaigns.tables import OrderEntry
from callup.lottery.commitment import SeededRandom
from callup.register.importer import import_register
from callup.register.synth import synthesise
from callup.register.tables import Person
from campaign_helpers import TODAY, create, on_day

order, people = OrderEntry.__table__, Person.__table__


def _register_in_batches(ctx, tmp_path, *, people_count: int = 6000, batches: int = 3) -> None:  # noqa: ANN001
    """One register file split in `batches` files imported on consecutive days (registration days)."""
    policy = ctx.policy()
    whole = tmp_path / "register.csv"
    synthesise(whole, people=people_count, seed=5, regions=policy.region_codes,
               citizenship=policy.versions[-1].registration.citizenships[0], on=TODAY)
    header, *rows = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(rows) // batches)
    for i in range(batches):
        part = tmp_path / f"register-day-{i + 1}.csv"
        part.write_text(header + "".join(rows[i * size:(i + 1) * size]), encoding="utf-8")
        import_register(on_day(ctx, TODAY + dt.timedelta(days=i)), part)


def test_a_fair_draw_passes_against_import_order_and_a_draw_biased_by_import_order_is_flagged(ctx, engine, tmp_path):
    from callup.reports.campaign import fairness_section

    ctx = dataclasses.replace(ctx, random=SeededRandom(b"registration days"))
    _register_in_batches(ctx, tmp_path)
    create(ctx, "c", quota=300, over_call="0")
    service.freeze_campaign(ctx, "c")
    service.commit_campaign(ctx, "c", unverified="rehearsal")
    service.draw_campaign(ctx, "c", beacon_value="v", unverified=True)
    fair = campaign_fairness(ctx, "c")
    assert fair.import_order_test is not None and fair.import_order_test.batches == 3
    assert not fair.import_order_test.flagged and not fair.flagged
    # A broken draw that ranks each region by import batch (the 2012 failure): rewrite the ranks it would have stored.
    with engine.begin() as conn:
        rows = conn.execute(select(order.c.region, order.c.national_id, people.c.import_id)
                            .join(people, people.c.national_id == order.c.national_id)).all()
        by_region: dict[str, list] = {}
        for r in sorted(rows, key=lambda r: (r.region, r.import_id, r.national_id)):
            by_region.setdefault(r.region, []).append(r.national_id)
        for _region, ids in by_region.items():
            for rank, national_id in enumerate(ids, start=1):
                conn.execute(update(order).where(order.c.national_id == national_id).values(rank=rank))
    biased = campaign_fairness(ctx, "c")
    assert biased.import_order_test.flagged and biased.flagged
    assert biased.import_order_test.spearman_rho > 0.5
    section = fairness_section(ctx, "c")
    assert section.flagged and any("import order" in t.name and t.rejects for t in section.tests)
    assert len(section.tests) == 6 and section.level == section.alpha / 6
