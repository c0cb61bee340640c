"""Read the administration's answer to an Anfrage question by question.

``pair_answers`` is pure: the answer document's text (raw or cleaned) and, when known, the parsed
Anfrage in; an ``AnswerPairing`` out. Without the Anfrage it reads the questions the answer
re-lists. It understands the common layouts of municipal answers:

- labels before each answer: ``Zu 1.``, ``Zu Frage 1:``, ``Zu a)``, ``Antwort zu 1``,
  ``Zu den Fragen 1 und 2:`` (one passage for both);
- re-listed questions, each followed by its answer: ``Frage 1:`` … ``Antwort:`` …, ``1. …?`` /
  ``(1) …?`` + answer, unnumbered or quoted ``…?`` lines + answer;
- one prose block answering all questions: each sentence goes to the question it shares the most
  words with, keeping the questions' order (needs the Anfrage).

A question with no passage, or whose passage is only a deferral ("wird nachgereicht", "kann
derzeit nicht beantwortet werden"), is listed in ``unanswered``. It never raises for odd input.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from bot.document.anfrage.lines import ws
from bot.document.clean import clean_text
from bot.document.model import Answer, AnswerPairing, ParsedAnfrage

# --------------------------------------------------------------------------------------------
# Is this an answer?

# A head line that names the paper an answer: "Beantwortung einer Anfrage", "Antwort der
# Verwaltung", "Stellungnahme zum TOP", "Mitteilung der Verwaltung", "Kleine Anfrage mit Antwort",
# or a Betreff "… – Beantwortung der Anfrage der SPD-Fraktion". A Beratungsfolge role
# ("Beantwortung") or "zur schriftlichen Beantwortung" does not.
_ANSWER_TITLE_RE = re.compile(
    r"^(?:Beantwortung\b|Antwort\b|ANTWORT\b|Stellungnahme\b|Mitteilung der Verwaltung\b)|"
    r"\bmit Antwort\b|\bBeantwortung\s+(?:der|einer|des)\b.{0,60}[Aa]nfrage|"
    r"\bStellungnahme der Verwaltung\b|\bAntwort (?:auf|der Verwaltung)\b|"
    r"\bnimmt die Verwaltung wie folgt Stellung|\bwird wie folgt beantwortet"
)
_ANSWER_MARK_RE = re.compile(
    r"^(?:Zu\s+(?:den\s+|der\s+)?(?:Fragen?\s*)?(?:Nr\.\s*)?\(?\d|Zu\s+[a-z]\)|Antwort\s+zu\b|"
    r"Antwort(?:\s+der\s+Verwaltung)?\s*:)",
    re.MULTILINE,
)


def is_answer_document(text: str) -> bool:
    """An answer names itself in its head (Beantwortung, Antwort, Stellungnahme) and answers
    question by question or in prose; an Anfrage or Antrag does neither."""
    # Title lines only: a prose sentence citing "die Antwort auf unsere Anfrage" is no title.
    head = [ln.strip() for ln in text.split("\n")[:40] if "\t" not in ln and len(ln) <= 130]
    if not any(_ANSWER_TITLE_RE.search(ln) for ln in head):
        return False
    # "Anfrage … zur Beantwortung in der Sitzung" is still an Anfrage.
    return not re.search(r"(?:^|\n)\s*(?:Wir fragen|Ich frage)\b", text)


# --------------------------------------------------------------------------------------------
# Markers

_NUM = r"\(?(?:\d{1,2}[a-z]?|[a-z])\)?\.?"
_ZU_RE = re.compile(
    r"^(?:Zu|Antwort\s+zu|Antwort\s+auf)\s+(?:den\s+|der\s+)?(?:Fragen?\s*)?(?:Nr\.\s*)?"
    rf"(?P<nums>{_NUM}(?:\s*(?:,|und|bis|sowie|&)\s*{_NUM})*)\s*:?\s*(?:$|(?P<rest>[A-ZÄÖÜ„\"].*))"
)
_FRAGE_RE = re.compile(r"^Frage\s*(?:Nr\.\s*)?(?P<num>\d{1,2}[a-z]?)\s*[:.)]?\s*(?P<rest>.*)$")
_NUMQ_RE = re.compile(r"^(?:\((?P<p>\d{1,2})\)|(?P<n>\d{1,2})[.)])\s+(?P<rest>[A-ZÄÖÜ„\"].*)$")
_ANTWORT_RE = re.compile(r"^Antwort(?:\s+der\s+Verwaltung)?\s*:\s*(?P<rest>.*)$")
_STOP_RE = re.compile(
    r"^(?:gez\.|gezeichnet|Im Auftrag|In Vertretung|i\.\s?A\.|i\.\s?V\.|Mit freundlichen|"
    r"Freundliche Grüße|Bearbeiter|Anlage[n]?\b|Verteiler|Der (?:Ober)?[Bb]ürgermeister$|"
    r"Der Landrat$)"
)
_OFFICE_RE = re.compile(
    r"^(?:(?:Fachbereich|Referat|Fachdienst|Bereich|Dezernat|Stabsstelle|Geschäftsbereich)"
    r"\s+\S.{0,60}|Amt\s+für\s+.{3,60}|[A-ZÄÖÜ][a-zäöüß-]{2,40}(?<![Gg]es)amt)$"
)
_OFFICE_LABEL_RE = re.compile(
    r"^(?P<label>Federführende Dienststelle|Federführendes Amt|Federführung|Dienststelle|"
    r"Organisationseinheit|Fachbereich|Referat|Amt|Fachdienst|Dezernat)\s*[:\t]\s*"
    r"(?P<value>\S.{1,70})$"
)
# "Die Fragen werden wie folgt beantwortet:" introduces the answers; it answers nothing.
_LEAD_IN_RE = re.compile(r"\b(?:wie folgt|folgende[n]?)\b.{0,40}:$|^Zur Anfrage\b.*:$")
_DEFERRAL_RE = re.compile(
    r"(nachgereicht|nachreichen|kann\s+(?:derzeit|zurzeit|zur\s+Zeit|momentan|noch)\s+"
    r"(?:noch\s+)?(?:nicht|keine)\b|noch\s+nicht\s+(?:abschließend\s+)?beantwortet|"
    r"(?:wird|werden)\s+(?:die\s+Verwaltung\s+)?(?:in\s+einer\s+der\s+nächsten|in\s+der\s+"
    r"nächsten)\s+Sitzung)",
    re.IGNORECASE,
)
_ABBREV_END_RE = re.compile(
    r"(?:\b(?:z|B|Nr|Abs|bzw|vgl|ggf|u|a|S|ca|Dr|Art|gem|inkl|evtl|usw|etc|o|g|d|h|i|St|Str|"
    r"Tsd|Mio|Mrd|Ziff|lt|sog|bspw|insb|einschl|zzgl|max|min|ff)\.|\b\d{1,2}\.)$"
)
_STOPWORDS = {
    "der", "die", "das", "den", "dem", "des", "und", "oder", "ist", "sind", "wird", "werden",
    "wurde", "wurden", "welche", "welcher", "welches", "wie", "viele", "wann", "eine", "einer",
    "einen", "dies", "diese", "dieser", "derzeit", "verwaltung", "stadt", "nach", "über", "sich",
    "nicht", "auch", "noch", "bereits", "haben", "hat", "gibt", "mit", "für", "von", "vom", "zur",
    "zum", "bei", "bis", "aus", "auf", "ob", "dass", "im", "in", "am", "an", "es", "ein", "als",
}  # fmt: skip


def _ends_sentence(s: str) -> bool:
    s = s.rstrip(" “”\"')»")
    return s.endswith(("?", "!")) or (s.endswith(".") and not _ABBREV_END_RE.search(s))


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in re.finditer(r"[.?!][“”\"»]?(?=\s+[A-ZÄÖÜ„\"])", text):
        # Only the end of the piece decides (an abbreviation or ordinal); looking at the whole
        # growing piece would make a long paragraph of "1." quadratic.
        if _ends_sentence(text[max(start, m.end() - 40) : m.end()]):
            out.append(text[start : m.end()].strip())
            start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _numbers(spec: str) -> list[str]:
    """'1 und 2' -> ['1', '2']; '1 bis 3' -> ['1', '2', '3']; 'a)' -> ['a']."""
    tokens = re.findall(r"\d{1,2}[a-z]?|\b[a-z]\b|bis", spec)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok == "bis" and out and i + 1 < len(tokens):
            lo, hi = out[-1], tokens[i + 1]
            if lo.isdigit() and hi.isdigit():
                out.extend(str(n) for n in range(int(lo) + 1, int(hi)))
            continue
        out.append(tok)
    return out


# --------------------------------------------------------------------------------------------
# Segmenting the answer


@dataclass
class _Segment:
    numbers: list[str]  # printed numbers ([] for an unnumbered re-listed question)
    question: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    in_answer: bool = False


def _question_lines(lines: list[str], i: int) -> tuple[list[str], int] | None:
    """A re-listed question starting at line ``i``: lines up to the one ending in '?' (at most
    four), or None."""
    if not any("?" in ln for ln in lines[i : i + 4]):
        return None  # fast path: most lines are no question
    out: list[str] = []
    j = i
    while j < len(lines) and j - i < 4:
        s = lines[j].strip()
        if not s:
            return None
        out.append(s)
        if s.rstrip(" “”\"'»").endswith("?"):
            return out, j + 1
        if _ends_sentence(s):
            return None
        j += 1
    return None


def _body_start(lines: list[str]) -> int:
    """First line after the header: after the Betreff block, else after the Beratungsfolge."""
    for i, line in enumerate(lines[:60]):
        m = re.match(r"^(?:Betreff|Betr\.|Gegenstand)\s*:?\s*(.*)$", line.strip())
        if m:
            j = i + 1
            if not m.group(1):
                # A bare label: the subject sits on the next non-blank line(s).
                while j < len(lines) and not lines[j].strip():
                    j += 1
            while j < len(lines) and lines[j].strip():
                j += 1
            return j
    return 0


def _segments(lines: list[str]) -> list[_Segment]:
    segs: list[_Segment] = []
    cur: _Segment | None = None
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if not s:
            if cur is not None and cur.in_answer and cur.answer and cur.answer[-1] != "":
                cur.answer.append("")
            i += 1
            continue
        if (
            _STOP_RE.match(s)
            or _OFFICE_RE.match(s)
            or _OFFICE_LABEL_RE.match(s)
            or _LEAD_IN_RE.search(s)
        ):
            cur = None
            i += 1
            continue
        m = _ZU_RE.match(s)
        if m:
            cur = _Segment(numbers=_numbers(m.group("nums")), in_answer=True)
            if m.group("rest"):
                cur.answer.append(m.group("rest"))
            segs.append(cur)
            i += 1
            continue
        m = _FRAGE_RE.match(s)
        if m:
            cur = _Segment(numbers=[m.group("num")])
            if m.group("rest"):
                cur.question.append(m.group("rest"))
            segs.append(cur)
            i += 1
            continue
        m = _ANTWORT_RE.match(s)
        if m and cur is not None:
            cur.in_answer = True
            if m.group("rest"):
                cur.answer.append(m.group("rest"))
            i += 1
            continue
        m = _NUMQ_RE.match(s)
        if m or cur is None or cur.in_answer:
            found = _question_lines(lines, i)
            if found is not None and (m or cur is None or (cur.answer and cur.answer[-1] == "")):
                qlines, nxt = found
                if m:
                    qlines[0] = m.group("rest")
                cur = _Segment(numbers=[m.group("p") or m.group("n")] if m else [])
                cur.question = [q.strip('„“”"»« ') for q in qlines]
                segs.append(cur)
                i = nxt
                continue
        if cur is not None:
            if not cur.in_answer and (not cur.question or not _ends_question(cur.question[-1])):
                cur.question.append(s)
            else:
                cur.in_answer = True
                cur.answer.append(s)
        i += 1
    return segs


def _ends_question(s: str) -> bool:
    return s.rstrip(" “”\"'»").endswith("?")


def _passage(lines: list[str]) -> str:
    return ws(" ".join(ln for ln in lines if ln))


# --------------------------------------------------------------------------------------------
# Prose block


def _words(s: str) -> set[str]:
    return {
        w[:6]
        for w in re.findall(r"[A-Za-zÄÖÜäöüß0-9]{4,}", s.lower())
        if w not in _STOPWORDS and not w.isdigit()
    }


def _prose_paragraphs(lines: list[str]) -> list[str]:
    paras: list[str] = []
    buf: list[str] = []
    for line in [*lines, ""]:
        s = line.strip()
        if s and not (_STOP_RE.match(s) or _OFFICE_RE.match(s) or "\t" in s):
            buf.append(s)
            continue
        if buf:
            text = ws(" ".join(buf))
            if len(text) > 60 and _ends_sentence(text) and not text.endswith(":"):
                paras.append(text)
            buf = []
        if s and _STOP_RE.match(s):
            break
    return paras


def _pair_prose(lines: list[str], questions: list[tuple[str, str]]) -> dict[str, str]:
    """Give each sentence of the prose answer to the question it shares most words with; the
    questions' order is kept (a sentence never goes back to an earlier question)."""
    sentences = [s for p in _prose_paragraphs(lines) for s in _sentences(p)]
    qwords = [_words(q) for _, q in questions]
    out: dict[str, list[str]] = {}
    j = 0
    for s in sentences:
        sw = _words(s)
        scores = [len(sw & qw) for qw in qwords]
        best = max(range(j, len(questions)), key=lambda k: scores[k], default=j)
        if scores and scores[best] > 0:
            j = best
        if questions:
            out.setdefault(questions[j][0], []).append(s)
    return {n: " ".join(ss) for n, ss in out.items()}


