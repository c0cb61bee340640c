"""``anfragebot parse FILE [--json]``: read a PDF or text file and print what was found."""

from __future__ import annotations

import json
import os
from typing import TextIO

from bot.document.anfrage import parse_cleaned_anfrage
from bot.document.answers import pair_cleaned_answers
from bot.document.clean import clean_text
from bot.document.extract import MAX_DOCUMENT_BYTES, extract_pdf_text
from bot.document.model import AnswerPairing, ParsedAnfrage
from bot.errors import DocumentError

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252, else latin-1 (never fails)."""
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def load_document_text(path: str) -> str:
    """Text of a PDF or text file; raises DocumentError with a one-line reason."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError as e:
        raise DocumentError(f"Datei nicht gefunden: {path}") from e
    except OSError as e:
        raise DocumentError(f"Datei nicht lesbar: {path} ({e.strerror})") from e
    if os.path.isdir(path):
        raise DocumentError(f"Das ist ein Verzeichnis, keine Datei: {path}")
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            f"Die Datei ist zu groß ({size / 2**20:.0f} MB, höchstens 50 MB): {path}"
        )
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as e:
        raise DocumentError(f"Datei nicht lesbar: {path} ({e.strerror})") from e
    if not data:
        raise DocumentError(f"Die Datei ist leer: {path}")
    if data[:1024].find(b"%PDF") >= 0 or path.lower().endswith(".pdf"):
        extracted = extract_pdf_text(data)
        if not extracted.has_text_layer:
            raise DocumentError(
                "Das PDF enthält keine Textebene (nur gescannte Bilder); Texterkennung (OCR) "
                "wird nicht unterstützt."
            )
        return extracted.text
    text = decode_text(data)
    if not text.strip():
        raise DocumentError(f"Die Datei enthält keinen Text: {path}")
    return text


def format_human(parsed: ParsedAnfrage) -> str:
    def val(v: object) -> str:
        return "—" if v in (None, "", [], ()) else str(v)

    lines = [
        f"Drucksache:   {val(parsed.reference)}",
        f"Datum:        {val(parsed.date.strftime('%d.%m.%Y') if parsed.date else None)}",
        f"Art:          {val(parsed.paper_type)}",
        f"Betreff:      {val(parsed.subject)}",
        f"Fraktion(en): {val(', '.join(parsed.factions))}",
        f"Unterzeichnet: {val(', '.join(parsed.signatories))}",
    ]
    if parsed.consultations:
        lines.append("Beratungsfolge:")
        for c in parsed.consultations:
            bits = [c.committee]
            if c.role:
                bits.append(c.role)
            if c.date:
                bits.append(f"Sitzung am {c.date.strftime('%d.%m.%Y')}")
            if c.agenda_item:
                bits.append(f"TOP {c.agenda_item}")
            lines.append("  - " + ", ".join(bits))
    else:
        lines.append("Beratungsfolge: —")
    lines.append(f"Fragen ({len(parsed.questions)}):")
    if not parsed.questions:
        lines.append("  (keine Fragen gefunden)")
    for q in parsed.questions:
        lines.append(f"  {q.number}. {q.text}")
        for item in q.items:
            lines.append(f"       - {item}")
    return "\n".join(lines) + "\n"


def run_parse(
    path: str, as_json: bool, out: TextIO, err: TextIO, anfrage: str | None = None
) -> int:
    """Parse FILE and print the result; on bad input print one line to ``err`` and return 2.

    For an answer document the questions are paired with their answers; ``anfrage`` (the
    Anfrage's file, ``--anfrage``) gives the questions, else the re-listed ones are read."""
    try:
        raw = load_document_text(path)
        cleaned = clean_text(raw)
        parsed = parse_cleaned_anfrage(cleaned)
        context = (
            parse_cleaned_anfrage(clean_text(load_document_text(anfrage))) if anfrage else None
        )
        pairing = pair_cleaned_answers(cleaned, context)
    except DocumentError as e:
        err.write(f"Fehler: {e}\n")
        return EXIT_BAD_INPUT
    except Exception as e:  # never a traceback on the command line
        err.write(f"Fehler: Dokument konnte nicht verarbeitet werden ({type(e).__name__}: {e})\n")
        return EXIT_BAD_INPUT
    if as_json:
        data = {**parsed.to_json_dict(), **pairing.to_json_dict()}
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(format_human(parsed) + format_answers(pairing))
    return EXIT_OK


def format_answers(pairing: AnswerPairing) -> str:
    """The human form of an answer pairing ('' for a document that is no answer)."""
    if not pairing.answers and pairing.answered_by is None:
        return ""
    lines = [f"Beantwortet von: {pairing.answered_by or '—'}", "Antworten:"]
    for a in pairing.answers:
        state = " (nicht beantwortet)" if a.number in pairing.unanswered else ""
        lines.append(f"  {a.number}.{state} {a.answer or '—'}")
    return "\n".join(lines) + "\n"
