"""The demo feed: a small RVR-like council (more! rubin style, OParl 1.0) with invented content.

Dates are relative to `today` so the demo always shows fresh Anfragen.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

T = "https://schema.oparl.org/1.0/"

ANFRAGE_TEXT = """Fraktionsanfrage Fraktion Die Linke
14 / 2101

{filed}
Fraktionsanfrage\töffentlich

Beratungsfolge\tBeratungsstatus\tSitzung am\tTOP
Verkehrsausschuss\tzur Kenntnis\t{session}\t

Betreff: Barrierefreiheit der Haltestellen im Verbandsgebiet

Anfrage

Viele Haltestellen im Ruhrgebiet sind für Menschen mit Rollstuhl, Rollator oder Kinderwagen
nur schwer erreichbar. Der Verband koordiniert den Regionalplan und fördert den Radverkehr.

In diesem Zusammenhang stellen wir folgende Fragen:

1. Wie viele Haltestellen im Verbandsgebiet sind nach Kenntnis der Verwaltung vollständig
barrierefrei ausgebaut? Bitte nach Kommunen aufschlüsseln.
2. Welche Förderprogramme stehen den Kommunen für den Ausbau zur Verfügung?
3. Welche Maßnahmen plant die Verwaltung, insbesondere hinsichtlich der
 - Abstimmung mit den Verkehrsunternehmen
 - Beteiligung der Behindertenbeiräte?

gez. Erika Beispiel
Vorsitzende der Fraktion Die Linke im RVR
"""

OTHER_TEXT = """Fraktionsanfrage Fraktion Bündnis 90/Die Grünen
14 / 2104

{filed}
Fraktionsanfrage\töffentlich

Betreff: Stand der Radschnellweg-Planung RS1

Wir fragen die Verwaltung:

1. Welche Abschnitte des RS1 sind fertiggestellt?
2. Wann wird der Abschnitt zwischen Essen und Gelsenkirchen freigegeben?

gez. Max Muster
"""


def _d(day: date) -> str:
    return day.isoformat()


def build_routes(base: str, today: date) -> dict[str, bytes]:
    """All URLs of the demo feed, keyed by path, with absolute ids under `base`."""
    root = f"{base}/oparl"
    body = f"{root}/body/1"
    session_day = today + timedelta(days=12)
    stamp = f"{_d(today)}T06:00:00+01:00"  # more! rubin stamps every object with today

    def obj(kind: str, oid: str, **fields: Any) -> dict[str, Any]:
        return {"id": oid, "type": T + kind, "created": stamp, "modified": stamp, **fields}

    orgs = [
        obj(
            "Organization",
            f"{body}/organization/1",
            name="Verkehrsausschuss",
            organizationType="Gremium",
        ),
        obj(
            "Organization",
            f"{body}/organization/2",
            name="Ausschuss für Kultur, Sport und Vielfalt",
            organizationType="Gremium",
        ),
        obj(
            "Organization",
            f"{body}/organization/9",
            name="Fraktion Die Linke",
            organizationType="Fraktion",
        ),
    ]
    meeting = obj(
        "Meeting",
        f"{body}/meeting/301",
        name="Sitzung des Verkehrsausschusses",
        start=f"{_d(session_day)}T14:00:00+01:00",
        end=f"{_d(session_day)}T17:00:00+01:00",
        location={
            "id": f"{body}/location/1",
            "type": T + "Location",
            "description": "Haus des Ruhrgebiets, Kronprinzenstraße 35, Essen",
        },
        organization=[f"{body}/organization/1"],
        agendaItem=[
            obj(
                "AgendaItem",
                f"{body}/agendaitem/3011",
                number="7",
                name="Barrierefreiheit der Haltestellen im Verbandsgebiet",
                consultation=f"{body}/consultation/5001",
            )
        ],
    )

    def paper(
        num: int, ref: str, name: str, kind: str, day: date, text: str | None, **extra: Any
    ) -> dict[str, Any]:
        file = obj(
            "File",
            f"{body}/file/{num}",
            name=f"{kind} {ref}",
            mimeType="application/pdf",
            accessUrl=f"{base}/files/{num}.pdf",
        )
        if text:
            file["text"] = text
        return obj(
            "Paper",
            f"{body}/paper/{num}",
            body=body,
            name=name,
            reference=ref,
            paperType=kind,
            date=_d(day),
            web=f"{base}/vorgang/{num}",
            mainFile=file,
            **extra,
        )

    papers = [
        paper(
            2090,
            "14/2090",
            "Haushaltssatzung 2026",
            "Beschlussvorlage",
            today - timedelta(days=40),
            None,
        ),
        paper(
            2101,
            "14/2101",
            "Barrierefreiheit der Haltestellen im Verbandsgebiet",
            "Fraktionsanfrage",
            today - timedelta(days=2),
            ANFRAGE_TEXT.format(
                filed=(today - timedelta(days=2)).strftime("%d.%m.%Y"),
                session=session_day.strftime("%d.%m.%Y"),
            ),
            consultation=[
                obj(
                    "Consultation",
                    f"{body}/consultation/5001",
                    meeting=f"{body}/meeting/301",
                    agendaItem=f"{body}/agendaitem/3011",
                    organization=[f"{body}/organization/1"],
                    role="zur Kenntnis",
                )
            ],
        ),
        paper(
            2102,
            "14/2102",
            "Umbesetzung im Ausschuss für Kultur, Sport und Vielfalt",
            "Mitteilungsvorlage",
            today - timedelta(days=1),
            None,
        ),
        paper(
            2104,
            "14/2104",
            "Stand der Radschnellweg-Planung RS1",
            "Fraktionsanfrage",
            today - timedelta(days=1),
            OTHER_TEXT.format(filed=(today - timedelta(days=1)).strftime("%d.%m.%Y")),
        ),
    ]

    def page(items: list[dict[str, Any]]) -> bytes:
        return json.dumps(
            {
                "data": items,
                "links": {},
                "pagination": {"totalElements": len(items), "currentPage": 1, "totalPages": 1},
            }
        ).encode()

    system = {
        "id": f"{root}/system",
        "type": T + "System",
        "oparlVersion": T,
        "name": "Demo-Ratsinformationssystem (RVR-ähnlich)",
        "body": f"{root}/bodies",
    }
    body_obj = obj(
        "Body",
        body,
        name="Regionalverband Ruhr (Demo)",
        shortName="RVR",
        organization=f"{body}/organizations",
        meeting=f"{body}/meetings",
        paper=f"{body}/papers",
        system=f"{root}/system",
    )
    routes = {
        "/oparl/system": system,
        "/oparl/bodies": None,
        "/oparl/body/1/organizations": None,
        "/oparl/body/1/meetings": None,
        "/oparl/body/1/papers": None,
    }
    out = {k: json.dumps(v).encode() for k, v in routes.items() if v is not None}
    out["/oparl/bodies"] = page([body_obj])
    out["/oparl/body/1/organizations"] = page(orgs)
    out["/oparl/body/1/meetings"] = page([meeting])
    out["/oparl/body/1/papers"] = page(papers)
    return out
