# ruff: noqa: E501  (test data: long German sample lines are kept verbatim)
"""Generated council-paper PDFs (reportlab) in several print layouts, for tests and the bench.

Each layout function draws one German Anfrage/Antrag/Antwort as a PDF. The expected parse result
is stored in ``tests/document/gold/generated/<name>.json``. Text is written line by line (with
explicit hyphenation where a layout needs it) so the gold labels are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

GOLD_DIR = Path(__file__).resolve().parent / "gold" / "generated"
TOP = 800.0
BOTTOM = 70.0
LEFT = 60.0
LEADING = 14.0

Line = tuple[float, str, str, float]  # x, text, font, size


@dataclass
class Page:
    lines: list[tuple[float, float, str, str, float]] = field(default_factory=list)


class Doc:
    """A tiny layout helper: lines flow top-down, pages break automatically."""

    def __init__(
        self,
        header: Callable[[int], list[str]] | None = None,
        footer: Callable[[int], list[str]] | None = None,
    ) -> None:
        self.pages: list[Page] = [Page()]
        self.y = TOP
        self.header = header
        self.footer = footer
        self._start_page()

    def _start_page(self) -> None:
        self.y = TOP
        if self.header:
            for text in self.header(len(self.pages)):
                self.pages[-1].lines.append((LEFT, self.y, text, "Helvetica", 8))
                self.y -= 12
            self.y -= 10

    def new_page(self) -> None:
        self.pages.append(Page())
        self._start_page()

    def line(self, text: str, x: float = LEFT, bold: bool = False, size: float = 10) -> None:
        if self.y < BOTTOM + 20:
            self.new_page()
        font = "Helvetica-Bold" if bold else "Helvetica"
        self.pages[-1].lines.append((x, self.y, text, font, size))
        self.y -= LEADING if size <= 10 else size + 6

    def row(self, cells: list[tuple[float, str]], bold: bool = False) -> None:
        if self.y < BOTTOM + 20:
            self.new_page()
        font = "Helvetica-Bold" if bold else "Helvetica"
        for x, text in cells:
            self.pages[-1].lines.append((x, self.y, text, font, 10))
        self.y -= LEADING

    def gap(self, n: float = 1.0) -> None:
        self.y -= LEADING * n

    def save(self, path: Path, encrypt: str | None = None) -> None:
        c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
        total = len(self.pages)
        for number, page in enumerate(self.pages, start=1):
            for x, y, text, font, size in page.lines:
                c.setFont(font, size)
                c.drawString(x, y, text)
            if self.footer:
                fy = 40.0
                for text in self.footer(number):
                    c.setFont("Helvetica", 8)
                    c.drawString(LEFT, fy, text.replace("{total}", str(total)))
                    fy -= 10
            c.showPage()
        c.save()


# ---------------------------------------------------------------------------------------------


def sessionnet_radweg(path: Path) -> None:
    """SessionNet print: key/value header, Beratungsfolge table, Sachverhalt list, then questions
    after a cue; running header and 'Seite N von M' footer; question 4 split over a page break."""
    doc = Doc(
        header=lambda n: [] if n == 1 else ["Stadt Musterstadt - Vorlage VO/2025/0142"],
        footer=lambda n: [f"Seite {n} von {{total}}"],
    )
    doc.line("Stadt Musterstadt", size=14, bold=True)
    doc.line("Anfrage", size=12, bold=True)
    doc.gap()
    doc.row([(LEFT, "Vorlage-Nr.:"), (200, "VO/2025/0142")])
    doc.row([(LEFT, "Status:"), (200, "öffentlich")])
    doc.row([(LEFT, "Datum:"), (200, "12.03.2025")])
    doc.row([(LEFT, "Verfasser:"), (200, "SPD-Fraktion")])
    doc.gap()
    doc.line("Betreff: Sicherer Radweg entlang der Hauptstraße zwischen Bahnhof und Schulzentrum")
    doc.gap()
    doc.line("Beratungsfolge:", bold=True)
    doc.row([(LEFT, "Datum"), (140, "Gremium"), (430, "Zuständigkeit")], bold=True)
    doc.row(
        [
            (LEFT, "25.03.2025"),
            (140, "Ausschuss für Umwelt, Verkehr und Klimaschutz"),
            (430, "Kenntnisnahme"),
        ]
    )
    doc.row([(LEFT, "03.04.2025"), (140, "Rat der Stadt Musterstadt"), (430, "Kenntnisnahme")])
    doc.gap()
    doc.line("Sachverhalt:", bold=True)
    doc.line(
        "Die Hauptstraße ist die wichtigste Verbindung zwischen dem Bahnhof und dem Schulzentrum."
    )
    doc.line("Aus der Elternschaft wurden uns folgende Punkte berichtet:")
    doc.line("1. Der Radweg endet vor der Kreuzung Lindenallee ohne sichere Überleitung.")
    doc.line("2. Die Fahrbahnmarkierungen sind auf 400 Metern kaum noch zu erkennen.")
    doc.line("3. Parkende Lieferfahrzeuge blockieren morgens regelmäßig den Schutzstreifen.")
    doc.gap()
    doc.line("Vor diesem Hintergrund fragen wir die Verwaltung:")
    doc.line("1. Wie viele Unfälle mit Beteiligung von Radfahrenden wurden seit dem 1. Januar 2022")
    doc.line("auf der Hauptstraße zwischen Bahnhof und Schulzentrum polizeilich erfasst?")
    doc.line("2. Welche Maßnahmen plant die Verwaltung, um die Lücke des Radweges an der Kreuzung")
    doc.line("Lindenallee zu schließen, und bis wann sollen diese umgesetzt werden?")
    doc.line(
        "3. Wann werden die Fahrbahnmarkierungen erneuert? Bitte den Zeitplan für das 2. Quartal"
    )
    doc.line("und das 3. Quartal 2025 nennen.")
    while doc.y > BOTTOM + 40:
        doc.gap()
    doc.line(
        "4. Ist die Verwaltung bereit, die Einhaltung des Halteverbots auf dem Schutzstreifen durch"
    )
    doc.line(
        "den kommunalen Ordnungsdienst in den Morgenstunden verstärkt zu kontrollieren, und welche"
    )
    doc.line("personellen Kapazitäten stehen dafür zur Verfügung?")
    doc.line(
        "5. Welche Fördermittel des Landes für den Radverkehr könnten für einen durchgehenden,"
    )
    doc.line("baulich getrennten Radweg beantragt werden?")
    doc.gap()
    doc.line("gez. Anna Schneider")
    doc.line("Fraktionsvorsitzende")
    doc.save(path)


def allris_kita_joint(path: Path) -> None:
    """ALLRIS print: two-column header table, joint Anfrage of two factions, '1)' numbering with
    lettered sub-items and a wrapped item line."""
    doc = Doc(footer=lambda n: [f"Ausdruck vom 02.05.2025 - Seite {n}/{{total}}"])
    doc.row(
        [(LEFT, "Bezirksverordnetenversammlung Lichtenfelde"), (380, "Drucksache: DS/0815/2025")]
    )
    doc.row([(LEFT, "Drucksache-Art: Große Anfrage"), (380, "Datum: 29.04.2025")])
    doc.row(
        [
            (LEFT, "Initiator: Fraktion BÜNDNIS 90/DIE GRÜNEN, Fraktion DIE LINKE"),
            (380, "Status: öffentlich"),
        ]
    )
    doc.gap()
    doc.line("Betreff: Fehlende Kita-Plätze im Ortsteil Nordend")
    doc.gap()
    doc.line("Beratungsfolge:", bold=True)
    doc.row([(LEFT, "Datum"), (140, "Gremium"), (400, "Beratungsart"), (500, "TOP")], bold=True)
    doc.row(
        [
            (LEFT, "15.05.2025"),
            (140, "Ausschuss für Jugend und Familie"),
            (400, "Vorberatung"),
            (500, "Ö 4.1"),
        ]
    )
    doc.row(
        [
            (LEFT, "22.05.2025"),
            (140, "Bezirksverordnetenversammlung"),
            (400, "Beantwortung"),
            (500, "Ö 7.3"),
        ]
    )
    doc.gap()
    doc.line(
        "Im Ortsteil Nordend sind in den letzten Jahren über 600 neue Wohnungen entstanden. Eltern"
    )
    doc.line("berichten von Wartelisten mit mehr als hundert Kindern.")
    doc.gap()
    doc.line("Wir fragen das Bezirksamt:")
    doc.line(
        "1) Wie viele Kinder unter drei Jahren und wie viele Kinder über drei Jahren warten derzeit"
    )
    doc.line("im Ortsteil Nordend auf einen Kita-Platz?")
    doc.line(
        "2) Wie viele Kita-Plätze sind in den Jahren 2025 und 2026 geplant, aufgeschlüsselt nach"
    )
    doc.line("a) Neubauten kommunaler Träger,")
    doc.line(
        "b) Erweiterungen bestehender Einrichtungen freier Träger, soweit diese bereits vertraglich"
    )
    doc.line("vereinbart oder vom Jugendhilfeausschuss beschlossen sind,")
    doc.line("c) Kindertagespflege?")
    doc.line("3) Welche Grundstücke im Ortsteil prüft das Bezirksamt für den Bau einer neuen Kita?")
    doc.line(
        "4) Wie hoch ist der Bedarf an zusätzlichen Erzieherinnen und Erziehern, und wie will das"
    )
    doc.line("Bezirksamt diesen decken?")
    doc.gap()
    doc.line("gez. Dr. Maria Weber (Fraktion BÜNDNIS 90/DIE GRÜNEN)")
    doc.line("gez. Tom Krüger (Fraktion DIE LINKE)")
    doc.save(path)


def sdnet_oepnv_answer(path: Path) -> None:
    """SD.NET answer print: 'Frage N:' / 'Antwort:' pairs; answers contain numbered lists."""
    doc = Doc(footer=lambda n: [f"- {n} -"])
    doc.line("Stadt Beispielburg", size=14, bold=True)
    doc.line("Der Oberbürgermeister")
    doc.gap()
    doc.line("Antwort der Verwaltung", size=12, bold=True)
    doc.row([(LEFT, "Drucksachen-Nr.:"), (200, "0456/2025")])
    doc.row([(LEFT, "Datum:"), (200, "02.06.2025")])
    doc.gap()
    doc.line("Betreff: Taktung der Buslinie 12 im Nordviertel")
    doc.line("Bezug: Anfrage der CDU-Fraktion vom 14.05.2025")
    doc.gap()
    doc.line("Beratungsfolge:", bold=True)
    doc.row(
        [
            (LEFT, "Ausschuss für Mobilität und Stadtentwicklung"),
            (330, "17.06.2025"),
            (430, "Kenntnisnahme"),
        ]
    )
    doc.gap()
    doc.line("Die Anfrage der CDU-Fraktion wird wie folgt beantwortet:")
    doc.gap()
    doc.line("Frage 1: Wie oft fährt die Buslinie 12 derzeit in der Hauptverkehrszeit?")
    doc.line(
        "Antwort: In der Hauptverkehrszeit fährt die Linie 12 im 20-Minuten-Takt, in den übrigen"
    )
    doc.line("Zeiten im 30-Minuten-Takt.")
    doc.gap()
    doc.line(
        "Frage 2: Welche Verspätungen wurden im Jahr 2024 gemessen? Bitte nach Monaten aufschlüsseln."
    )
    doc.line("Antwort: Die durchschnittliche Verspätung lag bei 2,4 Minuten. Die Auswertung ergab:")
    doc.line("1. Im Januar lag die Pünktlichkeit bei 91 Prozent.")
    doc.line("2. Im Juli sank sie wegen Baustellen auf 84 Prozent.")
    doc.line("3. Im Dezember lag sie wieder bei 90 Prozent.")
    doc.gap()
    doc.line("Frage 3: Plant die Verwaltung eine Verdichtung auf einen 10-Minuten-Takt, und welche")
    doc.line("Mehrkosten würden dafür jährlich entstehen?")
    doc.line(
        "Antwort: Eine Verdichtung ist mit dem Fahrplanwechsel im Dezember 2026 vorgesehen. Die"
    )
    doc.line("Mehrkosten betragen rund 380.000 Euro pro Jahr.")
    doc.gap()
    doc.line("gez. Dr. Klaus Meier")
    doc.line("Oberbürgermeister")
    doc.save(path)


def rubin_antrag(path: Path) -> None:
    """rubin print: two-column header, an Antrag with a numbered Beschlussvorschlag (no questions)
    and a rhetorical question in the Begründung."""
    doc = Doc(footer=lambda n: [f"Gemeinde Waldbach - Antrag 2025/117 - Seite {n}"])
    doc.row([(LEFT, "Gemeinde Waldbach"), (380, "Antrag Nr. 2025/117")])
    doc.row([(LEFT, "Antrag"), (380, "Datum: 20.02.2025")])
    doc.gap()
    doc.line("Antragsteller: Fraktion FREIE WÄHLER")
    doc.line("Betreff: Einführung eines Bürgerhaushalts ab dem Haushaltsjahr 2026")
    doc.gap()
    doc.line("Beratungsfolge:", bold=True)
    doc.row([(LEFT, "Hauptausschuss"), (300, "04.03.2025"), (400, "Vorberatung")])
    doc.row([(LEFT, "Gemeinderat"), (300, "18.03.2025"), (400, "Entscheidung")])
    doc.gap()
    doc.line("Beschlussvorschlag:", bold=True)
    doc.line("Der Gemeinderat möge beschließen:")
    doc.line(
        "1. Die Verwaltung wird beauftragt, ein Konzept für einen Bürgerhaushalt zu erarbeiten."
    )
    doc.line("2. Für Vorschläge aus der Bürgerschaft werden jährlich 50.000 Euro bereitgestellt.")
    doc.line("3. Über die Umsetzung wird dem Gemeinderat jährlich berichtet.")
    doc.gap()
    doc.line("Begründung:", bold=True)
    doc.line(
        "Wer kennt die Bedürfnisse in den Ortsteilen besser als die Menschen, die dort leben? Viele"
    )
    doc.line("Kommunen haben mit Bürgerhaushalten gute Erfahrungen gemacht.")
    doc.gap()
    doc.line("gez. Petra Hoffmann")
    doc.line("Fraktionsvorsitzende")
    doc.save(path)


def kreistag_schule_multipage(path: Path) -> None:
    """Kreistag Fraktionsanfrage over three pages: running header with the Drucksache number,
    '- N -' page numbers, a Vorbemerkung list, bullets, a glued footnote marker with its footnote,
    hyphenated line breaks and a question split across a page break."""
    doc = Doc(
        header=lambda n: ["Drucksache 3/456 Kreistag Musterkreis - 3. Wahlperiode"],
        footer=lambda n: [f"- {n} -"],
    )
    doc.line("Fraktionsanfrage", size=12, bold=True)
    doc.line("Fraktion der CDU im Kreistag Musterkreis")
    doc.line("Datum: 07.10.2024")
    doc.gap()
    doc.line("Betreff: Sanierungsstau an den Schulen in Trägerschaft des Kreises")
    doc.gap()
    doc.line("Vorbemerkung:", bold=True)
    doc.line("Der Kreis ist Träger von 14 weiterführenden Schulen. Der Schulentwicklungsplan nennt")
    doc.line("folgende Schwerpunkte:")
    doc.line("1. energetische Sanierung der Gebäude aus den 1970er Jahren,")
    doc.line("2. Ausbau der Ganztagsangebote,")
    doc.line("3. Digitalisierung aller Unterrichtsräume.")
    doc.line("Nach Presseberichten beträgt der Sanierungsstau inzwischen über 80 Millionen Euro.1")
    for _ in range(6):
        doc.line(
            "Die Schulleitungen berichten seit Jahren von undichten Dächern, veralteten Sanitär-"
        )
        doc.line(
            "anlagen und fehlenden Fluchtwegen. Eine Gesamtübersicht liegt dem Kreistag nicht vor."
        )
    doc.gap()
    doc.line("1 Westfälische Kreiszeitung vom 12.09.2024, S. 3", size=8)
    doc.new_page()
    doc.line("Wir bitten um Beantwortung folgender Fragen:")
    doc.line(
        "1. Wie hoch ist der Sanierungsbedarf an den einzelnen Schulen in Trägerschaft des Kreises?"
    )
    doc.line("Bitte aufschlüsseln nach Schule und Maßnahme.")
    doc.line(
        "2. Welche Maßnahmen wurden in den Jahren 2022 bis 2024 umgesetzt, insbesondere im Hin-"
    )
    doc.line("blick auf")
    doc.line("• Brandschutz,")
    doc.line("• Barrierefreiheit,")
    doc.line("• Sanitäranlagen?")
    doc.line(
        "3. Welche Schulen sollen bis zum 31. Dezember 2026 an das Glasfasernetz angeschlossen"
    )
    doc.line("werden?")
    while doc.y > BOTTOM + 40:
        doc.gap()
    doc.line(
        "4. Welche Fördermittel aus Landes- und Bundesprogrammen wurden für die Schulsanierung"
    )
    doc.new_page()
    doc.line("beantragt, und welche wurden bewilligt?")
    doc.line("5. Wann legt die Verwaltung dem Kreistag einen priorisierten Sanierungsfahrplan vor?")
    doc.gap()
    doc.line("Mit freundlichen Grüßen")
    doc.line("gez. Herr Stefan Brandt")
    doc.line("Fraktionsvorsitzender")
    doc.save(path)


def magdeburg_form(path: Path) -> None:
    """Stadtrat form header (Absender, Adressat, Gremium, Sitzungstermin, Kurztitel), 'Ich möchte
    gerne wissen:' and an unsigned name block after 'Mit freundlichen Grüßen'."""
    doc = Doc()
    doc.row([(LEFT, "Anfrage"), (250, "Datum"), (400, "Nummer")], bold=True)
    doc.row([(LEFT, "öffentlich"), (250, "12.05.2025"), (400, "F0071/25")])
    doc.gap()
    doc.row([(LEFT, "Absender:"), (200, "Fraktion FDP/Tierschutzpartei")])
    doc.row([(LEFT, "Adressat:"), (200, "Oberbürgermeisterin")])
    doc.row([(LEFT, "Gremium:"), (200, "Stadtrat")])
    doc.row([(LEFT, "Sitzungstermin:"), (200, "22.05.2025")])
    doc.gap()
    doc.line("Kurztitel: Parkraumbewirtschaftung in der Altstadt")
    doc.gap()
    doc.line(
        "Seit Januar 2025 gelten in der Altstadt neue Parkgebühren. Anwohnende und Gewerbetreibende"
    )
    doc.line("beklagen fehlende Kurzzeitparkplätze.")
    doc.gap()
    doc.line("Ich möchte gerne wissen:")
    doc.line(
        "1. Wie haben sich die Einnahmen aus der Parkraumbewirtschaftung seit Januar 2025 entwickelt?"
    )
    doc.line("2. Wie viele Anwohnerparkausweise wurden 2025 ausgegeben?")
    doc.line("3. Plant die Verwaltung zusätzliche Kurzzeitparkplätze für den Lieferverkehr?")
    doc.gap()
    doc.line("Mit freundlichen Grüßen")
    doc.line("Jens Hartmann")
    doc.line("Stellv. Fraktionsvorsitzender")
    doc.line("Fraktion FDP/Tierschutzpartei")
    doc.save(path)


