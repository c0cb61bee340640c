"""Repair the artefacts PDF text extraction leaves behind. Pure functions, no I/O.

``clean_text`` keeps the line structure (the parser needs it) but fixes line endings, soft and
line-end hyphens, bullet glyphs, running page headers/footers, bare page numbers, footnotes and
glued footnote markers. It is idempotent: ``clean_text(clean_text(x)) == clean_text(x)``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

# Private-use and odd bullet glyphs produced by Word's Symbol/Wingdings fonts.
_BULLETS = {
    "\uf0b7": "•",
    "\uf0a7": "•",
    "\uf0d8": "•",
    "\uf076": "•",
    "\uf0fc": "•",
    "\uf02d": "-",
    "\u25aa": "•",
    "\u25cf": "•",
    "\u25e6": "•",
    "\u2022": "•",
    "\u2023": "•",
    "\u2043": "-",
    "\u00b7": "•",
    "\uf0a8": "•",
}
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
_SPACES = {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u2002": " ", "\u2003": " "}
_DROP = {"\u200b", "\u200c", "\u200d", "\ufeff", "\x00", "\u2060"}
_TRANSLATE = str.maketrans({**_BULLETS, **_LIGATURES, **_SPACES, **{c: None for c in _DROP}})

_KEEP_HYPHEN_WORDS = ("und", "oder", "bzw.", "bzw", "sowie")
_LINE_END_HYPHEN_RE = re.compile(r"([A-Za-zÄÖÜäöüß]{2,}|\*in|[A-Za-zÄÖÜäöüß]\)?)-$")

# Lines that look like running headers / footers when they repeat.
_HEADER_WORD_RE = re.compile(
    r"(Drucksache|Wahlperiode|Landtag|Vorlage|Seite|Sitzung|Stadt|Gemeinde|Kreis|Rat\b|Bezirk|"
    r"Regionalverband|Ausdruck|Druck|gedruckt|Anfrage|Antrag|Nr\.|\d+\s*/\s*\d+)",
    re.IGNORECASE,
)
_PAGE_NUMBER_RE = re.compile(
    r"^(?:[-–—]\s*\d{1,3}\s*[-–—]|\d{1,3}|Seite\s+\d{1,3}(?:\s*(?:von|/)\s*\d{1,3})?|"
    r"\d{1,3}\s*(?:von|/)\s*\d{1,3}|S\.\s*\d{1,3})$",
    re.IGNORECASE,
)
_FOOTNOTE_LINE_RE = re.compile(r"^\d{1,2}\s+\S")
# A footnote marker glued to the end of a word/sentence: "solle.1", "Tiddische“1 wurde".
_GLUED_MARKER_RE = re.compile(r"(?<=[a-zäöüß][.,;:?!“”\"])\d{1,2}(?=\s|$)")
_MARKER_TAB_RE = re.compile(r"^([•\-–]|\d{1,2}[.)]|[a-z]\)|\(\d{1,2}\)|\([a-z]\))\t(?=\S)")
_COLUMN_GAP_RE = re.compile(r"(?<=\S) {3,}(?=\S)")
_LETTER_SPACED_RE = re.compile(r"^(?:[A-Za-zÄÖÜäöüß] ){3,}[A-Za-zÄÖÜäöüß]:?$")


def _normalise_chars(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\f\n")
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_TRANSLATE)
    # pdfium marks a hyphenation point with U+FFFE (or \x02) and drops the line break.
    text = re.sub(r"[\ufffe\x02]\n?(?=[A-ZÄÖÜ])", "-", text)
    text = re.sub(r"[\ufffe\x02]\n?", "", text)
    # Soft hyphens: a line-end one joins the word, anywhere else it is invisible.
    text = re.sub(r"\u00ad[ \t]*\n[ \t]*", "", text)
    text = text.replace("\u00ad", "")
    # Other control characters except tab/newline/formfeed.
    return re.sub(r"[\x01\x03-\x08\x0b\x0e-\x1f\x7f]", "", text)


_WS_RUN_RE = re.compile(r"\s+")
_PAGE_NO_IN_HEADER_RE = re.compile(
    r"(Seite\s+)\d{1,3}(\s*(?:von|/)\s*)?(\d{1,3})?|[-–—]\s*\d{1,3}\s*[-–—]", re.IGNORECASE
)


@functools.lru_cache(maxsize=4096)
def _norm_header(line: str) -> str:
    """Comparison key of a header/footer line; the page number in it is ignored."""
    if not line:
        return ""  # fast path: blank lines are most lines of a sparse text
    line = _WS_RUN_RE.sub(" ", line).strip()
    return _PAGE_NO_IN_HEADER_RE.sub(lambda m: "Seite #" if m.group(1) else "- # -", line)


def _find_running_headers(lines: list[str]) -> set[str]:
    """Lines repeated on several pages that look like headers or footers."""
    counts = Counter(_norm_header(line) for line in lines if line.strip())
    headers: set[str] = set()
    for line, n in counts.items():
        if n < 2 or len(line) < 12 or line.endswith(("?", ":")):
            continue
        if _HEADER_WORD_RE.search(line) and (n >= 3 or re.search(r"\d", line)):
            headers.add(line)
    # A repeated short line directly above or below a running header belongs to it
    # ("Kreistag des Landkreises X" over "Drucksache 2025/031 – Seite 2").
    keys = [_norm_header(line) for line in lines]
    for i, key in enumerate(keys):
        if key not in headers:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(keys):
                other = keys[j]
                if (
                    other
                    and other not in headers
                    and counts[other] >= 2
                    and len(other) < 80
                    and not other.endswith(("?", ":", ".", ","))
                    and _HEADER_WORD_RE.search(other)
                ):
                    headers.add(other)
    return headers


def _page_edge_headers(lines: list[str]) -> set[str]:
    """Header-like lines directly after a form feed (a header printed from page 2 on)."""
    found: set[str] = set()
    for i, line in enumerate(lines):
        if line != "\f":
            continue
        seen = 0
        for nxt in lines[i + 1 : i + 6]:
            if not nxt:
                continue
            seen += 1
            if seen > 2:
                break
            if (
                len(nxt) < 100
                and _HEADER_WORD_RE.search(nxt)
                and re.search(r"\d|Seite", nxt)
                and not nxt[0].islower()
                and not nxt.rstrip().endswith((".", "?", ",", ";", ":"))
                and not re.match(r"^\d{1,2}[.)]", nxt)
            ):
                found.add(_norm_header(nxt))
    return found


def _dehyphenate(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and line:
            prev = out[-1]
            # Only the line's tail is searched: on a long word without spaces the pattern,
            # anchored at the end, would be retried from every position (quadratic time).
            m = prev.endswith("-") and _LINE_END_HYPHEN_RE.search(prev[-8:])
            if m and line and not prev.endswith(" -") and not prev.endswith("--"):
                first = line.split(" ", 1)[0]
                if line[0].islower() and first not in _KEEP_HYPHEN_WORDS:
                    out[-1] = prev[:-1] + line
                    continue
                if line[0].isupper() and not re.match(r"^[A-ZÄÖÜ]{2,}\b", line):
                    # Real compound broken at its hyphen: Nordrhein-\nWestfalen.
                    out[-1] = prev + line
                    continue
            # A line starting with punctuation belongs to the previous line (" ." artefacts).
            if prev and re.match(r"^[.,;:?!)](?:\s|$)|^[“”](?:\s|$)", line):
                out[-1] = prev + line
                continue
            # "Regionalbahn\n-Strecke" (hyphen at the start of the next line).
            if (
                re.match(r"^-[A-Za-zÄÖÜäöüß]", line)
                and re.search(r"[A-Za-zÄÖÜäöüß]$", prev)
                and not re.search(r"\b(und|oder|bzw\.|sowie)$", prev)
            ):
                out[-1] = prev + line
                continue
        out.append(line)
    return out


def _has_marker(text: str, footnote_line: str) -> bool:
    """Is there a glued footnote marker ("Euro.1") for this footnote line's number?"""
    num = footnote_line.split(None, 1)[0]
    return re.search(rf"[a-zäöüß][.,;:?!“”\"]{num}(?=\s|$)", text) is not None


