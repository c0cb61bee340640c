"""Find the administration's answer to each Anfrage.

OParl has no field for it; councils do it in four ways, tried in this order (the first rule is
the most certain). Each rule is tried for every open Anfrage before the next rule, so a strong
link claims an answer paper before a weaker guess could give it to another Anfrage:

1. `related`   - the papers point at each other (`relatedPaper`, `subordinatedPaper`,
                 `superordinatedPaper`; stored together in `papers.related_paper_ids`).
2. `reference` - the answer's reference extends the Anfrage's: `14/1923-1`, `14/1923/1`.
3. `title`     - an answer-type paper ("Beantwortung", "Stellungnahme der Verwaltung",
                 "Antwort") whose title names the Anfrage's reference or its subject.
4. `file`      - a later file on the Anfrage's own paper named "Antwort", "Beantwortung" or
                 "Stellungnahme" (Somacos SessionNet: "Stellungnahme zur Anfrage Dez4").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.classify import is_interim, normalize_reference, reference_stem
from bot.store.answers import (
    FileFacts,
    PaperFacts,
    answer_paper_ids,
    other_papers,
    own_files,
    unanswered_anfragen,
)
from bot.store.db import transaction
from bot.store.lifecycle import save_answer_link

log = logging.getLogger(__name__)

RULES = ("related", "reference", "title", "file")

_ANSWER_FILE = re.compile(r"antwort|stellungnahme", re.IGNORECASE)
# A paper related to an Anfrage counts as its answer when it comes from the administration.
_ADMIN_PAPER = re.compile(r"mitteilung|information|bericht|unterrichtung", re.IGNORECASE)
_TOKEN = re.compile(r"[^\s,;:()\[\]\"'„“”«»]+")
_QUOTES = re.compile(r"[\"'„“”«»‚‘’]")
MIN_SUBJECT = 12  # shorter subjects ("Haushalt") name too many papers to be evidence


@dataclass(frozen=True)
class Link:
    anfrage_id: str
    rule: str
    answer_paper_id: str | None = None
    answer_file_id: str | None = None
    answered_on: date | None = None
    url: str | None = None


def _norm_text(text: str | None) -> str:
    return " ".join(_QUOTES.sub("", text or "").casefold().split())


def _tokens(title: str | None) -> list[str]:
    """Reference-like tokens of a title: `14 / 1923` and `14/1923.` both give `14/1923`."""
    norm = normalize_reference(title) or ""
    out = []
    for tok in _TOKEN.findall(norm):
        tok = tok.strip(".-/").casefold()
        if tok:
            out.append(tok)
    return out


def _answer_like(p: PaperFacts) -> bool:
    if p.is_answer:
        return True
    return bool(p.paper_type and _ADMIN_PAPER.search(p.paper_type))


def _answer_link(anfrage: PaperFacts, answer: PaperFacts, rule: str, today: date) -> Link:
    return Link(
        anfrage_id=anfrage.id,
        rule=rule,
        answer_paper_id=answer.id,
        answered_on=answer.date or today,
        url=answer.web,
    )


def _not_before(answer: PaperFacts, anfrage: PaperFacts) -> bool:
    return not (answer.date and anfrage.date and answer.date < anfrage.date)


def match_answers(
    anfragen: Sequence[PaperFacts],
    candidates: Sequence[PaperFacts],
    files: dict[str, list[FileFacts]],
    *,
    today: date,
) -> list[Link]:
    """Pure: which of the open `anfragen` are answered by which candidate paper or file.

    `candidates` are papers that are not Anfragen (deleted ones excluded); `files` holds the
    files of each open Anfrage's own paper. Each answer paper is used for one Anfrage only.
    """
    links: dict[str, Link] = {}
    used: set[str] = set()
    by_id = {p.id: p for p in candidates}
    pointing_at: dict[str, list[PaperFacts]] = {}
    for p in candidates:
        for rid in p.related:
            pointing_at.setdefault(rid, []).append(p)

    def take(anfrage: PaperFacts, options: list[PaperFacts], rule: str) -> None:
        options = [
            o
            for o in options
            if o.id not in used and o.source == anfrage.source and o.id != anfrage.id
        ]
        if not options:
            return
        # Prefer a declared answer, then the earliest one.
        best = min(options, key=lambda o: (not o.is_answer, o.date or date.max, o.id))
        links[anfrage.id] = _answer_link(anfrage, best, rule, today)
        used.add(best.id)

    # 1. explicit relations, in either direction
    for a in anfragen:
        related = [by_id[r] for r in a.related if r in by_id] + pointing_at.get(a.id, [])
        take(a, [o for o in related if _answer_like(o)], "related")

    # 2. reference stem
    by_stem: dict[str, list[PaperFacts]] = {}
    for p in candidates:
        stem = reference_stem(p.reference) if p.reference else None
        if stem:
            by_stem.setdefault(stem, []).append(p)
    for a in anfragen:
        if a.id in links or not a.reference:
            continue
        take(a, by_stem.get(a.reference.casefold(), []), "reference")

    # 3. an answer-type paper whose title names the reference or the subject
    open_by_ref: dict[str, list[PaperFacts]] = {}
    for a in anfragen:
        if a.id not in links and a.reference:
            open_by_ref.setdefault(a.reference.casefold(), []).append(a)
    subjects = [
        (a, _norm_text(a.name))
        for a in anfragen
        if a.id not in links and len(_norm_text(a.name)) >= MIN_SUBJECT
    ]
    answers = sorted(
        (p for p in candidates if p.is_answer and p.id not in used),
        key=lambda p: (p.date or date.max, p.id),
    )
    for p in answers:
        named: list[PaperFacts] = []
        for tok in _tokens(p.name):
            named += open_by_ref.get(tok, [])
            stem = reference_stem(tok)
            if stem:
                named += open_by_ref.get(stem, [])
        if not named:
            title = _norm_text(p.name)
            named = [a for a, subject in subjects if subject in title]
        named = [
            a for a in named if a.id not in links and a.source == p.source and _not_before(p, a)
        ]
        if named:
            # Several Anfragen with the same subject: the latest one filed before the answer.
            best = max(named, key=lambda a: (a.date or date.min, a.id))
            links[best.id] = _answer_link(best, p, "title", today)
            used.add(p.id)

    # 4. an answer file on the Anfrage's own paper
    for a in anfragen:
        if a.id in links:
            continue
        own = files.get(a.id, [])  # the Anfrage's own document first (the store's rule)
        if not own:
            continue
        later = [
            f for f in own[1:] if f.name and _ANSWER_FILE.search(f.name) and not is_interim(f.name)
        ]
        if later:
            f = later[-1]
            links[a.id] = Link(
                anfrage_id=a.id,
                rule="file",
                answer_file_id=f.id,
                answered_on=today,
                url=f.url or a.web,
            )
    return [links[a.id] for a in anfragen if a.id in links]


def _could_answer(anfragen: Sequence[PaperFacts]) -> Callable[[PaperFacts], bool]:
    """A cheap test that keeps every paper `match_answers` could link to one of `anfragen`
    (and drops the rest as they stream past: most papers of a council are neither):
    named in an Anfrage's relations, pointing at one, a reference extending an Anfrage's
    (`14/1923-1`), or an answer-type paper (rule 3 reads their titles)."""
    ids = {a.id for a in anfragen}
    named = {r for a in anfragen for r in a.related}
    refs = {a.reference.casefold() for a in anfragen if a.reference}

    def relevant(p: PaperFacts) -> bool:
        if p.is_answer or p.id in named:
            return True
        if p.related and not ids.isdisjoint(p.related):
            return True
        stem = reference_stem(p.reference) if p.reference else None
        return stem is not None and stem in refs

    return relevant


def link_answers(factory: sessionmaker[Session], *, now: datetime, tz: ZoneInfo) -> list[Link]:
    """Record an `answer_links` row for every open Anfrage whose answer can now be found."""
    today = now.astimezone(tz).date()
    with factory() as session:
        anfragen = unanswered_anfragen(session)
        if not anfragen:
            return []
        used = answer_paper_ids(session)
        relevant = _could_answer(anfragen)
        # An interim reply is not the answer (bot/outbox/overdue.py shows it in the thread).
        candidates = [
            p
            for p in other_papers(session)
            if p.id not in used and not is_interim(p.name) and relevant(p)
        ]
        files = own_files(session, [a.id for a in anfragen])
    links = match_answers(anfragen, candidates, files, today=today)
    saved: list[Link] = []
    with transaction(factory) as session:
        for link in links:
            if save_answer_link(
                session,
                anfrage_id=link.anfrage_id,
                answer_paper_id=link.answer_paper_id,
                answer_file_id=link.answer_file_id,
                rule=link.rule,
                answered_on=link.answered_on,
                url=link.url,
                now=now,
            ):
                saved.append(link)
    for link in saved:
        log.info("answer for %s found (%s)", link.anfrage_id, link.rule)
    return saved