# --------------------------------------------------------------------------------------------
# Signing office


def _office(lines: list[str]) -> str | None:
    for line in lines:
        m = _OFFICE_LABEL_RE.match(line.strip())
        if m:
            value = ws(m.group("value").replace("\t", " "))
            label = m.group("label")
            if label in ("Fachbereich", "Referat", "Fachdienst", "Dezernat") and not (
                value.startswith(label)
            ):
                value = f"{label} {value}"
            return value
    for line in lines:
        for cell in line.split("\t"):
            s = cell.strip()
            if _OFFICE_RE.match(s) and not _ends_sentence(s):
                return s
    return None


# --------------------------------------------------------------------------------------------


def _is_deferral(passage: str) -> bool:
    return bool(_DEFERRAL_RE.search(passage)) and len(_sentences(passage)) <= 3


def _match_question(text: str, questions: list[tuple[str, str]], taken: set[str]) -> str | None:
    """The number of the Anfrage question a re-listed question repeats (by text)."""
    best, best_ratio = None, 0.6
    for number, q in questions:
        if number in taken:
            continue
        ratio = difflib.SequenceMatcher(None, ws(text).lower(), ws(q).lower()).ratio()
        if ratio > best_ratio:
            best, best_ratio = number, ratio
    return best


def pair_answers(text: str, anfrage: ParsedAnfrage | None = None) -> AnswerPairing:
    """Pair each question with the passage of ``text`` that answers it. Pure; never raises.

    ``anfrage`` gives the questions (and their numbers); without it the questions the answer
    re-lists are used. A text that is no answer gives an empty pairing."""
    return pair_cleaned_answers(clean_text(text or ""), anfrage)