def _strip_footnotes(lines: list[str], page_starts: list[int]) -> list[str]:
    """Drop footnote blocks at the bottom of a page: lines '1 text' after a blank line, or whose
    number matches a glued marker in the text."""
    markers_text = "\n".join(lines)
    drop: set[int] = set()
    ends = [i for i in page_starts if i > 0] + [len(lines)]
    for end in ends:
        j = end - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        # Walk up over at most 8 lines looking for the first footnote line after a blank.
        # Several footnotes ("1 ...", "2 ...", "3 ...") form one block: take the topmost.
        k = j
        start: int | None = None
        while k >= 0 and j - k < 8 and lines[k].strip():
            if _FOOTNOTE_LINE_RE.match(lines[k]) and (
                k == 0 or not lines[k - 1].strip() or _has_marker(markers_text, lines[k])
            ):
                start = k
                if k == 0 or not lines[k - 1].strip():
                    break
            k -= 1
        if start is not None:
            # The block must start with footnote 1..n (a number <= 30) and not be a question.
            first_num = int(re.match(r"\d+", lines[start]).group())  # type: ignore[union-attr]
            if first_num <= 30 and not lines[start].rstrip().endswith("?"):
                drop.update(range(start, j + 1))
    return [line for i, line in enumerate(lines) if i not in drop]