def hamburg_inline(path: Path) -> None:
    """Bezirksversammlung Kleine Anfrage: questions run inline after the cue, and '2a.'/'2b.'
    mixed numbering."""
    doc = Doc()
    doc.line("BEZIRKSVERSAMMLUNG ALTONA", bold=True)
    doc.line("Drucksache 21-4410")
    doc.line("Kleine Anfrage", size=12, bold=True)
    doc.line("Datum: 03.02.2025")
    doc.line("Fragesteller: Fraktion DIE LINKE")
    doc.gap()
    doc.line("Betreff: Winterdienst auf Geh- und Radwegen")
    doc.gap()
    doc.line(
        "Im Januar waren viele Radwege tagelang nicht geräumt. Ich frage die Verwaltung: 1. Welche"
    )
    doc.line("Radwege gehören zum Räumnetz der ersten Priorität?")
    doc.line("2a. Wie viele Beschwerden gingen im Januar 2025 ein?")
    doc.line("2b. Wie viele davon betrafen Radwege?")
    doc.line("3. Welche Änderungen am Räumplan sind für den nächsten Winter vorgesehen?")
    doc.gap()
    doc.line("gez. Lea Yilmaz")
    doc.save(path)


LAYOUTS: dict[str, Callable[[Path], None]] = {
    "sessionnet_radweg": sessionnet_radweg,
    "allris_kita_joint": allris_kita_joint,
    "sdnet_oepnv_answer": sdnet_oepnv_answer,
    "rubin_antrag": rubin_antrag,
    "kreistag_schule_multipage": kreistag_schule_multipage,
    "magdeburg_form": magdeburg_form,
    "hamburg_inline": hamburg_inline,
}