def pair_cleaned_answers(cleaned: str, anfrage: ParsedAnfrage | None = None) -> AnswerPairing:
    """``pair_answers`` for a text ``clean_text`` has already cleaned (the CLI cleans once)."""
    if not cleaned or (anfrage is None and not is_answer_document(cleaned)):
        return AnswerPairing()
    lines = cleaned.split("\n")
    body = lines[_body_start(lines) :]
    segs = _segments(body)
    context = [(q.number, q.text) for q in anfrage.questions] if anfrage else []

    questions: list[tuple[str, str]] = list(context)
    passages: dict[str, str] = {}
    taken: set[str] = set()
    unnumbered = 0
    for seg in segs:
        qtext = ws(" ".join(seg.question))
        numbers = seg.numbers
        if not numbers and qtext:
            unnumbered += 1
            match = _match_question(qtext, context, taken) if context else None
            numbers = [match or str(unnumbered)]
        if qtext and not context:
            for n in numbers:
                if all(n != num for num, _ in questions):
                    questions.append((n, qtext))
        passage = _passage(seg.answer)
        for n in numbers:
            taken.add(n)
            if passage and n not in passages:
                passages[n] = passage
    if not passages and context:
        passages = _pair_prose(body, context)

    answers: list[Answer] = []
    unanswered: list[str] = []
    for number, question in questions:
        passage = passages.get(number, "")
        answers.append(Answer(number=number, question=question, answer=passage))
        if not passage or _is_deferral(passage):
            unanswered.append(number)
    if not answers:
        return AnswerPairing(answered_by=_office(lines))
    return AnswerPairing(
        answers=tuple(answers), unanswered=tuple(unanswered), answered_by=_office(lines)
    )


# --------------------------------------------------------------------------------------------
# Excerpts for the answer's thread reply (issue 16 item 4; the Slack side renders and escapes)


def _excerpt(passage: str, limit: int) -> str:
    """The first sentence or two of a passage, at most ``limit`` characters, cut at a word."""
    text = ""
    for sentence in _sentences(ws(passage)):
        candidate = f"{text} {sentence}".strip()
        if text and len(candidate) > limit:
            break
        text = candidate
        if len(text) >= limit // 2:
            break
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def answer_excerpts(pairing: AnswerPairing, limit: int = 200) -> list[str]:
    """One German line per question: "Frage 1: <excerpt>", "Frage 3: nicht beantwortet" (or
    "… zurückgestellt: <excerpt>" for a deferral). Raw council text: the caller escapes it."""
    lines: list[str] = []
    for a in pairing.answers:
        if a.number in pairing.unanswered:
            if a.answer:
                lines.append(f"Frage {a.number}: zurückgestellt – {_excerpt(a.answer, limit)}")
            else:
                lines.append(f"Frage {a.number}: nicht beantwortet")
        else:
            lines.append(f"Frage {a.number}: {_excerpt(a.answer, limit)}")
    return lines
