"""A tagged PDF page with ReportLab's canvas: marked content and the structure tree that names it.

ReportLab's open-source canvas writes no structure (its catalog only accepts the keys), so a screen
reader gets an untagged page. `Tags` wraps what the canvas draws in marked-content sequences
(`/P <</MCID n>> BDC ... EMC`) and, before the page is shown, writes the structure tree: a Document
element whose kids are the page's headings, paragraphs and figures (with their text alternative), in
reading order, the parent tree that maps each marked sequence back to its element, `/MarkInfo
<</Marked true>>`, the page's `/StructParents` and the document's language. One page per document.
"""

from __future__ import annotations

from typing import Any


def tagged_canvas(target: Any, **kw: Any) -> Any:
    """A ReportLab canvas whose pages carry `/StructParents 0` (the key of the page's entry in the parent tree)."""
    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfgen import canvas

    class TaggedCanvas(canvas.Canvas):
        def _setAnnotations(self, page: Any) -> None:
            super()._setAnnotations(page)
            page.StructParents = 0
            page.__NoDefault__ = [*pdfdoc.PDFPage.__NoDefault__, "StructParents"]

    return TaggedCanvas(target, **kw)


class Tags:
    """The structure of one page drawn on `c` (a `tagged_canvas`), in the document's `language`."""

    def __init__(self, c: Any, language: str) -> None:
        self.c, self.language = c, language
        self.items: list[tuple[str, str | None]] = []  # (structure role, text alternative), by MCID

    def begin(self, role: str, alt: str | None = None) -> None:
        """Start a marked-content sequence of `role` (H1, P, Figure, ...); what is drawn until `end` belongs to it."""
        self.c._code.append(f"/{role} <</MCID {len(self.items)}>> BDC")
        self.items.append((role, alt))

    def end(self) -> None:
        self.c._code.append("EMC")

    def finish(self) -> None:
        """Write the structure tree (call before `showPage`)."""
        from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFString, PDFtrue

        doc = self.c._doc
        page = doc.thisPageRef()
        root = PDFDictionary({"Type": PDFName("StructTreeRoot"), "ParentTreeNextKey": 1})
        document = PDFDictionary({"Type": PDFName("StructElem"), "S": PDFName("Document")})
        root_ref, document_ref = doc.Reference(root, "StructTreeRoot"), doc.Reference(document, "StructDocument")
        elements = []
        for mcid, (role, alt) in enumerate(self.items):
            element = PDFDictionary({"Type": PDFName("StructElem"), "S": PDFName(role), "P": document_ref, "Pg": page,
                                     "K": mcid})
            if alt:
                element["Alt"] = PDFString(alt)
            elements.append(doc.Reference(element, f"StructElement{mcid}"))
        document["P"], document["K"] = root_ref, PDFArray(elements)
        root["K"] = document_ref
        root["ParentTree"] = PDFDictionary({"Nums": PDFArray([0, PDFArray(elements)])})
        doc.Catalog.StructTreeRoot = root_ref
        doc.Catalog.MarkInfo = PDFDictionary({"Marked": PDFtrue})
        doc.Catalog.Lang = PDFString(self.language)
