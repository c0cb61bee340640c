"""German strings of issue 14: App Home, `/anfrage kalender`, `folgen` and the direct messages."""

from __future__ import annotations

# --- /anfrage folgen · entfolgen · gefolgt ------------------------------------------------
FOLLOW_USAGE = "Welcher Anfrage folgen? Beispiel: `/anfrage folgen 14/1923`"
UNFOLLOW_USAGE = "Welcher Anfrage nicht mehr folgen? Beispiel: `/anfrage entfolgen 14/1923`"
FOLLOW_NO_USER = "Folgen geht nur in Slack (ohne Benutzer gibt es keine Direktnachricht)."
FOLLOW_NOT_FOUND = "Keine Drucksache `{query}` gefunden."
FOLLOW_AMBIGUOUS = "Zu `{query}` passen mehrere Drucksachen; bitte die volle Nummer angeben."
FOLLOW_DONE = (
    "Sie folgen jetzt {ref}: Tagesordnung, Verlegung, Absage und Antwort kommen als "
    "Direktnachricht. `/anfrage entfolgen {plain_ref}` beendet das."
)
FOLLOW_ALREADY = "Sie folgen {ref} schon."
FOLLOW_TOO_MANY = "Sie folgen schon {n} Drucksachen; bitte erst einer davon entfolgen."
UNFOLLOW_DONE = "Sie folgen {ref} nicht mehr."
UNFOLLOW_NOT = "Sie folgen {ref} nicht."
FOLLOWED_NONE = "Sie folgen keiner Anfrage. `/anfrage folgen 14/1923` ändert das."
FOLLOWED_TITLE = "Sie folgen {n} Drucksache(n)"
FOLLOWED_LINE = "*{ref}* · {subject} · {status}"
FOLLOW_OPEN = "offen"
FOLLOW_ANSWERED = "beantwortet am {date}"
FOLLOW_DELETED = "zurückgezogen/gelöscht"

# --- /anfrage kalender -------------------------------------------------------------------
CALENDAR_NO_CHANNEL = "Kalender gibt es nur in einem Kanal."
CALENDAR_NO_URL = (
    "Für Kalender-Abos fehlt die öffentliche Adresse des Bots: `[http] public_url` in der "
    "Konfiguration (siehe README)."
)
CALENDAR_URL = (
    "Sitzungskalender {what} zum Abonnieren (in Outlook, Google Kalender oder Apple Kalender "
    "als Internetkalender hinzufügen):\n{url}\nDie Adresse ist geheim: wer sie hat, sieht den "
    "Kalender."
)
CALENDAR_WHAT_CHANNEL = "dieses Kanals (Sitzungen mit hier angekündigten Anfragen)"
CALENDAR_WHAT_COMMITTEE = "für „{committee}“"
CALENDAR_WHAT_ALL = (
    "aller Sitzungen (hier in der Direktnachricht gibt es keine Kanal-Abos; im Kanal gibt "
    "`/anfrage kalender` die Sitzungen mit dort angekündigten Anfragen, `/anfrage kalender "
    "Gremium` die eines Gremiums)"
)

# --- direct messages to followers --------------------------------------------------------
DM_TITLE = "{ref} · {subject}"
DM_FOOTER = "Sie folgen dieser Anfrage · `/anfrage entfolgen {ref}` beendet die Nachrichten"
DM_FALLBACK = "{ref}: {event}"

# --- App Home ----------------------------------------------------------------------------
HOME_TITLE = "Anfragen im Überblick"
HOME_UPDATED = "Stand: {when}"
HOME_OPEN = "Offene Anfragen ({n})"
HOME_OPEN_NONE = "Keine offenen Anfragen: alle angekündigten Anfragen sind beantwortet."
HOME_OPEN_SCOPE = "Angekündigte Anfragen ohne Antwort, überfällige und älteste zuerst."
HOME_OPEN_SCOPE_FACTION = (
    "Anfragen unserer Fraktion ohne Antwort: überfällige zuerst, dann nach Frist, "
    "dann die ältesten."
)
HOME_OPEN_NONE_FACTION = "Keine offenen Anfragen unserer Fraktion: alle sind beantwortet."
HOME_OPEN_LINE = "*{ref}* · {age} · {subject}"
HOME_OPEN_OVERDUE = "*überfällig* seit {days}"
HOME_OPEN_DUE = "fällig bis {date}"
HOME_OPEN_AGE = "eingereicht am {date}, seit {days}"
HOME_SESSIONS = "Nächste Sitzungen mit Anfragen"
HOME_SESSIONS_NONE = "Keine anstehenden Sitzungen mit Anfragen auf der Tagesordnung."
HOME_SESSION_LINE = "*{when}* · {committee}"
HOME_SESSION_ITEM = "• {top}*{ref}* {subject}"
HOME_FOLLOWS = "Sie folgen"
HOME_FOLLOWS_NONE = (
    "Sie folgen keiner Anfrage. Mit `/anfrage folgen 14/1923` kommt jede Neuigkeit dazu als "
    "Direktnachricht."
)
HOME_ABOS = "Abos der Kanäle"
HOME_ABOS_NONE = "Keine Kanal-Abos. `/anfrage abo …` richtet eines ein."
HOME_ABO_LINE = "{channel} · *{id}* · {conditions}"
HOME_ABO_DEFAULT = "{channel} · Standardkanal: alle neuen Anfragen"
HOME_ABO_ALL = "alle neuen Anfragen"
HOME_MORE = "… und {n} weitere"
HOME_ERROR = "Die Übersicht konnte gerade nicht geladen werden; bitte später noch einmal öffnen."
DAYS_ONE = "1 Tag"
DAYS = "{n} Tagen"
DAYS_ZERO = "heute"