def _join_page_breaks(lines: list[str]) -> list[str]:
    """A page break becomes a blank line, except inside a sentence: when the last line of a page
    ends in a word, comma or hyphen and the next page goes on in lowercase ("… eine Abstimmung" /
    "mit dem Land …"), the lines are joined so the paragraph (a question) stays in one piece."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line != "\f":
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j] in ("", "\f"):
            j += 1
        k = len(out) - 1
        while k >= 0 and not out[k]:
            k -= 1
        if (
            k >= 0
            and j < len(lines)
            and re.search(r"[A-Za-zÄÖÜäöüß,-]$", out[k])
            and re.match(r"[a-zäöüß]", lines[j])
        ):
            del out[k + 1 :]
            i = j
            continue
        out.append("")
        i += 1
    return out


def _ends_wrapped_line(lines: list[str], idx: int, headers: set[str]) -> bool:
    """Is the bare number at ``idx`` the wrapped end of the line above ("… Tiddische - Teil" /
    "2") rather than a page number? It directly follows a text line that ends in a word and
    the page goes on after it (a page number sits at a page break, apart or under a header)."""
    if not re.fullmatch(r"\d{1,3}", lines[idx]) or idx == 0 or idx + 1 >= len(lines):
        return False
    prev = lines[idx - 1]
    nxt = next((ln for ln in lines[idx + 1 :] if ln), None)
    return (
        nxt not in (None, "\f")
        and re.search(r"[A-Za-zÄÖÜäöüß]$", prev) is not None
        and _norm_header(prev) not in headers
    )


def clean_text(raw: str) -> str:
    """Return ``raw`` with PDF extraction artefacts removed; line structure is kept.

    Callers clean a document once: the reader and the CLI pass the cleaned text on to
    ``parse_cleaned_anfrage`` / ``pair_cleaned_answers``."""
    return _clean_text(raw) if raw else ""


def _clean_text(raw: str) -> str:
    text = _normalise_chars(raw)
    lines = [line.strip(" \t") for line in text.split("\n")]
    # Column gaps of layout-preserving extractors (3+ spaces inside a line) are cell borders.
    lines = [_COLUMN_GAP_RE.sub("\t", line) if "   " in line else line for line in lines]
    # A list marker set off by a tab or column gap is not a table cell ("1.<tab>Wie viele …",
    # "•<tab>Kommune"): hanging-indented lists of word processors.
    lines = [_MARKER_TAB_RE.sub(r"\1 ", line) if "\t" in line else line for line in lines]
    # Letter-spaced headings: "A N T W O R T" -> "ANTWORT".
    lines = [
        line.replace(" ", "") if len(line) > 6 and _LETTER_SPACED_RE.match(line) else line
        for line in lines
    ]

    headers = _find_running_headers([ln for ln in lines if ln != "\f"])
    headers |= _page_edge_headers(lines)
    page_starts: list[int] = []
    for i, line in enumerate(lines):
        is_start = line == "\f" or _norm_header(line) in headers
        if is_start and (not page_starts or i - page_starts[-1] > 1):
            page_starts.append(i)
    lines = _strip_footnotes(lines, page_starts)

    out: list[str] = []
    seen_headers: set[str] = set()
    nonempty = 0
    for idx, line in enumerate(lines):
        if not line:
            out.append(line)
            continue
        if line == "\f":
            out.append("\f")  # resolved by _join_page_breaks
            continue
        key = _norm_header(line)
        if key in headers:
            # Keep the first occurrence when it opens the document (it carries the reference).
            if key not in seen_headers and nonempty < 5:
                seen_headers.add(key)
                out.append(line)
                nonempty += 1
            else:
                seen_headers.add(key)
                out.append("")
            continue
        if _PAGE_NUMBER_RE.match(line) and not _ends_wrapped_line(lines, idx, headers):
            out.append("")
            continue
        if line:
            nonempty += 1
        out.append(line)

    out = _join_page_breaks(out)
    out = _dehyphenate(out)
    text = "\n".join(out)
    text = _GLUED_MARKER_RE.sub("", text)
    text = re.sub(r"[ ]{2,}", " ", text)
    # The lookbehind starts a match only at the beginning of a blank run: without it a long run
    # of tabs not followed by a newline is rescanned from each of its positions.
    text = re.sub(r"(?<![ \t])[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")
