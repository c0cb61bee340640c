"""The questions of the paper. A numbered list is preferred (the best-scoring one: '?' endings,
a request cue before it); else questions re-listed under "Zu Frage N:", one per '?' line after a
cue, and last the prose questions of the request paragraph."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from bot.document.anfrage.items import (
    CONT_CUE_RE,
    SUB_RE,
    TERMINATOR_RE,
    ends_question,
    ends_sentence,
    next_marker_ok,
    sub_marker,
)
from bot.document.anfrage.lines import Ctx, next_nonblank, ws
from bot.document.anfrage.prose import prose_questions
from bot.document.anfrage.unnumbered import cue_questions, unnumbered_questions
from bot.document.anfrage.vocabulary import CUE_RE, ITEM_RE, is_item_start
from bot.document.model import Question


@dataclass
class _Item:
    number: str
    value: int
    line: int
    rest: str
    style: str = "plain"  # "frage" for 'Frage 3:' numbering
    letter: str = ""


@dataclass
class _List:
    items: list[_Item] = field(default_factory=list)


_ITEM_VALUE_RE = re.compile(r"(\d+)([a-z]?)")
_PLAIN_NUMBER_RE = re.compile(r"\d+[a-z]?")
# The next item of a list run into one line: "… Burg? 2. Wann soll …".
_INLINE_ITEM_RE = re.compile(r"(?<=[?:.!])\s+(?=(\d{1,2})[.)]\s+[A-ZÄÖÜ„])")
_QUESTION_MARK_RE = re.compile(r"\?\s+(?=[A-ZÄÖÜ„])")
_SENTENCE_RE = re.compile(r"[^.?!]*[.?!:]?")
_FRAGE_RE = re.compile(r"^Frage\b")


_ITEM_TEXT_START_RE = re.compile(r"[A-ZÄÖÜ„\"(»‚']")
# "1. Januar", "2. Quartal", "3. Lesung": a date or ordinal wrapped to the line start.
_NOT_AN_ITEM_RE = re.compile(
    r"^(Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
    r"Dezember|Quartal|Halbjahr|Jahrhundert|Var\.|Alt\.|Lesung|Sitzung|Wahlperiode|"
    r"Klasse|Stock|Obergeschoss|OG|Bauabschnitt)\b"
)
# An item looks at no more than this many open lists it could continue (most recent first).
_RECENT_LISTS = 64
# A question never runs on for more lines than this; the bound keeps parse time linear.
_MAX_QUESTION_LINES = 120
# At most this many candidate lists are scored (a real paper has a handful).
_MAX_CANDIDATE_LISTS = 200


def _item_value(num: str) -> tuple[int, str]:
    m = _ITEM_VALUE_RE.match(num)
    assert m is not None
    return int(m.group(1)), m.group(2)


def split_inline(lines: list[str]) -> list[str]:
    """Split 'Ich frage: 1. Wie ...? 2. Was ...?' style lines into one line per item.

    When such a paragraph was wrapped (a PDF), an item starts in the middle of a later line
    ('... und Burg? 2. Wann soll ...'): the expected number is carried over from line to line
    until a blank line ends the paragraph."""
    out: list[str] = []
    carried: int | None = None  # next number of an inline list that runs on over line breaks
    for line in lines:
        if not line.strip():
            carried = None
        if len(line) < 40 or not _INLINE_ITEM_RE.search(line):
            out.append(line)
            continue
        m0 = ITEM_RE.match(line)
        if m0:
            expected = _item_value(m0.group("fn") or m0.group("n") or m0.group("pn"))[0] + 1
        else:
            expected = carried or 1
        pos = 0
        pieces: list[str] = []
        for m in _INLINE_ITEM_RE.finditer(line):
            n = int(m.group(1))
            before = line[: m.start()].rstrip()
            if n == expected and (n > 1 or before.endswith(":")):
                pieces.append(line[pos : m.start()].strip())
                pos = m.end()
                expected = n + 1
        pieces.append(line[pos:].strip())
        carried = expected if len(pieces) > 1 or (carried and not m0) else None
        if len(pieces) > 1:
            pieces[-1:] = _split_after_question(pieces[-1])
        out.extend(p for p in pieces if p)
    return out


def _split_after_question(piece: str) -> list[str]:
    """The last question of a flattened line runs on into the following prose (an answer, a
    signature): cut after its '?' unless the next sentence continues it ('Bitte ...', another
    question)."""
    for m in _QUESTION_MARK_RE.finditer(piece):
        tail = piece[m.end() :]
        if CONT_CUE_RE.match(tail):
            continue
        sentence = _SENTENCE_RE.match(tail)
        if sentence and sentence.group(0).endswith("?"):
            continue
        return [piece[: m.start() + 1], tail]
    return [piece]


def _find_lists(lines: list[str]) -> list[_List]:
    lists: list[_List] = []
    # Open lists indexed by (style, value) of their last item, so an item only looks at the
    # lists it could continue: scanning every list would make many numbered lines quadratic.
    index: dict[tuple[str, int], dict[int, int]] = {}  # key -> {list position: list position}
    styles = {"frage": 0, "plain": 0}  # lists whose last item has this style
    for i, line in enumerate(lines):
        m = ITEM_RE.match(line)
        if not m:
            continue
        num = m.group("fn") or m.group("n") or m.group("pn")
        rest = (m.group("rest") or "").strip()
        if rest and not _ITEM_TEXT_START_RE.match(rest) and not rest[:1].islower():
            continue
        if rest[:1].islower() and not m.group("fn"):
            # "2. Var. ..." / "1. bis 3." are wrapped text, not list items.
            continue
        if _NOT_AN_ITEM_RE.match(rest):
            continue
        value, letter = _item_value(num)
        style = "frage" if m.group("fn") else "plain"
        item = _Item(number=num, value=value, line=i, rest=rest, style=style, letter=letter)
        # A 'Frage 4:' item continues the 'Frage N:' list, not a numbered list inside an answer.
        look = (style,) if styles[style] else ("frage", "plain")
        wanted = (value, value - 1) if letter == "a" else (value,) if letter else (value - 1,)
        candidates: list[int] = []
        for st in look:
            for v in wanted:
                bucket = index.get((st, v))
                if bucket:
                    candidates.extend(itertools.islice(reversed(bucket), _RECENT_LISTS))
        target: int | None = None
        best = -1
        for pos in sorted(candidates):
            last_item = lists[pos].items[-1]
            lv, ll = last_item.value, last_item.letter
            ok = (
                (not letter and value == lv + 1)
                or (letter == "a" and value in (lv, lv + 1))
                or (letter and ll and value == lv and ord(letter) == ord(ll) + 1)
            )
            if ok and len(lists[pos].items) >= best:
                target, best = pos, len(lists[pos].items)
        if target is not None:
            last_item = lists[target].items[-1]
            del index[(last_item.style, last_item.value)][target]
            styles[last_item.style] -= 1
            lists[target].items.append(item)
        elif value == 1 and letter in ("", "a"):
            target = len(lists)
            lists.append(_List(items=[item]))
        else:
            continue
        index.setdefault((style, value), {})[target] = target
        styles[style] += 1
    return lists


def _question_extent(lines: list[str], start: int, stop: int, full: bool) -> int:
    """Index one past the last line of the question that starts at ``start``.

    ``full``: take everything up to ``stop`` (pure Anfrage, not the last question), only trimming
    at hard terminators. Otherwise the question ends at a sentence end that is not followed by a
    continuation (a request cue, another question sentence or the next sub-item).
    """
    stop = min(stop, start + _MAX_QUESTION_LINES)
    if full:
        j = start + 1
        while j < stop:
            cur = lines[j].strip()
            if cur and TERMINATOR_RE.match(cur):
                return j
            j += 1
        return stop
    last_marker: tuple[str, str] | None = None
    j = start
    seen_q = False
    while j < stop:
        cur = lines[j].strip()
        if not cur:
            j += 1
            continue
        if j > start and TERMINATOR_RE.match(cur):
            return j
        marker = sub_marker(cur) if j > start else None
        if marker is not None:
            last_marker = marker
        seen_q = seen_q or "?" in cur
        if ends_sentence(cur):
            nxt_i = next_nonblank(lines, j + 1, stop)
            if nxt_i is None:
                return stop
            nxt = lines[nxt_i].strip()
            blank_between = nxt_i > j + 1
            nm = sub_marker(nxt)
            if nm is not None and not ends_question(cur) and next_marker_ok(last_marker, nm):
                j = nxt_i
                continue
            if (
                nm is not None
                and ends_question(cur)
                and last_marker
                and next_marker_ok(last_marker, nm)
            ):
                j = nxt_i
                continue
            if TERMINATOR_RE.match(nxt) or (ends_question(cur) and is_item_start(nxt)):
                return j + 1
            if blank_between and not nxt[:1].islower():
                return j + 1
            if CONT_CUE_RE.match(nxt):
                # Request clause: include it up to its sentence end.
                k = nxt_i
                while k < stop and k - nxt_i < 5:
                    if ends_sentence(lines[k].strip()):
                        break
                    k += 1
                j = k
                continue
            # Another question sentence (ends with '?' within a few lines)?
            if seen_q and _next_sentence_is_question(lines, nxt_i, stop):
                j = nxt_i
                continue
            return j + 1
        j += 1
    return stop


def _next_sentence_is_question(lines: list[str], i: int, stop: int) -> bool:
    k = i
    while k < stop and k - i < 4:
        s = lines[k].strip()
        if not s or TERMINATOR_RE.match(s) or (k > i and sub_marker(s)):
            return False
        if ends_sentence(s):
            return ends_question(s)
        k += 1
    return False


def _build_question(number: str, first_rest: str, body: list[str], width: int) -> Question:
    """Split the question's lines into stem text and sub-items."""
    all_lines = ([first_rest] if first_rest else []) + [b.strip() for b in body if b.strip()]
    stem: list[str] = []
    items: list[list[str]] = []
    trailing: list[str] = []
    last_marker: tuple[str, str] | None = None
    for ln in all_lines:
        marker = sub_marker(ln)
        if marker is not None and (
            not items or next_marker_ok(last_marker, marker) or marker[0] == "bullet"
        ):
            m = SUB_RE.match(ln)
            assert m is not None
            items.append([m.group("rest")])
            last_marker = marker
            continue
        if items and not trailing:
            prev_line = items[-1][-1]
            # A wrap continues the item only when the item line was (nearly) full width.
            if len(prev_line) + 6 >= 0.7 * width:
                items[-1].append(ln)
                continue
            trailing.append(ln)
            continue
        if trailing:
            trailing.append(ln)
        else:
            stem.append(ln)
    text = ws(" ".join(stem + trailing))
    item_texts = tuple(t for t in (ws(" ".join(it)) for it in items) if t)
    if not text and item_texts:
        text, item_texts = item_texts[0], item_texts[1:]
    return Question(number=number, text=text, items=item_texts)


