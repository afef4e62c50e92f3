"""Benchmark of summons letters: batch PDFs with a process pool, and one letter on demand.

    python bench/bench_letters.py                        # 160,000 letters, 2 workers, 2 runs each
    python bench/bench_letters.py --letters 20000 --runs 1   # quick look

Three measured steps, each a fresh process measured as in bench_register.py (wall time from
start to exit, interpreter start-up included; peak RSS sampled every 20 ms from /proc:
*largest* is the highest VmHWM of one process of the tree, *tree* the largest sum of VmRSS
over the tree at one sample):

* letters: N synthetic letters in batches of up to 1,000 (one region per batch, in postcode
  order, as `notices print` makes them), a process pool of `--workers` processes, each
  rendering whole batches with `render_batch` to its own PDF plus its mailing manifest. The
  letters are built inside the workers (names in Latin, Cyrillic and Greek script, a third in
  Russian, references and codes from `secrets`), so building them is included.
* floor: the same batches and pool, but a bare ReportLab loop: a canvas per batch, the same
  DejaVu fonts, the page's static lines (taken once from the layout before the loop) drawn
  once per batch and language into a form XObject, and per page that form, the letter's
  fields drawn one by one with `drawString` (no formatting, fitting or wrapping) and one QR
  code from zxing-cpp as an inline image. The ratio letters / floor is what templating,
  layout and formatting cost over the least a page of this kind takes.
* latency: `render_one` of single letters (new letter each time, after one warm-up), median
  and 95th percentile over `--latency-runs`, in one process.

The source measured is a snapshot of the committed tree, as in bench_register.py. Output
goes to $CALLUP_BENCH_DIR (default /tmp/callup-bench) and is removed after its size is taken.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import random
import resource
import shutil
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_register import BENCH_DIR, SRC_LABEL, gib, log, measure

BATCH = 1000
LETTERS = 160_000
TARGET_S = 120
GIVEN = {"latin": ["Jan", "Zoë", "Jürgen", "Łukasz", "Søren", "Ana", "François", "Ömer"],
         "cyrillic": ["Иван", "Алексей", "Дмитрий", "Сергей", "Николай", "Олег"],
         "greek": ["Γιώργος", "Νίκος", "Δημήτρης", "Κώστας"]}
FAMILY = {"latin": ["Novák", "Dvořák", "Müller", "Łukasiewicz", "Ørsted", "García", "Lefèvre", "Yılmaz"],
          "cyrillic": ["Смирнов", "Иванов", "Кузнецов", "Попов", "Соколов", "Лебедев"],
          "greek": ["Παπαδόπουλος", "Γεωργίου", "Οικονόμου", "Νικολάου"]}
STREETS = {"latin": ["Station Road", "Štefánikova", "Hauptstraße", "Ångströmvägen"],
           "cyrillic": ["ул. Ленина", "пр. Мира", "ул. Садовая"], "greek": ["Οδός Ερμού", "Λεωφόρος Αλεξάνδρας"]}


# --- in the workers ----------------------------------------------------------------------------------------------


def make_batch(index: int, size: int) -> list:
    """Batch `index`: `size` letters of one region, in postcode order (deterministic but for the
    references and codes, which come from `secrets` as in production)."""
    from callup.notices.letters import Letter
    from callup.notices.reference import new_code, new_reference

    rng = random.Random(index)
    region = index % 85
    people = []
    for i in range(size):
        script = rng.choices(["latin", "cyrillic", "greek"], [6, 3, 1])[0]
        postcode = f"{region * 1000 + rng.randrange(1000):05d}"
        people.append((postcode, script, f"{rng.choice(GIVEN[script])} {rng.choice(FAMILY[script])}",
                       f"{rng.choice(STREETS[script])} {rng.randrange(1, 300)}", rng.getrandbits(128), i))
    people.sort()
    letters = []
    for postcode, script, name, street, pseudonym, i in people:
        ref = new_reference()
        letters.append(Letter(
            reference=ref, name=name, address_lines=(street, f"{postcode} Town {region + 1}"), postcode=postcode,
            language="ru" if script == "cyrillic" else "en", pseudonym=f"{pseudonym:032x}", rank=index * BATCH + i + 1,
            region=f"R{region + 1:02d}", region_name="Arist Lowlands", campaign="spring 2026",
            office_name="Arist Recruiting Office", office_address=("10 Harbour Street", f"{region * 1000 + 100:05d} Arist"),
            date=dt.date(2026, 4, 1) + dt.timedelta(days=i % 70), start=dt.time(8 + i % 8, 20), end=dt.time(8 + i % 8, 40),
            legal_basis="Conscription Act as consolidated in 2019, section 12", policy_version="2024.1",
            issued=dt.date(2026, 3, 16), apply_by=dt.date(2026, 3, 30), appeal_by=dt.date(2026, 4, 13),
            code=new_code(), portal_url="https://portal.example.gov/s/" + ref.replace("-", "")))
    return letters


def letters_job(index: int, size: int, out_dir: str) -> tuple[int, int]:
    """Render batch `index` with the project's code; (pages, bytes written)."""
    from callup.notices.letters import render_batch, write_manifest

    letters = make_batch(index, size)
    pdf = pathlib.Path(out_dir) / f"batch-{index:05d}.pdf"
    pages = render_batch(letters, pdf)
    write_manifest(letters, pages, pdf.with_suffix(".csv"))
    return len(pages), pdf.stat().st_size + pdf.with_suffix(".csv").stat().st_size


