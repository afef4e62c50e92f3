"""Sample letters for the letter tests (a uniquely named module, importable from the tests here)."""

from __future__ import annotations

import datetime as dt
import random

from callup.notices.letters import Letter
from callup.notices.reference import new_code, new_reference

NAMES = {
    "latin": "Zoë Łukasiewicz-Dvořák",
    "cyrillic": "Иван Петрович Смирнов",
    "greek": "Γιώργος Παπαδόπουλος",
}
ADDRESSES = {
    "latin": ("Štefánikova 12", "00123 Arist"),
    "cyrillic": ("ул. Ленина, д. 5, кв. 12", "00123 Арист"),
    "greek": ("Οδός Ερμού 25", "00123 Arist"),
}


def sample_letter(i: int = 0, *, name: str | None = None, address: tuple[str, ...] | None = None, language: str = "en",
                  seed: int | None = None, **changes) -> Letter:
    rng = random.Random(i if seed is None else seed)
    ref = new_reference(rng.randbytes)
    fields = {
        "reference": ref, "name": name or f"Person {i}", "address_lines": address or (f"{i % 300 + 1} Station Road", f"{i:05d} Arist"),
        "postcode": f"{i:05d}", "language": language, "pseudonym": f"{rng.getrandbits(128):032x}", "rank": i + 1, "region": "R01",
        "region_name": "Arist Lowlands", "campaign": "spring 2026", "office_name": "Arist Recruiting Office",
        "office_address": ("10 Harbour Street", "00100 Arist"), "date": dt.date(2026, 4, 14) + dt.timedelta(days=i % 30),
        "start": dt.time(9, 20), "end": dt.time(9, 40), "legal_basis": "Conscription Act as consolidated in 2019, section 12",
        "policy_version": "2024.1", "issued": dt.date(2026, 3, 16), "apply_by": dt.date(2026, 3, 30), "appeal_by": dt.date(2026, 4, 13),
        "code": new_code(rng.randbytes), "portal_url": "https://portal.example.gov/s/" + ref.replace("-", ""),
    }
    fields.update(changes)
    return Letter(**fields)
