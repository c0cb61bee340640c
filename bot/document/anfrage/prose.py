"""Questions written as prose: direct question sentences and indirect requests in the request
part of an Anfrage ("Wir fragen die Verwaltung, ob … und wie viele …?", "Vor diesem Hintergrund
bitten wir um Auskunft, wie viele …", questions run into one paragraph after "bitten wir um
Beantwortung folgender Fragen:").

Only paragraphs that make a request are read: the paragraph holding a request cue and the
paragraphs right after it that go on asking. A rhetorical question in a Sachverhalt or Begründung
has no cue and is never taken. Pure functions, no I/O.
"""

from __future__ import annotations

import re

from bot.document.anfrage.lines import ws
from bot.document.model import Question

# Phrases with which a faction puts its questions (the request cue of a paragraph).
REQUEST_CUE_RE = re.compile(
    r"\b(?:fragen?\s+wir|frage\s+ich|[Ww]ir\s+fragen|[Ii]ch\s+frage|"
    r"fragt\s+(?:daher\s+|deshalb\s+)?(?:die\s+Verwaltung|den\s+\w+|an)\b|"
    r"fragen\s+(?:daher\s+|deshalb\s+)?(?:die\s+Verwaltung|an)\b|"
    r"(?:bitten|bittet|bitte)\s+(?:wir\s+|ich\s+)?(?:\w+\s+){0,3}um\s+(?:die\s+)?"
    r"(?:Beantwortung|Auskunft|Mitteilung|Darstellung|Information|Angabe|Stellungnahme)|"
    r"möchten?\s+(?:wir|ich)\s+(?:gerne?\s+)?wissen)"
)
# An indirect question that is the request itself: "bitten wir um Auskunft, ob …".
_INTERROGATIVE = (
    r"(?:(?:an|in|mit|aus|von|zu|bei|seit|bis|für|auf|nach|über|unter)\s+)?"
    r"(?:ob|wie|wann|wo\w*|wer|wen|wem|was|warum|weshalb|wieso|welche[rsnm]?|inwie\w+)\b"
)
INDIRECT_RE = re.compile(
    r"(?:(?:bitten|bittet|bitte)\s+(?:wir\s+|ich\s+)?(?:\w+\s+){0,3}um\s+(?:die\s+)?"
    r"(?:Auskunft|Mitteilung|Darstellung|Information|Angabe|Beantwortung\s+der\s+Frage)|"
    r"möchten?\s+(?:wir|ich)\s+(?:gerne?\s+)?wissen|"
    r"(?:fragen\s+wir|[Ww]ir\s+fragen|frage\s+ich|[Ii]ch\s+frage)"
    r"(?:\s+(?:daher|deshalb|deswegen|somit|hiermit|nochmals|erneut))?"
    r"(?:\s+(?:die\s+Verwaltung|den\s+\w+|an))?)"
    rf",?\s+{_INTERROGATIVE}"
)
# A lead-in that ends in a colon before the first question ("Die CDU-Fraktion fragt die
# Verwaltung: Wie viele …?") is not part of the question.
_LEAD_IN_RE = re.compile(r"^[^?:]{0,200}?:\s+(?=[A-ZÄÖÜ„\"])")
_INLINE_NUMBER_RE = re.compile(r"(?<=[?.!:])\s+\(?\d{1,2}[.)]\s+(?=[A-ZÄÖÜ„])")
# Sentences that continue the question before them rather than asking a new one.
_CONTINUATION_RE = re.compile(
    r"^(?:Bitte|Falls|Wenn ja|Wenn nein|Wenn nicht|Sofern|Soweit|Ggf\.|Gegebenenfalls|Und\b|"
    r"Oder\b|Dabei|Hierbei|Insbesondere|Aufgeschlüsselt|Differenziert|Getrennt|Wenn dem)"
)
_SECTION_RE = re.compile(
    r"^(?:Begründung|Sachverhalt|Beschlussvorschlag|Beschluss|Antrag\b|Anlage|Hinweis|"
    r"Finanzielle|gez\.|Mit\s+\w+\s+Grüßen|Freundliche Grüße|Bearbeiter|Beratungsfolge)",
    re.IGNORECASE,
)
_ABBREV_END_RE = re.compile(
    r"(?:\b(?:z|B|Nr|Abs|bzw|vgl|ggf|u|a|S|ca|Dr|Art|gem|inkl|evtl|usw|etc|o|g|d|h|i|St|Str|"
    r"Tsd|Mio|Mrd|Ziff|lt|sog|bspw|insb|einschl|zzgl|max|min|ff|Std)\.|\b\d{1,2}\.)$"
)


_SENTENCE_END_RE = re.compile(r"[.?!][“”\"»]?(?=\s+[A-ZÄÖÜ„\"])")


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences; abbreviations and ordinals ("30. Juni") do not end one."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(text):
        # Only the end of the piece decides; searching the whole growing piece would make a
        # long paragraph of ordinals quadratic.
        tail = text[max(start, m.end() - 40) : m.end()].strip()
        if tail.endswith((".", "“", "”", '"', "»")) and _ABBREV_END_RE.search(tail.rstrip('“”"»')):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _is_question(sentence: str) -> bool:
    return sentence.rstrip(" “”\"')»").endswith("?") or bool(INDIRECT_RE.search(sentence))


def split_questions(text: str) -> list[str]:
    """The questions in one run of text: each question sentence (with the sentences that
    continue it), without a lead-in that ends in a colon. Statements are dropped."""
    # Numbers run into the text ("…: 1. Wie viele …? 2. Wie hoch …?") only separate questions.
    text = _INLINE_NUMBER_RE.sub(" ", ws(text))
    text = _LEAD_IN_RE.sub("", text, count=1) if REQUEST_CUE_RE.search(text) else text
    out: list[str] = []
    for s in sentences(text):
        if out and _CONTINUATION_RE.match(s):
            out[-1] = f"{out[-1]} {s}"
        elif _is_question(s):
            m = _LEAD_IN_RE.match(s)
            out.append(s[m.end() :] if m and REQUEST_CUE_RE.search(s[: m.end()]) else s)
    return out


def _paragraphs(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first line, end line, text) of every blank-line separated paragraph."""
    out: list[tuple[int, int, str]] = []
    start: int | None = None
    for i, line in enumerate([*lines, ""]):
        if line.strip():
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i, ws(" ".join(lines[start:i]))))
            start = None
    return out


def prose_questions(lines: list[str], start: int = 0) -> tuple[list[Question], int]:
    """Questions asked in prose paragraphs from line ``start`` on, numbered 1..n; and the index
    one past the last line read. ([], 0) when no paragraph makes a request."""
    paras = _paragraphs(lines)
    for k, (first, end, text) in enumerate(paras):
        if first < start or "\t" in lines[first] or _SECTION_RE.match(text):
            continue
        cue = REQUEST_CUE_RE.search(text)
        if not cue:
            continue
        # From the sentence holding the cue on.
        head = text[: cue.start()]
        cut = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
        found = split_questions(text[cut + 1 :] if cut >= 0 else text)
        last = end
        for first2, end2, more in paras[k + 1 :]:
            if _SECTION_RE.match(more) or "\t" in lines[first2]:
                break
            extra = split_questions(more)
            if not extra:
                break
            found += extra
            last = end2
        if found:
            qs = [Question(number=str(i + 1), text=t, items=()) for i, t in enumerate(found)]
            return qs, last
    return [], 0
