"""Summons letters: one page each, the address in the envelope window, any script as text,
templates per language, the QR code, manifests, and clear errors."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import unicodedata

import pytest

from callup.errors import CallupError, InputError
from callup.notices import letters
from callup.notices.letters import (
    MM,
    load_template,
    load_templates,
    render_batch,
    render_one,
    template_for,
    write_manifest,
)
from letter_samples import ADDRESSES, NAMES, sample_letter

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdftoppm) not installed; CI installs it")


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def pdftotext(path, page: int, *extra: str) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), *extra, str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_a_batch_is_one_pdf_with_one_page_per_letter(tmp_path):
    batch = [sample_letter(i, language=("ru" if i % 2 else "en")) for i in range(12)]
    pages = render_batch(batch, tmp_path / "b.pdf")
    assert pages == list(range(1, 13))
    data = (tmp_path / "b.pdf").read_bytes()
    assert data.startswith(b"%PDF") and page_count(data) == 12
    assert b"ASCII85Decode" not in data
    assert data.count(b"/Subtype /Form") == 2  # the static part, once per language in the batch
    assert not list(tmp_path.glob("*.part"))


def test_output_is_invariant(tmp_path):
    batch = [sample_letter(i) for i in range(3)]
    render_batch(batch, tmp_path / "a.pdf")
    render_batch(batch, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert render_one(batch[0]) == render_one(batch[0])


def test_render_one_is_a_one_page_pdf_with_embedded_fonts():
    data = render_one(sample_letter(1, name=NAMES["cyrillic"], language="ru"))
    assert data.startswith(b"%PDF") and page_count(data) == 1
    assert b"/FontFile2" in data and b"/Helvetica" not in data


@needs_poppler
@pytest.mark.parametrize("script", sorted(NAMES))
@pytest.mark.parametrize("language", ["en", "ru"])
def test_names_in_every_script_come_out_as_the_same_text(tmp_path, script, language):
    decomposed = unicodedata.normalize("NFD", NAMES[script])
    batch = [sample_letter(0), sample_letter(1, name=decomposed, address=ADDRESSES[script], language=language)]
    render_batch(batch, tmp_path / "b.pdf")
    text = pdftotext(tmp_path / "b.pdf", 2)
    assert NAMES[script] in text.splitlines()  # the name on a line of its own (address), in NFC
    for line in ADDRESSES[script]:
        assert line in text.splitlines()
    assert batch[1].reference in text and batch[1].code in text


@needs_poppler
def test_wording_follows_the_language_with_a_default(tmp_path):
    batch = [sample_letter(0, language="ru"), sample_letter(1, language="ru-RU"), sample_letter(2, language="el"),
             sample_letter(3, language="")]
    render_batch(batch, tmp_path / "b.pdf")
    ru, en = load_templates()["ru"], load_templates()["en"]
    for page, template in ((1, ru), (2, ru), (3, en), (4, en)):
        text = " ".join(pdftotext(tmp_path / "b.pdf", page).split())
        assert template.text["title"] in text
        assert template.date(batch[page - 1].date, long=True) in text
    render_batch(batch[2:], tmp_path / "c.pdf", default_language="ru")
    assert ru.text["title"] in " ".join(pdftotext(tmp_path / "c.pdf", 1).split())


def word_boxes(path, page: int = 1) -> list[tuple[str, tuple[float, ...]]]:
    """(word, (x0, y0, x1, y1) in mm from the top left) of a page, from pdftotext -bbox."""
    html = pdftotext(path, page, "-bbox")
    return [(m[4], tuple(float(v) / MM for v in m[:4]))
            for m in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>', html)]


@needs_poppler
@pytest.mark.parametrize("name, address", [
    ("Windowname", ("Streetline 1", "Townline")),
    ("Windowname Alexander Friedrich von Hohenzollern-Sigmaringen-Łukasiewicz",
     ("Streetline c/o Αικατερίνη Παπαδοπούλου-Κωνσταντινίδου", "Streetline 1234, Building C, Entrance 5",
      "Streetline Name Boulevard of the Republic of Example 123", "00123 Townline", "Countryline")),
])
def test_the_address_sits_in_the_din_5008_window(tmp_path, name, address):
    render_batch([sample_letter(0, name=name, address=address)], tmp_path / "b.pdf")
    boxes = word_boxes(tmp_path / "b.pdf")
    text = " ".join(pdftotext(tmp_path / "b.pdf", 1).split())
    assert name in text and all(line in text for line in address)
    # form B window: 20 mm from the left, 45 mm from the top, 85 x 45 mm; addressee below the 17.7 mm top zone
    window = [(w, box) for w, box in boxes if 62 < box[1] < 95 and box[0] < 110]
    for word in ("Windowname", "Streetline", "Townline"):
        assert any(w == word for w, _ in window), word
    for word, (x0, y0, x1, y1) in window:
        assert 20 + 5 - 0.5 <= x0 and x1 <= 20 + 85, word
        assert 45 + 17.7 - 1 <= y0 and y1 <= 45 + 45, word


@needs_poppler
def test_the_qr_code_opens_the_summons(tmp_path):
    import zxingcpp
    from PIL import Image

    letter = sample_letter(5)
    (tmp_path / "one.pdf").write_bytes(render_one(letter))
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "one.pdf"), str(tmp_path / "page")], check=True)
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert [r.text for r in found] == [letter.portal_url]


def test_letters_are_normalised_and_checked():
    letter = sample_letter(0, name=unicodedata.normalize("NFD", " Zoë\tŁukasiewicz "), address=("  a  ", "", "b\x00c"))
    assert letter.name == "Zoë Łukasiewicz" and unicodedata.is_normalized("NFC", letter.name)
    assert letter.address_lines == ("a", "b c")
    with pytest.raises(InputError) as caught:
        sample_letter(0, address=tuple("abcdef"))
    assert caught.value.field == "address" and "at most 5" in str(caught.value)
    with pytest.raises(InputError, match="name: empty"):
        sample_letter(0, name=" ")


def test_the_manifest(tmp_path):
    batch = [sample_letter(i) for i in range(3)]
    write_manifest(batch, [1, 2, 3], tmp_path / "m.csv")
    rows = list(csv.reader((tmp_path / "m.csv").open(encoding="utf-8")))
    assert rows == [["reference", "postcode", "page"]] + [[b.reference, b.postcode, str(i)] for i, b in enumerate(batch, 1)]
    with pytest.raises(ValueError):
        write_manifest(batch, [1], tmp_path / "n.csv")


def test_a_failed_batch_leaves_no_file(tmp_path):
    batch = [sample_letter(0), sample_letter(1, language="xx")]
    with pytest.raises(InputError) as caught:
        render_batch(batch, tmp_path / "b.pdf", templates={"en": load_templates()["en"]}, default_language="de")
    assert caught.value.field == "language"
    assert list(tmp_path.iterdir()) == []


def test_missing_fonts_name_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLUP_FONT_DIR", str(tmp_path))
    monkeypatch.setattr(letters, "_registered", {})
    with pytest.raises(CallupError, match="install the Debian package fonts-dejavu-core"):
        render_one(sample_letter(0))
    assert not list(tmp_path.iterdir())


# --- templates -------------------------------------------------------------------------------------------------


def test_shipped_templates_include_english_and_russian():
    templates = load_templates()
    assert {"en", "ru"} <= set(templates)
    assert template_for("RU_ru", templates).language == "ru"
    assert template_for("fr", templates).language == "en"
    with pytest.raises(InputError):
        template_for("fr", templates, default="xx")


def write_template(tmp_path, name="en", **replace):
    text = (letters.TEMPLATES / "en.toml").read_text(encoding="utf-8")
    for old, new in replace.items():
        text = text.replace(old.replace("__", " "), new)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("replace, message", [
    ({'salutation = "Dear {name},"': 'salutation = "Dear {nme},"'}, "text.salutation: unknown placeholder(s) {nme}; allowed: {name}"),
    ({'title = "Summons': 'title = "{name} Summons'}, "text.title: unknown placeholder(s) {name}; none allowed"),
    ({'title = "Summons to appear for military service"\n': ''}, "text.title: missing or not text"),
    ({'qr_caption': 'qr_captoin'}, "text.qr_captoin: unknown key"),
    ({'weekdays = ["Monday", ': 'weekdays = ['}, "format.weekdays: must be a list of 7 names"),
    ({'date = "{day} {month} {year}"': 'date = "{day} {month}"'}, "format.date: must use {day}, {month}, {year}"),
    ({'salutation = "Dear {name},"': 'salutation = "Dear {name,"'}, "text.salutation: bad braces"),
    ({'language = "en"': 'language = "ru"'}, "does not match the file name"),
    ({'[text]': '[text]\nbroken = '}, "not valid TOML"),
])
def test_bad_templates_are_refused_naming_file_and_key(tmp_path, replace, message):
    path = write_template(tmp_path, **{k.replace(" ", "__"): v for k, v in replace.items()})
    with pytest.raises(InputError) as caught:
        load_template(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_a_country_replaces_wording_without_code(tmp_path):
    write_template(tmp_path, Summons__to__appear__for__military__service="Call-up notice")
    templates = load_templates(tmp_path)
    assert templates["en"].text["title"] == "Call-up notice" and "ru" in templates
    data = render_one(sample_letter(0), templates=templates)
    assert page_count(data) == 1
    with pytest.raises(InputError, match="not a directory"):
        load_templates(tmp_path / "missing")


def test_a_template_too_long_for_the_page_is_refused(tmp_path):
    long = " ".join(["This sentence makes the deferral paragraph far too long for one page."] * 40)
    path = write_template(tmp_path, **{'deferral = """': f'deferral = """{long} '})
    with pytest.raises(InputError, match=r"does not fit on one page \(\d+ mm too long\)"):
        render_one(sample_letter(0), templates={"en": load_template(path)})
