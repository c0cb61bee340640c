"""Score the Anfrage parser on the held-out texts after a round trip through a printed PDF.

The text corpora are scored as ``.txt``, but the external check may feed real PDFs. This script
renders every held-out document (``tests/document/heldout``, ``tests/document/heldout2`` and the
shared ``anfrage-texts`` that have gold in ``tests/document/gold``) into a PDF the way council
systems print them, with reportlab platypus:

- A4, Helvetica or Times (alternating per document), 10.5 pt body text;
- every source line is a paragraph that is **re-wrapped to the page width**, so the line breaks of
  the PDF differ from the ``.txt`` (the main difference to the text corpora); texts that were
  already wrapped by an earlier extraction (Landtag prints) are first joined back into
  paragraphs (``reflow``);
- page breaks with a running header line (from page 2 on, or on every page) and a page-number
  footer (``Seite N von M``, ``- N -`` or a bare ``N``);
- runs of tab-separated lines (header block, Beratungsfolge, Bearbeiter table) become a real
  ``Table`` whose cells wrap inside their column;
- bullet lines (``•``, U+F0B7, ``- ``) get a real bullet glyph with a hanging indent;
- ``**bold**`` (rubin signatures) is set in the bold face;
- for every third document long words are hyphenated at line ends (``Glasfaser-`` / ``anschluss``).

Each PDF then goes through ``bot.document.cli.run_parse(pdf, as_json=True, ...)`` (what
``anfragebot parse FILE --json`` runs) and is scored against the unchanged gold with the scoring
code of ``eval_parser.py`` / ``eval_heldout.py`` (imported, not copied). Prints every miss per
document, then the report; the last two lines are ``question F1: X.XXX`` and
``field accuracy: X.XXX``.

    .venv/bin/python bench/eval_pdf_roundtrip.py [-q] [--keep DIR]
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
HELDOUT_DIRS = (ROOT / "tests" / "document" / "heldout", ROOT / "tests" / "document" / "heldout2")
SHARED_TEXT_DIR = ROOT.parent / "shared" / "anfrage-texts"
GOLD_DIR = ROOT / "tests" / "document" / "gold"

PAGE_W, PAGE_H = A4
MARGIN_L = MARGIN_R = 2.5 * cm
MARGIN_T = 2.8 * cm
MARGIN_B = 2.4 * cm
FRAME_W = PAGE_W - MARGIN_L - MARGIN_R
BODY_SIZE = 10.5
LEADING = 13.5

_BULLET_RE = re.compile(r"^\s*(?:[\uf0b7\u2022\u25aa\u25cf\uf0a7]|-(?=\s+[^\d\s]))\s*")
_SPACE_COLUMNS_RE = re.compile(r"\S {3,}\S")
_INDENTED_RE = re.compile(r"^ {3,}\S")
_HYPHEN_MIN_WORD = 8


# Sibling scripts import each other like the other bench scripts do.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_heldout as _eh  # noqa: E402
import eval_parser as _ep  # noqa: E402

# --------------------------------------------------------------------------- corpus


def text_corpus() -> list[tuple[str, Path, dict[str, Any]]]:
    """(name, .txt path, gold) for every held-out and gold-labelled shared text."""
    docs: list[tuple[str, Path, dict[str, Any]]] = []
    for folder in HELDOUT_DIRS:
        for txt in sorted(folder.glob("*.txt")):
            gold = txt.with_suffix(".json")
            if gold.exists():
                docs.append((txt.stem, txt, json.loads(gold.read_text(encoding="utf-8"))))
    for txt in sorted(SHARED_TEXT_DIR.glob("*.txt")):
        gold = GOLD_DIR / f"{txt.stem}.json"
        if gold.exists():
            docs.append((txt.stem, txt, json.loads(gold.read_text(encoding="utf-8"))))
    return docs


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Style:
    font: str
    bold: str
    hyphenate: bool
    header: str  # "from2" | "every" | "none"
    footer: str  # "seite" | "dash" | "bare"
    grid: bool


_TTF_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def _embedded_font() -> tuple[str, str] | None:
    """DejaVu Sans as an embedded TrueType subset (like Arial in a Word export), if installed."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return "DejaVuSans", "DejaVuSans-Bold"
    for folder in _TTF_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            from reportlab.lib.fonts import addMapping

            addMapping("DejaVuSans", 0, 0, "DejaVuSans")
            addMapping("DejaVuSans", 1, 0, "DejaVuSans-Bold")
            return "DejaVuSans", "DejaVuSans-Bold"
    return None


def _needs_unicode(text: str) -> bool:
    try:
        text.replace("\uf0b7", "").encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


