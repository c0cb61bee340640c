"""An RVR-like feed for the lifecycle tests, with helpers to change it between polls the way a
council server does (a changed object gets a new `modified`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.demo.server import FeedServer
from bot.runtime import Runtime
from bot.store.schema import Delivery
from tests.fake_slack import FakeSlack
from tests.rvr_feed import RvrFeed, standard_rvr

FIRST_POLL = "2025-01-10T09:00:00+01:00"
CHANNEL = "C0123456789"


def anfrage_text(question: str) -> str:
    return f"Fraktionsanfrage Fraktion Die Linke\n\n1. {question}\n"


@dataclass
class Scenario:
    feed: RvrFeed
    server: FeedServer

    @property
    def body(self) -> str:
        return self.feed.body

    def paper_id(self, num: int) -> str:
        return f"{self.body}/paper/{num}"

    def meeting(self, num: int) -> dict[str, Any]:
        return next(m for m in self.feed.meetings if m["id"] == f"{self.body}/meeting/{num}")

    def paper(self, num: int) -> dict[str, Any]:
        return next(p for p in self.feed.papers if p["id"] == self.paper_id(num))

    def change(self, obj: dict[str, Any], day: str, **fields: Any) -> None:
        """Change an object as the server would: new fields, new `modified`."""
        obj.update(fields)
        obj["modified"] = f"{day}T05:00:00+01:00"
        self.publish()

    def change_silently(self, obj: dict[str, Any], **fields: Any) -> None:
        """Change an object as more! rubin does: new fields, the same `modified`."""
        obj.update(fields)
        self.publish()

    def meeting_path(self, num: int) -> str:
        return self.meeting(num)["id"].removeprefix(self.server.base_url)

    def delete_paper(self, num: int, day: str) -> None:
        paper = self.paper(num)
        paper.clear()
        paper.update(
            id=self.paper_id(num),
            type="https://schema.oparl.org/1.0/Paper",
            deleted=True,
            modified=f"{day}T05:00:00+01:00",
        )
        self.publish()

    def publish(self) -> None:
        self.server.routes.update(self.feed.routes())
        # Each meeting under its own id too: reminders read it afresh just before sending.
        for m in self.feed.meetings:
            path = m["id"].removeprefix(self.server.base_url)
            self.server.routes[path] = json.dumps(m).encode()


def build(server: FeedServer) -> Scenario:
    """standard_rvr plus:

    - 14/1924 on the same Kultur meeting (501, 06.02.2025 15:00), TOP 13, linked only through
      the agenda item's `consultation` (no `meeting` on the consultation);
    - 14/1925 on a Verkehr meeting (502, 05.02.2025 10:00), TOP 4;
    - 14/1926 on an ALLRIS-style "Sammeldatum" placeholder meeting (599, 31.12.2025).
    """
    feed = standard_rvr(server.base_url, date(2025, 1, 10))
    body = feed.body
    kultur = f"{body}/organization/10"
    verkehr = f"{body}/organization/11"
    kultur_meeting = next(m for m in feed.meetings if m["id"].endswith("/meeting/501"))
    kultur_meeting["agendaItem"].append(
        feed.obj(
            "AgendaItem",
            f"{body}/agendaitem/7003",
            number="13",
            name="Kulturförderung der Revierstädte",
            consultation=f"{body}/consultation/9003",
        )
    )
    verkehr_meeting = feed.add_meeting(
        502,
        verkehr,
        "2025-02-05T10:00:00+01:00",
        items=[feed.obj("AgendaItem", f"{body}/agendaitem/7002", number="4", name="Busse")],
    )
    placeholder = feed.add_meeting(
        599,
        kultur,
        "2025-12-31T18:00:00+01:00",
        items=[feed.obj("AgendaItem", f"{body}/agendaitem/7099", number="1", name="Sammel")],
    )
    feed.meetings[-1]["name"] = (
        "Sitzung des Kulturausschusses (Sammeldatum für alle Vorlagen der neuen Wahlperiode)"
    )
    feed.add_paper(
        1924,
        "14/1924",
        "Kulturförderung der Revierstädte",
        "Fraktionsanfrage",
        "2025-01-07",
        text=anfrage_text("Wie hoch ist die Kulturförderung?"),
        consultation=[feed.obj("Consultation", f"{body}/consultation/9003", organization=[kultur])],
    )
    feed.add_paper(
        1925,
        "14/1925",
        "Busverbindungen zwischen Bottrop und Gladbeck",
        "Fraktionsanfrage",
        "2025-01-08",
        text=anfrage_text("Wann fährt der nächste Bus?"),
        consultation=[
            feed.obj(
                "Consultation",
                f"{body}/consultation/9002",
                meeting=verkehr_meeting,
                agendaItem=f"{body}/agendaitem/7002",
                organization=[verkehr],
            )
        ],
    )
    feed.add_paper(
        1926,
        "14/1926",
        "Sammelanfrage zur neuen Wahlperiode",
        "Fraktionsanfrage",
        "2025-01-09",
        text=anfrage_text("Was ändert sich?"),
        consultation=[
            feed.obj(
                "Consultation",
                f"{body}/consultation/9099",
                meeting=placeholder,
                agendaItem=f"{body}/agendaitem/7099",
                organization=[kultur],
            )
        ],
    )
    scenario = Scenario(feed=feed, server=server)
    scenario.publish()
    return scenario


# -- reading what the fake Slack got -----------------------------------------------------------


def text_of(message: dict[str, Any]) -> str:
    parts = [str(message.get("text") or "")]
    for b in message.get("blocks") or []:
        if "text" in b:
            parts.append(b["text"]["text"])
        parts += [f["text"] for f in b.get("fields", [])]
        parts += [e.get("text", "") for e in b.get("elements", [])]
    return "\n".join(parts)


def top_level(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posts() if not p.get("thread_ts")]


def reminders(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in top_level(slack) if p["text"].startswith("Erinnerung")]


def replies(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posts() if p.get("thread_ts")]


def parent_ts(rt: Runtime, paper_id: str, channel: str = CHANNEL) -> str:
    with rt.factory() as session:
        ts = session.scalars(
            select(Delivery.ts).where(
                Delivery.kind == "announce", Delivery.key == paper_id, Delivery.channel == channel
            )
        ).one()
    assert ts
    return ts