def _list_score(lines: list[str], lst: _List, questions: list[Question]) -> float:
    n = len(questions)
    if n == 0:
        return -1.0
    qmarks = sum(1 for q in questions if "?" in q.text or any("?" in i for i in q.items))
    first = lst.items[0].line
    context = " ".join(lines[max(0, first - 6) : first])
    cue = (
        bool(CUE_RE.search(context)) or lst.items[0].number and bool(_FRAGE_RE.match(lines[first]))
    )
    if qmarks == 0 and not cue:
        return -1.0
    return 2.0 * qmarks / n + (1.5 if cue else 0.0) + min(n, 10) / 20.0 + qmarks / 100.0


def typical_width(lines: list[str]) -> int:
    lengths = sorted(len(line) for line in lines if len(line) > 20)
    if not lengths:
        return 80
    return max(40, lengths[int(len(lengths) * 0.8)])


def _questions_from_list(ctx: Ctx, lst: _List) -> tuple[list[Question], int]:
    lines = ctx.lines
    out: list[Question] = []
    end = lst.items[-1].line
    for idx, item in enumerate(lst.items):
        is_last = idx == len(lst.items) - 1
        stop = lst.items[idx + 1].line if not is_last else len(lines)
        full = not ctx.answer_doc and not is_last
        ext = _question_extent(lines, item.line, stop, full)
        end = max(end, ext)
        q = _build_question(item.number, item.rest, lines[item.line + 1 : ext], ctx.typical_width)
        out.append(q)
    return out, end


