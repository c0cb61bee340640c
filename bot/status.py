"""`anfragebot status`: what an operator checks first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.store.overview import delivery_counts, known_sources
from bot.store.quarantine import list_progress, quarantine_count, quarantined
from bot.store.status import document_problems, paper_counts, parked_deliveries


def print_status(rt: Runtime, now: datetime, out: TextIO) -> None:
    tz = rt.config.reminders.timezone

    def show(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else "nie"

    with rt.factory() as session:
        print("Quellen:", file=out)
        stored = known_sources(session)
        configured = [s.name for s in rt.config.sources]
        # Configured sources first (also before their first sync), then ones dropped from the
        # configuration whose data the store still holds.
        for name in [*configured, *sorted(set(stored) - set(configured))]:
            src = stored.get(name)
            note = "" if name in configured else " (nicht mehr konfiguriert)"
            if src is None or (src.last_attempt_at is None and src.last_success_at is None):
                print(f"  {name}: noch nicht abgerufen{note}", file=out)
                continue
            print(f"  {name}: letzter Erfolg {show(src.last_success_at)}{note}", file=out)
            if src.last_error and (
                not src.last_success_at or (src.last_error_at or now) > src.last_success_at
            ):
                error = _one_line(src.last_error)
                print(f"    letzter Fehler {show(src.last_error_at)}: {error}", file=out)
        counts = paper_counts(session)
        print(f"Vorlagen: {counts.papers}, davon Anfragen: {counts.anfragen}", file=out)
        # "gesendet": Slack accepted it. "übersprungen": recorded as told without a post
        # (events of a first sync, already shown in the announcement).
        c = delivery_counts(session)
        print(
            f"Zustellungen: {c.sent} gesendet, {c.waiting} ausstehend, {c.parked} geparkt, "
            f"{c.skipped} übersprungen",
            file=out,
        )
        if c.waiting and not rt.config.slack.bot_token:
            print(
                "  SLACK_BOT_TOKEN ist nicht gesetzt: ausstehende Zustellungen warten, bis ein "
                "Abruf mit Token läuft.",
                file=out,
            )
        parked = parked_deliveries(session)
        for d in parked:
            print(f"  geparkt: {d.kind} {d.key} → {d.channel}: {_one_line(d.last_error)}", file=out)
        if parked:
            print(
                "  Nach der Korrektur (Bot eingeladen, Token erneuert): anfragebot requeue",
                file=out,
            )
        _print_document_problems(session, show, out)
        _print_feed_progress(session, show, out)
    print(f"Nächster Abruf: alle {rt.config.poll_minutes} Minuten (anfragebot run)", file=out)


_PROBLEMS = {"refused": "verweigert", "download": "Download", "read": "Lesen"}
_MAX_LISTED = 50


def _print_document_problems(
    session: Session, show: Callable[[datetime | None], str], out: TextIO
) -> None:
    """Quarantined and refused documents (issue 10), newest attempt first, with the reason."""
    total, rows = document_problems(session, _MAX_LISTED)
    if not total:
        return
    print(f"Dokumente in Quarantäne: {total}", file=out)
    for doc in rows:
        kind = _PROBLEMS.get(doc.problem or "", "Lesen")
        then = (
            f"nächster Versuch {show(doc.next_attempt_at)}"
            if doc.next_attempt_at
            else "kein weiterer Versuch"
        )
        print(
            f"  {doc.reference or doc.paper_id} ({kind}, Versuch {doc.attempts}, {then}): "
            f"{_one_line(doc.error)}",
            file=out,
        )
        print(f"    {_one_line(doc.where)}", file=out)
    if total > len(rows):
        print(f"  … und {total - len(rows)} weitere", file=out)


def _one_line(text: str | None, limit: int = 300) -> str:
    """One printable line: URLs and reasons come from the feed (no terminal escapes)."""
    flat = " ".join((text or "ohne Angabe").split())
    flat = "".join(c if c.isprintable() else "?" for c in flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _print_feed_progress(
    session: Session, show: Callable[[datetime | None], str], out: TextIO
) -> None:
    """Issue 10: per feed list its progress, and what is quarantined."""
    progress = list_progress(session)
    if progress:
        print("Feed-Listen:", file=out)
    for p in progress:
        print(
            f"  {p.source} {_one_line(p.url)}: zuletzt vollständig {show(p.last_complete_at)}",
            file=out,
        )
        if p.resume_url:
            print(f"    fortsetzen bei {_one_line(p.resume_url)}", file=out)
        if p.last_error:
            print(
                f"    letzter Fehler {show(p.last_error_at)}: {_one_line(p.last_error)}", file=out
            )
    rows = quarantined(session)
    total = quarantine_count(session)
    if rows:
        print(f"Quarantäne ({total}):", file=out)
    for q in rows:
        print(
            f"  {q.source} {q.kind} {_one_line(q.object_id, 200)}: {_one_line(q.reason)} "
            f"(Versuche {q.attempts}, nächster {show(q.next_retry_at)})",
            file=out,
        )
    if total > len(rows):
        print(f"  … und {total - len(rows)} weitere", file=out)
