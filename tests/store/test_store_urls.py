"""Store URLs handed to libpq (the bulk path, the job queue, the web worker's listener) mean what SQLAlchemy reads."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import make_url

from callup.store.urls import libpq_url
from callup_test_support import POSTGRES_URL

settings = st.lists(st.sampled_from(["search_path=t_1", "statement_timeout=5000", "application_name=a+b", "lock_timeout=1s"]),
                    min_size=1, max_size=4)


@given(settings)
def test_libpq_reads_the_options_sqlalchemy_reads(chosen):
    url = make_url("postgresql+psycopg://u@db.example:5433/callup").set(query={"options": " ".join(f"-c{s}" for s in chosen)})
    rendered = url.render_as_string(hide_password=False)  # SQLAlchemy writes the spaces as '+'
    assert conninfo_to_dict(libpq_url(rendered))["options"] == make_url(rendered).query["options"]


def test_another_backend_has_no_libpq_url():
    assert libpq_url("sqlite:///callup.db") is None


@pytest.mark.postgres
@pytest.mark.skipif(POSTGRES_URL is None, reason="no PostgreSQL server")
def test_the_bulk_path_connects_with_every_option_of_the_store_url():
    from callup.store.bulk import BulkSession

    url = make_url(POSTGRES_URL).update_query_dict({"options": "-cstatement_timeout=4321 -clock_timeout=1234"})
    with BulkSession(url.render_as_string(hide_password=False)) as bulk:
        bulk.cur.execute("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
        assert bulk.cur.fetchone() == ("4321ms", "1234ms")
