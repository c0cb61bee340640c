"""`anfragebot status`: what an operator checks first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.store.deliveries import counts
from bot.store.quarantine import list_progress, quarantine_count, quarantined
from bot.store.schema import Delivery, PaperRow, Source


def print_status(rt: Runtime, now: datetime, out: TextIO) -> None:
    tz = rt.config.reminders.timezone

    def show(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else "nie"

    with rt.factory() as session:
        print("Quellen:", file=out)
        for src in session.scalars(select(Source).order_by(Source.name)).all():
            print(f"  {src.name}: letzter Erfolg {show(src.last_success_at)}", file=out)
            if src.last_error and (
                not src.last_success_at or (src.last_error_at or now) > src.last_success_at
            ):
                print(f"    letzter Fehler {show(src.last_error_at)}: {src.last_error}", file=out)
        papers = session.scalar(select(func.count()).select_from(PaperRow)) or 0
        anfragen = (
            session.scalar(
                select(func.count()).select_from(PaperRow).where(PaperRow.is_anfrage.is_(True))
            )
            or 0
        )
        print(f"Vorlagen: {papers}, davon Anfragen: {anfragen}", file=out)
        c = counts(session)
        waiting = c.get("pending", 0) + c.get("sending", 0)
        print(
            f"Zustellungen: {c.get('sent', 0)} gesendet, {waiting} "
            f"ausstehend, {c.get('parked', 0)} geparkt",
            file=out,
        )
        parked = session.scalars(
            select(Delivery).where(Delivery.status == "parked").order_by(Delivery.id)
        ).all()
        for d in parked:
            print(f"  geparkt: {d.kind} {d.key} → {d.channel}: {d.last_error}", file=out)
        if parked:
            print(
                "  Nach der Korrektur (Bot eingeladen, Token erneuert): anfragebot requeue",
                file=out,
            )
    with rt.factory() as session:
        _print_feed_progress(session, show, out)
    print(f"Nächster Abruf: alle {rt.config.poll_minutes} Minuten (anfragebot run)", file=out)


def _print_feed_progress(session: Any, show: Callable[[datetime | None], str], out: TextIO) -> None:
    """Issue 10: per feed list its progress, and what is quarantined."""
    progress = list_progress(session)
    if progress:
        print("Feed-Listen:", file=out)
    for p in progress:
        print(f"  {p.source} {p.url}: zuletzt vollständig {show(p.last_complete_at)}", file=out)
        if p.resume_url:
            print(f"    fortsetzen bei {p.resume_url}", file=out)
        if p.last_error:
            print(f"    letzter Fehler {show(p.last_error_at)}: {p.last_error[:300]}", file=out)
    rows = quarantined(session)
    total = quarantine_count(session)
    if rows:
        print(f"Quarantäne ({total}):", file=out)
    for q in rows:
        print(
            f"  {q.source} {q.kind} {q.object_id[:200]}: {q.reason[:300]} "
            f"(Versuche {q.attempts}, nächster {show(q.next_retry_at)})",
            file=out,
        )
    if total > len(rows):
        print(f"  … und {total - len(rows)} weitere", file=out)
