"""Documents citizens upload with their applications: size-limited, type checked by content (PDF,
JPEG, PNG; never by the name or the browser's claim), encrypted at rest, named by a random id.

An application's evidence then names the document (`upload:<id>`); its owner and the officers
of the person's region (and national roles) can read it, every officer's read being audited.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import cast

from sqlalchemy import Table, insert, select

from callup.audit import PersonRead, person
from callup.context import Role
from callup.errors import InputError, NotFound
from callup.register.queries import region_of
from callup.uow import UnitOfWork
from callup.web.tables import WebDocument

documents = cast(Table, WebDocument.__table__)
MAX_BYTES = 5 * 1024 * 1024
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
SUFFIX = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclasses.dataclass(frozen=True)
class Document:
    id: str
    media_type: str
    size: int
    sha256: str
    content: bytes

    @property
    def filename(self) -> str:
        return f"document-{self.id[:8]}.{SUFFIX[self.media_type]}"


def media_type_of(data: bytes) -> str | None:
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    return None


def store(uow: UnitOfWork, data: bytes) -> str:
    """Keep the signed-in citizen's document; its id (the evidence names `upload:<id>`)."""
    uow.ctx.require(Role.citizen, doing="uploading a document")
    if not data:
        raise InputError("the file is empty", field="document")
    if len(data) > MAX_BYTES:
        raise InputError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", field="document")
    kind = media_type_of(data)
    if kind is None:
        raise InputError("the file is not a PDF, JPEG or PNG document", field="document")
    national_id = uow.actor.own_id()
    region = region_of(uow, national_id)
    if region is None:
        raise NotFound("you are not on the register")
    doc_id = base64.b32encode(uow.ctx.random(20)).decode("ascii").rstrip("=")[:32]
    uow.execute(insert(documents).values(id=doc_id, national_id=national_id, region=region, media_type=kind, size=len(data),
                                         sha256=hashlib.sha256(data).hexdigest(), content=data, uploaded_at=uow.now()))
    return doc_id


def read(uow: UnitOfWork, doc_id: str) -> Document:
    """A document, for its owner or an officer who sees the person's region (an officer's read is audited)."""
    row = uow.execute(select(documents).where(documents.c.id == doc_id.strip()[:32])).mappings().first()
    uow.ctx.check_visible(row and row["region"], row and row["national_id"], error=NotFound("no such document", field="document"))
    if uow.actor.role is not Role.citizen:
        uow.record(PersonRead(target=person(row["national_id"]), reason="reading an uploaded document", view=f"document:{doc_id}"))
    return Document(row["id"], row["media_type"], row["size"], row["sha256"], row["content"])


def references(evidence: str | None) -> list[str]:
    """The uploaded documents an evidence text names."""
    return [part.strip()[len("upload:"):] for part in (evidence or "").split(";") if part.strip().startswith("upload:")]


def written(evidence: str | None) -> str:
    """The evidence as typed (document references and the like), without the uploads it names (shown as documents)."""
    return "; ".join(part.strip() for part in (evidence or "").split(";") if part.strip() and not part.strip().startswith("upload:"))
