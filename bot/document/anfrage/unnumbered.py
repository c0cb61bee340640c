"""Questions without a numbered list: re-listed under "Zu Frage 2:" headings in an answer, or
one per '?' line after a cue ("Wir fragen die Verwaltung:")."""

from __future__ import annotations

import re
import string

from bot.document.anfrage.items import SUB_RE, TERMINATOR_RE, ends_question, sub_marker
from bot.document.anfrage.lines import Ctx, ws
from bot.document.anfrage.prose import REQUEST_CUE_RE, split_questions
from bot.document.anfrage.vocabulary import CUE_RE
from bot.document.model import Question

_DIGITS_RE = re.compile(r"\d+")
_ZU_FRAGE_RE = re.compile(
    r"^Zu\s+(?:der\s+)?(?:den\s+)?Fragen?\s*(?:Nr\.\s*)?([\d ,und]+?)\s*:?\s*$"
)


def unnumbered_questions(ctx: Ctx) -> tuple[list[Question], int]:
    """Answers restating questions without numbers, headed 'Zu Frage 2:' / 'Zu den Fragen 1 und 3:'.
    The k paragraphs right before such a heading are the k questions it names."""
    lines = ctx.lines
    found: list[Question] = []
    end = 0
    for i, line in enumerate(lines):
        m = _ZU_FRAGE_RE.match(line.strip())
        if not m:
            continue
        nums = _DIGITS_RE.findall(m.group(1))
        if not nums:
            continue
        paras: list[list[str]] = []
        j = i - 1
        cur: list[str] = []
        while j >= 0 and len(paras) < len(nums):
            s = lines[j].strip()
            if not s:
                if cur:
                    paras.insert(0, cur)
                    cur = []
            elif _ZU_FRAGE_RE.match(s):
                break
            else:
                cur.insert(0, s)
            j -= 1
        if cur and len(paras) < len(nums):
            paras.insert(0, cur)
        paras = paras[-len(nums) :]
        if len(paras) != len(nums):
            continue
        for n, para in zip(nums, paras, strict=True):
            text = ws(" ".join(para))
            if len(text) < 10 or len(text) > 1200:
                continue
            found.append(Question(number=n, text=text, items=()))
        end = i
    dedup: dict[str, Question] = {}
    for q in found:
        dedup.setdefault(q.number, q)
    qs = sorted(dedup.values(), key=lambda q: int(q.number))
    return qs, end


def cue_questions(ctx: Ctx) -> tuple[list[Question], int]:
    """Unnumbered questions after a cue ('Wir fragen die Verwaltung:'), one per '?' line."""
    lines = ctx.lines
    for i, line in enumerate(lines):
        if not CUE_RE.search(line) or not line.rstrip().endswith(":"):
            continue
        texts: list[str] = []
        letters: list[str] = []
        buf: list[str] = []
        j = i + 1
        while j < len(lines):
            s = lines[j].strip()
            if not s:
                if buf:
                    break
                j += 1
                continue
            if TERMINATOR_RE.match(s) or "\t" in s:
                break
            marker = sub_marker(s)
            if not buf:
                letters.append(marker[1] if marker and marker[0] == "letter" else "")
            buf.append(marker and SUB_RE.match(s).group("rest") or s)  # type: ignore[union-attr]
            if ends_question(s):
                texts.extend(_run_in_questions(ws(" ".join(buf))))
                buf = []
            j += 1
        if texts:
            # Lettered questions ("a) … b) …") keep their letters; others are numbered 1..n.
            lettered = len(letters) == len(texts) and letters == list(
                string.ascii_lowercase[: len(texts)]
            )
            numbers = letters if lettered else [str(k + 1) for k in range(len(texts))]
            pairs = zip(numbers, texts, strict=True)
            return [Question(number=n, text=t, items=()) for n, t in pairs], j
    return [], 0


def _run_in_questions(text: str) -> list[str]:
    """Several questions run into one line after a cue ("… fragt die Verwaltung: Wie …? Hat …?")
    are split, and the lead-in is cut; a single question stays as written."""
    parts = split_questions(text)
    if len(parts) > 1:
        return parts
    if parts and REQUEST_CUE_RE.search(text) and text.endswith(parts[0]):
        return parts
    return [text]
