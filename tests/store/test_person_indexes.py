"""The portal's status page reads the signed-in person's rows of every campaign from these tables: each has an
index whose first column is the national id, so a page costs a few index look-ups however many people and
campaigns the store holds (without one, PostgreSQL walks a whole index or table for every page)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

pytestmark = pytest.mark.db

#: The tables the status page reads by the person alone (summonses, cases, service records, uploaded documents,
#: contact-change requests, reminders sent).
READ_BY_PERSON = ("summonses", "cases", "service_records", "web_documents", "contact_requests", "reminders")


@pytest.mark.parametrize("table", READ_BY_PERSON)
def test_each_table_the_status_page_reads_by_person_is_indexed_by_national_id_first(engine, table):
    indexes = inspect(engine).get_indexes(table)
    leading = [i["name"] for i in indexes if i["column_names"][:1] == ["national_id"]]
    assert leading, f"{table} has no index that starts with national_id: {[i['column_names'] for i in indexes]}"
