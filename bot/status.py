"""`anfragebot status`: what an operator checks first."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.store.overview import delivery_counts, known_sources
from bot.store.schema import Delivery, PaperRow


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
                print(f"    letzter Fehler {show(src.last_error_at)}: {src.last_error}", file=out)
        papers = session.scalar(select(func.count()).select_from(PaperRow)) or 0
        anfragen = (
            session.scalar(
                select(func.count()).select_from(PaperRow).where(PaperRow.is_anfrage.is_(True))
            )
            or 0
        )
        print(f"Vorlagen: {papers}, davon Anfragen: {anfragen}", file=out)
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
    print(f"Nächster Abruf: alle {rt.config.poll_minutes} Minuten (anfragebot run)", file=out)
