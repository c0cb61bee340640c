"""An answer document as a council prints it (a PDF made with reportlab): the administration's
Beantwortung of the RVR Anfrage 14/1923, answering questions 1, 2 and 4 and skipping 3."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

# Council text that must not format or ping anything in Slack.
HOSTILE = "<!channel> *x*"

LINES = (
    "Regionalverband Ruhr",
    "Fachbereich Integration",
    "",
    "Beantwortung der Anfrage 14/1923",
    "Kommunale Integrationszentren im Ruhrgebiet",
    "",
    "Die Fraktion Die Linke hat folgende Fragen gestellt, die wir wie folgt beantworten:",
    "",
    "Zu 1.:",
    "Die Kommunalen Integrationszentren treffen sich viermal im Jahr in einem Arbeitskreis.",
    "Die Landesweite Koordinierungsstelle organisiert diese Treffen.",
    "",
    "Zu 2.:",
    f"Der RVR ist an dem Arbeitskreis als Gast beteiligt {HOSTILE} und berichtet jährlich.",
    "",
    "Zu 4.:",
    "Die Verwaltung plant Schulungen zur interkulturellen Kompetenz für alle Mitarbeitenden.",
    "",
    "gez. Geiß-Netthöfel",
)


def answer_pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    y = 800.0
    for line in LINES:
        c.setFont("Helvetica", 10)
        c.drawString(60, y, line)
        y -= 14
    c.showPage()
    c.save()
    return out.getvalue()
