"""Real Somacos SessionNet OParl 1.1 data (Stadt Karlsruhe): Anfragen with only auxiliary files,
faction only in the title, consultation → agenda item → meeting."""

from __future__ import annotations

import io
import json
import re

from reportlab.pdfgen import canvas

from bot.demo.server import FeedServer
from jobs.poll import poll_once
from tests.fake_slack import FakeSlack
from tests.helpers import at, make_config, make_runtime
from tests.paths import SHARED

DATA = SHARED / "oparl-data" / "karlsruhe-somacos-1.1"
ORIGIN = "https://web1.karlsruhe.de/oparl"


def pdf(lines: list[str]) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    y = 800
    for line in lines:
        c.drawString(60, y, line)
        y -= 16
    c.save()
    return buf.getvalue()


def routes(base: str) -> dict[str, bytes]:
    local = f"{base}/oparl"

    def rewrite(obj: object) -> bytes:
        return json.dumps(obj).replace(ORIGIN, local).encode()

    def page(items: list[object]) -> bytes:
        return rewrite({"data": items, "links": {}})

    body = f"{ORIGIN}/bodies/0001"
    papers = [
        json.loads((DATA / "papers" / f"{n}.json").read_text()) for n in (54526, 54617, 54646)
    ]
    meetings = [json.loads(p.read_text()) for p in sorted((DATA / "meetings").glob("*.json"))]
    orgs = json.loads((DATA / "organizations.json").read_text())
    out = {
        "/oparl/system": rewrite(
            {
                "id": f"{ORIGIN}/system",
                "type": "https://schema.oparl.org/1.1/System",
                "body": f"{ORIGIN}/bodies",
            }
        ),
        "/oparl/bodies": page(
            [
                {
                    "id": body,
                    "type": "https://schema.oparl.org/1.1/Body",
                    "name": "Stadt Karlsruhe",
                    "paper": f"{body}/papers",
                    "meeting": f"{body}/meetings",
                    "organization": f"{body}/organizations",
                }
            ]
        ),
        "/oparl/bodies/0001/papers": page(papers),
        "/oparl/bodies/0001/meetings": page(meetings),
        "/oparl/bodies/0001/organizations": page(orgs),
        # The Anfrage PDF of 54617; the one of 54646 is missing (404) on purpose.
        "/oparl/bodies/0001/downloadfiles/a/00678738.pdf": pdf(
            [
                "Anfrage der FWV-Fraktion vom 20.05.2026",
                "Betreff: Sachstandsberichte wichtiger Themen",
                "Wir fragen die Verwaltung:",
                "1. Wie ist der Stand des Glasfaserausbaus in Stupferich?",
                "2. Wann werden die Bebauungsplaene beschlossen?",
            ]
        ),
    }
    return out


def test_karlsruhe_anfragen_are_announced_with_committee_and_top(
    sqlite_url: str, feed: FeedServer, slack: FakeSlack
) -> None:
    feed.routes.update(routes(feed.base_url))
    rt = make_runtime(
        make_config(sqlite_url, f"{feed.base_url}/oparl/system", slack_url=slack.base_url)
    )
    try:
        report = poll_once(rt, at("2026-06-10T10:00:00+02:00"))
    finally:
        rt.close()
    assert report.sources[0].ok, report.sources[0].error
    posts = {re.search(r"\d{4}/\d{4}", p["text"]).group(0): p for p in slack.announcements()}  # type: ignore[union-attr]
    # Two Anfragen; the Antrag (54526) is not announced.
    assert set(posts) == {"2026/0450", "2026/0479"}
    fwv = posts["2026/0450"]
    body = json.dumps(fwv["blocks"], ensure_ascii=False)
    assert "FWV-Fraktion" in body
    assert "Ortschaftsrat Stupferich" in body and "17.06.2026" in body and "TOP 3" in body
    assert "Kenntnisnahme" in body
    assert "Glasfaserausbaus" in body  # questions read from the auxiliary PDF
    assert f"{feed.base_url}/oparl/bodies/0001/downloadfiles/a/00678738.pdf" in body