def style_for(name: str, text: str = "") -> Style:
    """A deterministic print style per document (stable across runs and machines).

    Helvetica or Times (standard Type 1, WinAnsi); a document with characters outside WinAnsi
    (Turkish names: ş, ı, ğ) gets an embedded TrueType font, as a Word export would."""
    h = zlib.crc32(name.encode("utf-8"))
    times = h % 2 == 1
    font, bold = ("Times-Roman", "Times-Bold") if times else ("Helvetica", "Helvetica-Bold")
    if _needs_unicode(text):
        font, bold = _embedded_font() or (font, bold)
    return Style(
        font=font,
        bold=bold,
        hyphenate=(h // 2) % 3 == 0,
        header=("from2", "every", "none")[(h // 6) % 3],
        footer=("seite", "dash", "bare")[(h // 18) % 3],
        grid=(h // 54) % 2 == 0,
    )


def _pdf_safe(text: str) -> str:
    """The Symbol-font bullet becomes a real bullet; a subscript digit is printed as a digit."""
    return text.replace("\uf0b7", "•").replace("\u2082", "2")


def _markup(text: str) -> str:
    """Escape for platypus; ``**x**`` becomes bold."""
    out = escape(_pdf_safe(text))
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)


def _plain(text: str) -> str:
    return _pdf_safe(re.sub(r"\*\*(.+?)\*\*", r"\1", text))


def _split_word(word: str, room: float, font: str, size: float) -> tuple[str, str] | None:
    """Split ``word`` so that ``head-`` fits into ``room``: break after a vowel that is followed by
    a consonant (a rough German syllable rule), keeping at least 3 letters on both sides."""
    if len(word) < _HYPHEN_MIN_WORD or not re.fullmatch(r"[A-Za-zÄÖÜäöüß]+[.,;:?!]?", word):
        return None
    vowels = "aeiouäöüy"
    best: tuple[str, str] | None = None
    for i in range(3, len(word) - 3):
        if word[i - 1].lower() in vowels and word[i].lower() not in vowels and word[i].isalpha():
            head = word[:i]
            if stringWidth(head + "-", font, size) <= room:
                best = (head + "-", word[i:])
    return best


def _wrap_hyphenated(text: str, width: float, font: str, size: float) -> list[str]:
    """Greedy line breaking with hyphenation of long words at the line end."""
    lines: list[str] = []
    cur = ""
    space = stringWidth(" ", font, size)
    for word in text.split():
        if not cur:
            cur = word
            continue
        if stringWidth(cur + " " + word, font, size) <= width:
            cur += " " + word
            continue
        room = width - stringWidth(cur, font, size) - space
        split = _split_word(word, room, font, size)
        if split:
            lines.append(cur + " " + split[0])
            cur = split[1]
        else:
            lines.append(cur)
            cur = word
    if cur:
        lines.append(cur)
    return lines


def _paragraph(line: str, st: Style, styles: dict[str, ParagraphStyle]) -> Flowable:
    m = _BULLET_RE.match(line)
    if m:
        glyph = "-" if m.group(0).strip() == "-" else "•"
        body = line[m.end() :]
        return Paragraph(_markup(body), styles["bullet"], bulletText=glyph)
    if st.hyphenate and "**" not in line:
        # Leave 1 pt so platypus does not re-break a line that fits exactly.
        wrapped = _wrap_hyphenated(_plain(line), FRAME_W - 1, st.font, BODY_SIZE)
        return Paragraph("<br/>".join(escape(w) for w in wrapped), styles["body"])
    return Paragraph(_markup(line), styles["body"])


def _table(rows: list[list[str]], st: Style, styles: dict[str, ParagraphStyle]) -> Table:
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    # Column widths proportional to the longest cell (capped), like an auto-fitted Word table.
    longest = [max(min(len(r[c].strip()), 45) for r in rows) + 4 for c in range(ncols)]
    total = sum(longest)
    widths = [FRAME_W * n / total for n in longest]
    data = [[Paragraph(_markup(cell.strip()), styles["cell"]) for cell in r] for r in rows]
    table = Table(data, colWidths=widths, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if st.grid:
        commands.append(("GRID", (0, 0), (-1, -1), 0.4, "#777777"))
    table.setStyle(TableStyle(commands))
    return table


_ITEM_START_RE = re.compile(r"^(?:\d{1,2}[.)]|[a-z]\)|\(\d{1,2}\)|[-–•\uf0b7])(?:\s|$)")


def reflow(lines: list[str]) -> list[str]:
    """Join the lines of a text that was already wrapped by an earlier PDF extraction (Landtag
    prints) back into paragraphs, so the new PDF wraps them at its own width instead of leaving
    the old breaks plus new ones. Texts with one paragraph per line are left alone. A line that
    starts like a list item or a table row stays on its own line."""
    lengths = sorted(len(ln.rstrip()) for ln in lines if ln.strip())
    if not lengths or lengths[-1] > 130:
        return lines
    full = 0.75 * lengths[int(len(lengths) * 0.95) - 1 if len(lengths) > 1 else 0]
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        prev = out[-1] if out else ""
        joinable = (
            line.strip()
            and prev.strip()
            and len(prev) >= full
            and "\t" not in prev + line
            and not _INDENTED_RE.match(prev)
            and not _INDENTED_RE.match(line)
            and not _SPACE_COLUMNS_RE.search(prev.strip() + " " + line.strip())
            and not _ITEM_START_RE.match(line.strip())
            # Only inside a sentence: a line ending in . ? ! : closes its paragraph (a question
            # is its own paragraph, the answer starts a new one), and a title line that ends
            # with a capitalised noun is not glued to the next title line.
            and not re.search(r"[.?!:“”\"]$", prev)
            and (
                line.strip()[:1].islower()
                or re.search(r"[,;–-]$", prev) is not None
                or re.search(r"\b[a-zäöüß]+$", prev) is not None
            )
        )
        if joinable:
            if re.search(r"[a-zäöüß]-$", prev) and line.strip()[:1].islower():
                out[-1] = prev[:-1] + line.strip()
            else:
                out[-1] = prev + " " + line.strip()
        else:
            out.append(line)
    return out


def flowables(text: str, st: Style) -> list[Flowable]:
    styles = {
        "body": ParagraphStyle(
            "body", fontName=st.font, fontSize=BODY_SIZE, leading=LEADING, spaceAfter=1
        ),
        "bullet": ParagraphStyle(
            "bullet",
            fontName=st.font,
            fontSize=BODY_SIZE,
            leading=LEADING,
            leftIndent=18,
            bulletIndent=6,
            bulletFontName=st.font,
        ),
        "cell": ParagraphStyle("cell", fontName=st.font, fontSize=9.5, leading=11.5),
    }
    out: list[Flowable] = []
    table_rows: list[list[str]] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n")
    lines = reflow(lines)
    for raw in lines + [""]:
        line = raw.rstrip()
        if "\t" in line or _SPACE_COLUMNS_RE.search(line.strip()) or _INDENTED_RE.match(line):
            # Tab-separated or space-aligned columns (layout-preserving extractions): a table;
            # a deeply indented line is a cell of a right-hand column.
            table_rows.append(re.split(r"\t| {3,}", line.rstrip(" ")))
            continue
        if table_rows:
            out.append(_table(table_rows, st, styles))
            table_rows = []
        if not line.strip():
            out.append(Spacer(1, LEADING * 0.6))
            continue
        out.append(_paragraph(line.strip(), st, styles))
    return out


def _page_decorator(st: Style, header: str) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        page = canvas.getPageNumber()
        canvas.saveState()
        if header and (st.header == "every" or (st.header == "from2" and page > 1)):
            canvas.setFont(st.font, 8.5)
            canvas.drawString(MARGIN_L, PAGE_H - 1.6 * cm, header)
            canvas.setLineWidth(0.4)
            canvas.line(MARGIN_L, PAGE_H - 1.75 * cm, PAGE_W - MARGIN_R, PAGE_H - 1.75 * cm)
        canvas.setFont(st.font, 8.5)
        if st.footer == "seite":
            footer = f"Seite {page} von {doc.total_pages}"
        elif st.footer == "dash":
            footer = f"- {page} -"
        else:
            footer = str(page)
        canvas.drawCentredString(PAGE_W / 2, 1.3 * cm, footer)
        canvas.restoreState()

    return draw


def _running_header(text: str, gold: dict[str, Any]) -> str:
    """What the council system prints on top of the pages: the body's name and the number."""
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    first = re.sub(r"\s+", " ", _plain(re.split(r"\t| {3,}", first)[0]))[:70]
    ref = gold.get("reference")
    return f"{first} – {ref}" if ref else first


class _TwoPassDoc(SimpleDocTemplate):  # type: ignore[misc]
    total_pages = 0


def render_pdf(text: str, path: Path, name: str, gold: dict[str, Any]) -> Style:
    st = style_for(name, text)
    header = _running_header(text, gold)
    draw = _page_decorator(st, header)
    # First pass to count the pages (for "Seite N von M"), second pass to write the PDF.
    for _ in range(2):
        doc = _TwoPassDoc(
            str(path),
            pagesize=A4,
            leftMargin=MARGIN_L,
            rightMargin=MARGIN_R,
            topMargin=MARGIN_T,
            bottomMargin=MARGIN_B,
            title=name,
        )
        doc.total_pages = _TwoPassDoc.total_pages
        doc.build(flowables(text, st), onFirstPage=draw, onLaterPages=draw)
        _TwoPassDoc.total_pages = doc.page
    _TwoPassDoc.total_pages = 0
    return st


def build_pdfs(out_dir: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    """Render the whole corpus into ``out_dir``; return (name, pdf path, gold)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    docs: list[tuple[str, Path, dict[str, Any]]] = []
    for name, txt, gold in text_corpus():
        text = txt.read_text(encoding="utf-8")
        pdf = out_dir / f"{name}.pdf"
        render_pdf(text, pdf, name, gold)
        docs.append((name, pdf, gold))
    return docs


# --------------------------------------------------------------------------- scoring


def evaluate(out_dir: Path, verbose: bool = False) -> Any:
    """Render, parse and score; return an ``eval_parser.Totals``."""
    return _eh.evaluate(verbose=verbose, docs=build_pdfs(out_dir))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    verbose = "-q" not in args
    keep = args[args.index("--keep") + 1] if "--keep" in args else None
    print("PDF round trip: held-out + heldout2 + shared anfrage-texts, rendered with reportlab")
    if verbose:
        print("misses:")
    if keep:
        totals = evaluate(Path(keep), verbose)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            totals = evaluate(Path(tmp), verbose)
    print()
    _ep.print_report(totals)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