_FLOOR_PAGE: dict[str, list] = {}


def _floor_strings(letter) -> list[tuple]:
    """(font, size, x, y, text) of everything a letter page shows, from the layout (once per language)."""
    from callup.notices import letters as L

    template = L.template_for(letter.language, L.load_templates())
    if template.language not in _FLOOR_PAGE:
        layout = L._layout(template)
        _FLOOR_PAGE[template.language] = [op[1:6] for op in layout.static if op[0] in ("text", "centred")]
    return _FLOOR_PAGE[template.language]


def floor_job(index: int, size: int, out_dir: str) -> tuple[int, int]:
    """The same batch drawn by a bare ReportLab loop; (pages, bytes written)."""
    import numpy as np
    import zxingcpp
    from reportlab import rl_config
    from reportlab.pdfgen.canvas import Canvas

    from callup.notices import letters as L

    rl_config.useA85 = 0
    fonts = L._fonts()
    sans, bold = fonts["Sans"], fonts["Sans-Bold"]
    letters = make_batch(index, size)
    pdf = pathlib.Path(out_dir) / f"floor-{index:05d}.pdf"
    c = Canvas(str(pdf), pagesize=(L.PAGE_W, L.PAGE_H), invariant=1, pageCompression=1, initialFontName=sans)
    forms = set()
    for letter in letters:
        form = f"static-{letter.language}"
        if form not in forms:
            c.beginForm(form, 0, 0, L.PAGE_W, L.PAGE_H)
            for font, fsize, x, y, s in _floor_strings(letter):
                c.setFont(font, fsize)
                c.drawString(x, y, s)
            c.endForm()
            forms.add(form)
        c.doForm(form)
        fields = (letter.name, *letter.address_lines, letter.reference, str(letter.issued), letter.campaign,
                  letter.region_name, str(letter.rank), letter.pseudonym, letter.campaign, letter.name, str(letter.date),
                  f"{letter.start}-{letter.end}", letter.office_name, *letter.office_address, str(letter.apply_by),
                  str(letter.apply_by), str(letter.appeal_by), letter.code, letter.legal_basis)
        c.setFont(bold, 9)
        for i, s in enumerate(fields):
            c.drawString(L.LEFT + (i % 2) * 80 * L.MM, 700 - i * 14, s)
        code = zxingcpp.create_barcode(letter.portal_url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        modules = np.asarray(code.to_image(scale=1, add_quiet_zones=False))
        n = modules.shape[0]
        c._code.append(f"q 62 0 0 62 460 60 cm BI /IM true /W {n} /H {n} /BPC 1 /D [1 0] /F /AHx ID "
                       f"{np.packbits(modules < 128, axis=1).tobytes().hex()}> EI Q")
        c.showPage()
    c.save()
    return len(letters), pdf.stat().st_size


def pool_run(kind: str, total: int, workers: int, out_dir: str) -> dict:
    """(child) All batches of `total` letters over a pool of `workers` processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    job = letters_job if kind == "letters" else floor_job
    sizes = [min(BATCH, total - start) for start in range(0, total, BATCH)]
    t0 = time.perf_counter()
    pages = size_bytes = 0
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for p, b in pool.map(job, range(len(sizes)), sizes, [out_dir] * len(sizes)):
            pages += p
            size_bytes += b
    wall = time.perf_counter() - t0
    cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))  # the workers have been joined, so their time is in RUSAGE_CHILDREN
    return {"pages": pages, "bytes": size_bytes, "batches": len(sizes), "inner_s": wall, "cpu_s": cpu}


def latency_run(runs: int) -> dict:
    """(child) `render_one` of `runs` different letters after a warm-up; times in ms."""
    from callup.notices.letters import render_one

    letters = make_batch(999_999, runs + 1)
    render_one(letters[0])
    times, sizes = [], []
    for letter in letters[1:]:
        t0 = time.perf_counter()
        data = render_one(letter)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(data))
    times.sort()
    return {"median_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))], "max_ms": times[-1],
            "bytes": statistics.median(sizes)}


# --- the parent --------------------------------------------------------------------------------------------------


def child(args: list[str]) -> dict:
    m = measure([sys.executable, __file__, "--child", *args])
    m.update(json.loads(m.pop("stdout").strip().splitlines()[-1]))
    return m


def run(letters: int, workers: int, runs: int, latency_runs: int) -> dict:
    """`runs` runs of the letters and of the floor, alternating (so that other work on the
    machine falls on both alike), then the single-letter latency."""
    out = BENCH_DIR / f"letters-{os.getpid()}"
    results: dict = {"count": letters, "workers": workers, "letters": [], "floor": [], "load": [os.getloadavg()[0]],
                     "source": SRC_LABEL}
    try:
        for i in range(runs):
            for kind in ("letters", "floor"):
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                log(f"{kind} run {i + 1}/{runs}: {letters:,} letters, {workers} workers")
                m = child([kind, str(letters), str(workers), str(out)])
                results[kind].append(m)
                results["load"].append(os.getloadavg()[0])
                log(f"{kind}: {m['wall']:.1f} s wall, {m['cpu_s']:.1f} s CPU, {m['pages'] / m['wall']:.0f} pages/s, "
                    f"{m['bytes'] / letters:.0f} B/letter")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    log(f"latency: {latency_runs} single letters")
    results["latency"] = child(["latency", str(latency_runs)])
    results["load"].append(os.getloadavg()[0])
    return results


def report(r: dict) -> str:
    n, w, runs = r["count"], r["workers"], len(r["letters"])
    med = {kind: {key: statistics.median(m[key] for m in r[kind]) for key in ("wall", "cpu_s", "pages", "bytes")}
           for kind in ("letters", "floor")}
    peak = {kind: (max(m["maxrss_mib"] for m in r[kind]), max(m["tree_mib"] for m in r[kind])) for kind in ("letters", "floor")}
    lines = [
        (f"Source measured: {r.get('source', SRC_LABEL)} (a snapshot, so edits in progress cannot change a run). {n:,} synthetic letters "
        f"in {r['letters'][0]['batches']} batches of up to {BATCH:,} (one region each, postcode order; names in Latin, "
        "Cyrillic and Greek script, a third of the letters in Russian), a process pool of "
        f"{w} workers each rendering whole batches to its own PDF and mailing manifest. Wall time of the whole command "
        "from start to exit (interpreter start-up and building the letters included); CPU time of the process and its "
        "workers (user + system); pages per CPU second is the per-core speed that other work on the machine does not "
        "change. Peak RSS, sampled every 20 ms from /proc: *largest* is the highest VmHWM of one process of the tree, "
        "*tree* the largest sum of VmRSS over the tree at one sample. Floor: the same batches and pool, a bare ReportLab "
        "loop: the page's static lines once per batch in a form XObject, per page the letter's fields drawn one by one "
        "in the same fonts and one zxing-cpp QR code (no templates, formatting, fitting or wrapping). "
        f"{runs} run(s) of each, alternating; medians. Load average during the run: {min(r['load']):.1f} to "
        f"{max(r['load']):.1f} (2 cores, other work on the machine)."),
        "",
        ("| run | letters | workers | wall, median | wall min / max | letters/s | pages/s per core (wall) | pages per CPU second "
        "| bytes/letter | peak RSS largest, GiB | peak RSS tree, GiB |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, label in (("letters", "letters (`render_batch`)"), ("floor", "floor (bare ReportLab loop)")):
        m, walls = med[kind], [x["wall"] for x in r[kind]]
        lines.append(f"| {label} | {n:,} | {w} | {m['wall']:.1f} s | {min(walls):.1f} s / {max(walls):.1f} s | "
                     f"{m['pages'] / m['wall']:,.0f} | {m['pages'] / m['wall'] / w:,.0f} | {m['pages'] / m['cpu_s']:,.0f} | "
                     f"{m['bytes'] / n:,.0f} | {gib(peak[kind][0])} | {gib(peak[kind][1])} |")
    lat = r["latency"]
    best = min(x["wall"] for x in r["letters"])
    verdict = "met" if med["letters"]["wall"] <= TARGET_S else "not met"
    lines += [
        "",
        (f"Ratio to the floor, same run: wall {med['letters']['wall'] / med['floor']['wall']:.2f}x, CPU time "
        f"{med['letters']['cpu_s'] / med['floor']['cpu_s']:.2f}x. Single letter on demand (`render_one`, "
        f"{lat['bytes'] / 1024:.0f} KiB each, fonts embedded per file): median {lat['median_ms']:.1f} ms, "
        f"95th percentile {lat['p95_ms']:.1f} ms, largest {lat['max_ms']:.1f} ms (over {LATENCY_RUNS_SHOWN[0]} letters)."),
        "",
        (f"CPU time is what the load of other work does not change: at {med['letters']['pages'] / med['letters']['cpu_s']:,.0f} "
        f"pages per CPU second, {n:,} letters take {med['letters']['cpu_s']:.0f} s of CPU, that is about "
        f"{med['letters']['cpu_s'] / w:.0f} s of wall time on {w} otherwise idle cores (plus start-up)."),
        "",
        f"Against the target of {LETTERS:,} letters with 2 workers in at most {TARGET_S} s: "
        + (f"{verdict} (median {med['letters']['wall']:.0f} s, best {best:.0f} s)." if n == LETTERS and w == 2
           else f"not measured here ({n:,} letters, {w} workers)."),
    ]
    return "\n".join(lines)


LATENCY_RUNS_SHOWN = [200]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "latency":
            result = latency_run(int(rest[0]))
        else:
            result = pool_run(kind, int(rest[0]), int(rest[1]), rest[2])
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=LETTERS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2, help="runs of the letters and of the floor, alternating")
    parser.add_argument("--latency-runs", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="do not touch BENCHMARKS.md")
    parser.add_argument("--report-only", action="store_true", help="write the report of the last run again (from its JSON)")
    args = parser.parse_args()
    saved = BENCH_DIR / "letters-results.json"
    if args.report_only:
        results = json.loads(saved.read_text())
    else:
        results = run(args.letters, args.workers, args.runs, args.latency_runs)
        results["latency_runs"] = args.latency_runs
        results["argv"] = sys.argv[1:]
        saved.write_text(json.dumps(results, indent=1, default=str))
    sys.argv[1:] = results.get("argv", [])  # the command shown in BENCHMARKS.md is the one that measured
    LATENCY_RUNS_SHOWN[0] = results.get("latency_runs", args.latency_runs)
    body = report(results)
    print(body, flush=True)
    if not args.no_write:
        from _report import write_section

        write_section("letters", "Summons letters (PDF)", body)


if __name__ == "__main__":
    main()