def build_all(directory: Path) -> dict[str, Path]:
    """Write every layout PDF into ``directory``; return name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name, fn in LAYOUTS.items():
        path = directory / f"{name}.pdf"
        fn(path)
        out[name] = path
    return out


def multipage_pdf(path: Path, pages: int = 10) -> None:
    """A long Anfrage (for the benchmark): Sachverhalt filler plus questions across ``pages``."""
    doc = Doc(
        header=lambda n: ["Drucksache 5/9999 Rat der Stadt Benchhausen"],
        footer=lambda n: [f"Seite {n} von {{total}}"],
    )
    doc.line("Anfrage", size=12, bold=True)
    doc.line("Fraktion der SPD")
    doc.line("Datum: 01.09.2025")
    doc.line("Betreff: Zustand der städtischen Sportstätten")
    qn = 0
    while len(doc.pages) < pages:
        doc.line(
            "Die städtischen Sportstätten werden von Vereinen, Schulen und Kitas genutzt. Viele"
        )
        doc.line(
            "Hallen stammen aus den 1960er Jahren und entsprechen nicht mehr heutigen Anforderungen."
        )
        if len(doc.pages) >= pages // 2:
            qn += 1
            if qn == 1:
                doc.line("Wir fragen die Verwaltung:")
            doc.line(
                f"{qn}. Wie hoch ist der Sanierungsbedarf der Sporthalle Nummer {qn}, und bis wann"
            )
            doc.line("soll die Sanierung abgeschlossen sein?")
    doc.line("gez. Max Mustermann")
    while len(doc.pages) > pages:
        doc.pages.pop()
    doc.save(path)
