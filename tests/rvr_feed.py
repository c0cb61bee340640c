"""An RVR-like more! rubin OParl 1.0 feed, written by hand from the real Fraktionsanfrage 14/1923
(`../shared/anfrage-texts/rvr-14-1923_fraktionsanfrage.txt`).

more! rubin traits reproduced: every object's `created`/`modified` is "today" (so
`modified_since` proves nothing), lists are oldest first over several pages with `links.last`,
`File.text` carries the full document text, `originatorOrganization` is empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tests.paths import SHARED

T = "https://schema.oparl.org/1.0/"
RVR_TEXT = (SHARED / "anfrage-texts" / "rvr-14-1923_fraktionsanfrage.txt").read_text(
    encoding="utf-8"
)


@dataclass
class RvrFeed:
    base: str
    today: date
    page_size: int = 2
    papers: list[dict[str, Any]] = field(default_factory=list)
    meetings: list[dict[str, Any]] = field(default_factory=list)
    organizations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def root(self) -> str:
        return f"{self.base}/oparl"

    @property
    def body(self) -> str:
        return f"{self.root}/body/1"

    @property
    def system_url(self) -> str:
        return f"{self.root}/system"

    def stamp(self) -> str:
        return f"{self.today.isoformat()}T05:00:00+01:00"

    def obj(self, kind: str, oid: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": oid,
            "type": T + kind,
            "created": self.stamp(),
            "modified": self.stamp(),
            **fields,
        }

    def add_org(self, num: int, name: str, kind: str = "Gremium") -> str:
        oid = f"{self.body}/organization/{num}"
        self.organizations.append(self.obj("Organization", oid, name=name, organizationType=kind))
        return oid

    def add_meeting(
        self,
        num: int,
        org: str,
        start: str,
        *,
        items: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> str:
        mid = f"{self.body}/meeting/{num}"
        self.meetings.append(
            self.obj(
                "Meeting",
                mid,
                name=f"Sitzung {num}",
                start=start,
                organization=[org],
                agendaItem=items or [],
                **extra,
            )
        )
        return mid

    def add_paper(
        self,
        num: int,
        reference: str,
        name: str,
        paper_type: str,
        day: str,
        text: str | None = None,
        **extra: Any,
    ) -> str:
        pid = f"{self.body}/paper/{num}"
        file = self.obj(
            "File",
            f"{self.body}/file/{num}",
            name=f"{paper_type} {reference}",
            mimeType="application/pdf",
            accessUrl=f"{self.base}/files/{num}.pdf",
        )
        if text is not None:
            file["text"] = text
        self.papers.append(
            self.obj(
                "Paper",
                pid,
                body=self.body,
                name=name,
                reference=reference,
                paperType=paper_type,
                date=day,
                web=f"{self.base}/vorgang/{num}",
                mainFile=file,
                **extra,
            )
        )
        return pid

    def routes(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {
            "/oparl/system": json.dumps(
                {
                    "id": self.system_url,
                    "type": T + "System",
                    "oparlVersion": T,
                    "body": f"{self.root}/body",
                }
            ).encode(),
        }
        body = self.obj(
            "Body",
            self.body,
            name="Regionalverband Ruhr",
            shortName="RVR",
            paper=f"{self.body}/paper",
            meeting=f"{self.body}/meeting",
            organization=f"{self.body}/organization",
        )
        out.update(self._list("/oparl/body", [body]))
        out.update(self._list("/oparl/body/1/organization", self.organizations))
        out.update(self._list("/oparl/body/1/meeting", self.meetings))
        out.update(self._list("/oparl/body/1/paper", self.papers))
        return out

    def _list(self, path: str, items: list[dict[str, Any]]) -> dict[str, bytes]:
        """Oldest first, `page_size` per page, `links.first/last/next/prev` like more! rubin."""
        pages = [items[i : i + self.page_size] for i in range(0, len(items), self.page_size)] or [
            []
        ]
        n = len(pages)

        def url(k: int) -> str:
            return f"{self.base}{path}?page={k}"

        out = {}
        for k, chunk in enumerate(pages, start=1):
            links = {"first": url(1), "last": url(n), "self": url(k)}
            if k < n:
                links["next"] = url(k + 1)
            if k > 1:
                links["prev"] = url(k - 1)
            page = json.dumps(
                {
                    "data": chunk,
                    "links": links,
                    "pagination": {
                        "totalElements": len(items),
                        "currentPage": k,
                        "totalPages": n,
                        "elementsPerPage": self.page_size,
                    },
                }
            ).encode()
            out[f"{path}?page={k}"] = page
            if k == 1:
                out[path] = page
        return out


def standard_rvr(base: str, today: date) -> RvrFeed:
    """14/1923 (the real text) plus other paper types and an older Anfrage; dates relative to
    a `today` around 10 January 2025."""
    feed = RvrFeed(base=base, today=today)
    kultur = feed.add_org(10, "Ausschuss für Kultur, Sport und Vielfalt")
    feed.add_org(11, "Verkehrsausschuss")
    feed.add_org(90, "Fraktion Die Linke", kind="Fraktion")
    meeting = feed.add_meeting(
        501,
        kultur,
        "2025-02-06T15:00:00+01:00",
        items=[
            feed.obj(
                "AgendaItem",
                f"{feed.body}/agendaitem/7001",
                number="12",
                name="Zusammenarbeit der Kommunalen Integrationszentren im Ruhrgebiet",
            )
        ],
        location={
            "id": f"{feed.body}/location/1",
            "type": T + "Location",
            "description": "Haus des Ruhrgebiets, Essen",
        },
    )
    feed.add_paper(
        1800,
        "14/1800",
        "Alte Anfrage zur Emscher",
        "Fraktionsanfrage",
        "2024-06-01",
        text="Fraktionsanfrage Fraktion Die Linke\n\n1. Wie steht es um die Emscher?\n",
    )
    feed.add_paper(1900, "14/1900", "Haushalt 2025", "Beschlussvorlage", "2025-01-02")
    feed.add_paper(
        1923,
        "14 / 1923",
        "Zusammenarbeit der Kommunalen Integrationszentren im Ruhrgebiet",
        "Fraktionsanfrage",
        "2025-01-06",
        text=RVR_TEXT,
        consultation=[
            feed.obj(
                "Consultation",
                f"{feed.body}/consultation/9001",
                meeting=meeting,
                agendaItem=f"{feed.body}/agendaitem/7001",
                organization=[kultur],
                role="zur Kenntnis",
            )
        ],
    )
    feed.add_paper(
        1930,
        "14/1930",
        "Beantwortung der Anfrage 14/1800",
        "Beantwortung einer Anfrage",
        "2025-01-08",
    )
    return feed
