"""A deterministic synthetic population register for a fictional country.

Used by the demo, the tests and the benchmarks. Vectorised with numpy and pyarrow: one million
people take a few seconds. The same seed always gives the same file (byte for byte for CSV).

Realism that matters to callup: regions of very unequal size (Zipf-like), an age pyramid with
a small-cohort dip, births bunched in some months, names in Latin and Cyrillic script, a few
percent deceased or emigrated, some foreign residents, some volunteers. With `bad_share`, a
share of rows is broken in every way the importer must reject.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import shutil
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from callup.errors import InputError
from callup.register.columns import COLUMNS

FAMILY = {
    "latin": ["Novak", "Horvat", "Kowal", "Marin", "Petrov", "Silva", "Weber", "Lund", "Moreau", "Rossi", "Berg", "Costa",
              "Dahl", "Ek", "Falk", "Greco", "Haas", "Ivanic", "Jensen", "Kaya", "Lopez", "Meyer", "Nagy", "Olsen"],
    "cyrillic": ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров",
                 "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов"],
}
GIVEN = {
    ("latin", "M"): ["Adam", "Boris", "Carlos", "David", "Emil", "Filip", "Goran", "Hugo", "Ivan", "Jonas", "Karl", "Luka",
                     "Marco", "Nikola", "Oskar", "Pavel", "René", "Stefan", "Tomás", "Viktor"],
    ("latin", "F"): ["Anna", "Eva", "Maria", "Sofia", "Elena", "Ida", "Lea", "Nora", "Zoë", "Ingrid"],
    ("cyrillic", "M"): ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил"],
    ("cyrillic", "F"): ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна"],
}
STREETS = ["Main St", "Station Rd", "Lake View", "Mill Lane", "Church St", "Park Ave", "Harbour Rd", "Hill St",
           "ул. Ленина", "ул. Мира", "Birch Way", "Oak Row", "Market Sq", "River Walk"]
FOREIGN = ["XAA", "XBB", "XCC", "XDD"]
# Births per month relative to the mean (more in late summer), and a cohort dip for the
# years people aged 27-31 were born, as seen in many post-transition pyramids.
MONTH_WEIGHTS = np.array([0.92, 0.88, 0.97, 0.98, 1.02, 1.03, 1.10, 1.12, 1.08, 1.00, 0.95, 0.95])
BAD_KINDS = ("bad_date", "future_date", "unknown_region", "duplicate_id", "missing_field", "bad_sex",
             "bad_civil_status", "wrong_encoding", "wrong_column_count")


@dataclasses.dataclass(frozen=True)
class SynthReport:
    people: int
    rows_written: int
    bad_rows: dict[str, int]
    regions: int
    path: str


def _age_weights(max_age: int = 95) -> np.ndarray:
    ages = np.arange(max_age + 1)
    weights = np.exp(-((ages / 78.0) ** 4))  # survival-shaped decline, steep after 70
    weights *= 1.0 - 0.25 * np.exp(-(((ages - 29) / 2.5) ** 2))  # small cohort
    weights *= 0.85 + 0.15 * (ages > 10)  # falling birth rate lately
    return weights / weights.sum()


def _region_weights(n: int, rng: np.random.Generator) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** 1.05  # Zipf-like: the capital dwarfs the smallest region
    rng.shuffle(weights)
    return weights / weights.sum()


def _pick(values: Sequence[str], idx: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(idx))


def _generate(start: int, n: int, regions: Sequence[str], citizenship: str, on: dt.date,
              rng: np.random.Generator) -> pa.Table:
    region_w = _region_weights(len(regions), np.random.default_rng(0))  # same region sizes for every chunk
    i = np.arange(start, start + n, dtype=np.int64)
    # Distinct 11-digit ids from an affine bijection of the row index (multiplier coprime to 10).
    ids = (i * 7_919_317 + 12_345_678_901) % 100_000_000_000
    national_id = pc.utf8_lpad(pa.array(ids).cast(pa.string()), 11, "0")

    age = rng.choice(len(_age_weights()), size=n, p=_age_weights())
    month = rng.choice(12, size=n, p=MONTH_WEIGHTS / MONTH_WEIGHTS.sum()) + 1
    day = (rng.random(n) * np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month - 1]).astype(np.int64) + 1
    year = on.year - age - ((month * 100 + day) > (on.month * 100 + on.day))
    leap_day = (month == 2) & (day == 28) & (rng.random(n) < 0.25) & ((year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0)))
    day = np.where(leap_day, 29, day)
    dob = ((year - 1970).astype("datetime64[Y]") + (month - 1).astype("timedelta64[M]")).astype("datetime64[D]") + (day - 1)
    dob = np.minimum(dob, np.datetime64(on))

    sex = np.where(rng.random(n) < 0.49, "M", "F")
    sex = np.where(rng.random(n) < 0.001, "X", sex)
    cyr = rng.random(n) < 0.3
    fam = np.where(cyr, _pick(FAMILY["cyrillic"], rng.integers(0, len(FAMILY["cyrillic"]), n)).to_numpy(zero_copy_only=False),
                   _pick(FAMILY["latin"], rng.integers(0, len(FAMILY["latin"]), n)).to_numpy(zero_copy_only=False))
    # Given names match the registered sex (X: either list); Russian family names take the feminine form.
    female = (sex == "F") | ((sex == "X") & (rng.random(n) < 0.5))
    names = {key: _pick(GIVEN[key], rng.integers(0, len(GIVEN[key]), n)).to_numpy(zero_copy_only=False) for key in GIVEN}
    given = np.where(cyr, np.where(female, names["cyrillic", "F"], names["cyrillic", "M"]),
                     np.where(female, names["latin", "F"], names["latin", "M"]))
    fam = np.where(cyr & female, np.char.add(fam.astype(str), "а"), fam)
    citizen = np.where(rng.random(n) < 0.04, _pick(FOREIGN, rng.integers(0, len(FOREIGN), n)).to_numpy(zero_copy_only=False), citizenship)
    region_idx = rng.choice(len(regions), size=n, p=region_w)
    region = _pick(regions, region_idx)
    house = pa.array(rng.integers(1, 300, n)).cast(pa.string())
    street = _pick(STREETS, rng.integers(0, len(STREETS), n))
    address = pc.binary_join_element_wise(house, street, " ")
    postcode = pc.utf8_lpad(pa.array(region_idx * 1000 + rng.integers(0, 1000, n)).cast(pa.string()), 5, "0")
    email = pc.if_else(pa.array(rng.random(n) < 0.6),
                       pc.binary_join_element_wise(pa.array(ids).cast(pa.string()), "mail.example", "@"), None)
    phone = pc.if_else(pa.array(rng.random(n) < 0.7),
                       pc.binary_join_element_wise("+999", pa.array(rng.integers(10**8, 10**9, n)).cast(pa.string()), ""), None)
    u = rng.random(n)
    deceased_p = 0.002 + 0.2 * (age / 95.0) ** 4
    civil = np.where(u < deceased_p, "deceased", np.where(u > 0.98, "emigrated", "alive"))
    volunteer = np.where((rng.random(n) < 0.003) & (age >= 18) & (age < 30), "true", "")
    return pa.table({
        "national_id": national_id, "family_name": pa.array(fam, pa.string()), "given_names": pa.array(given, pa.string()),
        "date_of_birth": pa.array(dob).cast(pa.date32()).cast(pa.string()), "sex": pa.array(sex, pa.string()),
        "citizenship": pa.array(citizen, pa.string()), "region": region, "address": address, "postcode": postcode,
        "email": email, "phone": phone, "civil_status": pa.array(civil, pa.string()), "volunteer": pa.array(volunteer, pa.string()),
        # people with Cyrillic names are written to in Russian; the others in the policy's language (left empty)
        "language": pa.array(np.where(cyr, "ru", ""), pa.string()),
    })


def _break_rows(table: pa.Table, share: float, rng: np.random.Generator, counts: dict[str, int],
                allow_raw: bool) -> tuple[pa.Table, dict[int, str]]:
    """Break about `share` of the rows, cycling through every kind; returns raw-line overrides for CSV."""
    n = table.num_rows
    chosen = np.flatnonzero(rng.random(n) < share)
    kinds = [k for k in BAD_KINDS if allow_raw or k not in ("wrong_encoding", "wrong_column_count")]
    cols = {name: table.column(name).to_pylist() for name in ("national_id", "date_of_birth", "region", "family_name", "sex", "civil_status")}
    raw: dict[int, str] = {}
    for j, row in enumerate(chosen.tolist()):
        kind = kinds[j % len(kinds)]
        if kind == "duplicate_id" and row == 0:
            kind = "bad_date"
        counts[kind] += 1
        if kind == "bad_date":
            cols["date_of_birth"][row] = "2003-02-30"
        elif kind == "future_date":
            cols["date_of_birth"][row] = "2999-01-01"
        elif kind == "unknown_region":
            cols["region"][row] = "ZZ-UNKNOWN"
        elif kind == "duplicate_id":
            cols["national_id"][row] = cols["national_id"][row - 1]
        elif kind == "missing_field":
            cols["family_name"][row] = ""
        elif kind == "bad_sex":
            cols["sex"][row] = "Q"
        elif kind == "bad_civil_status":
            cols["civil_status"][row] = "missing"
        else:
            raw[row] = kind
    for name, values in cols.items():
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))
    return table, raw


def _csv_bytes(table: pa.Table, raw: dict[int, str], header: bool) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=header, quoting_style="needed"))
    data = sink.getvalue().to_pybytes()
    if not raw:
        return data
    lines = data.split(b"\n")
    offset = 1 if header else 0
    for row, kind in raw.items():
        line = lines[row + offset]
        if kind == "wrong_encoding":
            # The family name re-encoded as Latin-1 / Windows-1251: not valid UTF-8.
            fields = line.split(b",")
            fields[1] = fields[1].decode("utf-8").encode("cp1251", errors="replace") + b"\xe9"
            lines[row + offset] = b",".join(fields)
        else:
            lines[row + offset] = line + b",surplus"
    return b"\n".join(lines)


#: The largest register `synth` writes: more people than any country callup is made for has.
MAX_PEOPLE = 200_000_000
# Bytes a row takes on disk, measured on synthetic registers (about 127 for CSV, 40 for Parquet), with margin.
BYTES_PER_ROW_CSV = 140
BYTES_PER_ROW_PARQUET = 50


def synthesise(out: pathlib.Path, *, people: int, seed: int, regions: Sequence[str], citizenship: str,
               on: dt.date, bad_share: float = 0.0, chunk: int = 1_000_000,
               advance: Callable[[int], None] = lambda n: None) -> SynthReport:
    """Write `people` rows to `out` (.csv or .parquet), deterministically from `seed`."""
    from callup.file_output import check_file, write_file

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"{out}: output must end in .csv or .parquet", field="out")
    if people < 0:
        raise InputError(f"--people: must be zero or more, got {people}")
    if people > MAX_PEOPLE:
        raise InputError(f"--people: {people:,} is more than any register callup is made for (at most {MAX_PEOPLE:,})")
    if not 0.0 <= bad_share < 1.0:
        raise InputError(f"--bad-rows: must be a share between 0 and 1, got {bad_share}")
    if seed < 0:
        raise InputError(f"--seed: must be zero or more, got {seed}")
    check_file(out, field="out")
    need = people * (BYTES_PER_ROW_CSV if suffix == ".csv" else BYTES_PER_ROW_PARQUET)
    free = shutil.disk_usage(out.parent).free
    if need > free:
        raise InputError(f"--people: {people:,} people need about {need / 1e9:,.1f} GB, but {out.parent} has "
                         f"{free / 1e9:,.1f} GB free")
    counts = {kind: 0 for kind in BAD_KINDS}
    rng = np.random.default_rng(seed)
    written = 0
    writer = None
    with write_file(out, field="out", private=True) as fh:
        try:
            for start in range(0, max(people, 1), chunk):
                n = min(chunk, people - start)
                if n <= 0:
                    break
                table = _generate(start, n, regions, citizenship, on, rng)
                raw: dict[int, str] = {}
                if bad_share:
                    table, raw = _break_rows(table, bad_share, rng, counts, allow_raw=suffix == ".csv")
                table = table.select(list(COLUMNS))
                if suffix == ".csv":
                    fh.write(_csv_bytes(table, raw, header=start == 0))
                else:
                    writer = writer or pq.ParquetWriter(fh, table.schema, compression="zstd")
                    writer.write_table(table)
                written += n
                advance(n)
            if suffix == ".csv" and people == 0:
                fh.write((",".join(COLUMNS) + "\n").encode())
        finally:
            if writer is not None:
                writer.close()
        if suffix == ".parquet" and writer is None:
            pq.write_table(pa.table({c: pa.array([], pa.string()) for c in COLUMNS}), fh)
    return SynthReport(people=people, rows_written=written, bad_rows={k: v for k, v in counts.items() if v},
                       regions=len(regions), path=str(out))