def _continue_restarted(
    ctx: Ctx, lists: list[_List], qs: list[Question], end: int
) -> tuple[list[Question], int]:
    """A question list that restarts at 1 directly after the last question (an HTML ordered list
    split in two: '1. 2a. 2b. 3.' then '1. 2.') continues the numbering: 4., 5."""
    while qs and _PLAIN_NUMBER_RE.fullmatch(qs[-1].number):
        nxt = next_nonblank(ctx.lines, end, len(ctx.lines))
        follow = next((lst for lst in lists if lst.items[0].line == nxt), None)
        if follow is None:
            break
        more, more_end = _questions_from_list(ctx, follow)
        if not more or not all(ends_question(q.text) or q.items for q in more):
            break
        offset = _item_value(qs[-1].number)[0]
        for q in more:
            v, letter = _item_value(q.number)
            qs.append(Question(number=f"{v + offset}{letter}", text=q.text, items=q.items))
        end = more_end
    return qs, end


def _candidate_lists(lines: list[str], lists: list[_List]) -> list[_List]:
    """The lists ``_list_score`` could accept: with a '?' in their reach or a cue before them.
    Filtering first (prefix sums, O(1) per list) keeps texts with thousands of numbered lines
    linear; the score of every list kept is unchanged."""
    qcount = [0]
    for line in lines:
        qcount.append(qcount[-1] + ("?" in line))
    # A cue within the 6 lines before a list (a cue phrase may run over a line break): cue[k]
    # tells whether lines k and k+1 hold one; searched once per line, not once per list.
    cue = [0]
    for k, line in enumerate(lines):
        pair = f"{line} {lines[k + 1]}" if k + 1 < len(lines) else line
        cue.append(cue[-1] + bool(CUE_RE.search(pair)))
    out: list[_List] = []
    for lst in lists:
        first = lst.items[0].line
        reach = min(len(lines), lst.items[-1].line + _MAX_QUESTION_LINES)
        lo = max(0, first - 6)
        if (
            qcount[reach] > qcount[first]
            or lines[first].startswith("Frage")
            or (cue[first - 1] > cue[lo] if first - 1 > lo else False)
            or (first > 0 and bool(CUE_RE.search(lines[first - 1])))
        ):
            out.append(lst)
            if len(out) >= _MAX_CANDIDATE_LISTS:
                break
    return out


def find_questions(ctx: Ctx) -> tuple[list[Question], int]:
    lists = _find_lists(ctx.lines)
    best: tuple[float, list[Question], int] | None = None
    for lst in _candidate_lists(ctx.lines, lists):
        qs, end = _questions_from_list(ctx, lst)
        score = _list_score(ctx.lines, lst, qs)
        if score < 0:
            continue
        if best is None or score > best[0] + 1e-9:  # on a tie the earlier list wins
            best = (score, qs, end)
    if best is not None:
        return _continue_restarted(ctx, lists, best[1], best[2])
    qs, end = unnumbered_questions(ctx)
    if qs:
        return qs, end
    qs, end = cue_questions(ctx)
    if qs:
        return qs, end
    if ctx.answer_doc:
        return [], 0
    return prose_questions(ctx.lines)
