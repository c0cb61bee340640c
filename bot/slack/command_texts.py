"""German strings of the `/anfrage` slash commands (kept apart from `texts.py`, the
announcement strings, so the two can change independently)."""

from __future__ import annotations

from bot.slack.escape import ours

HELP_TITLE = "So funktioniert /anfrage"
HELP = """*Eine Drucksache nachschlagen*
`/anfrage 14/1923` (auch `14 / 1923`, `141923` oder nur `1923` in der aktuellen Wahlperiode)

*Volltextsuche* in Betreff, Fragen und Dokumenttext (die 10 neuesten Treffer)
`/anfrage suche Radweg Emscher`

*Anstehende Sitzungen* mit unseren Anfragen auf der Tagesordnung
`/anfrage sitzungen` · `/anfrage sitzungen Verkehrsausschuss`

*Offene Anfragen* dieses Kanals (noch ohne Antwort), älteste zuerst
`/anfrage offen`

*Kanal-Abos*: neue Anfragen, die zu allen Angaben passen, kommen in diesen Kanal
`/anfrage abo fraktion:"Die Linke" gremium:Verkehrsausschuss`
`/anfrage abo art:Anfrage text:"Radweg" !fraktion:"CDU"` (`!` = nicht)
`/anfrage abos` zeigt die Abos mit Nummer · `/anfrage abo-ende 3` beendet Abo 3
Angaben: `fraktion:` `gremium:` `art:` `text:` (Groß-/Kleinschreibung egal, Teilwörter genügen)

*Einer Anfrage folgen*: Tagesordnung, Verlegung, Absage, Antwort als Direktnachricht
`/anfrage folgen 14/1923` · `/anfrage entfolgen 14/1923` · `/anfrage gefolgt` zeigt, wem Sie folgen

*Sitzungskalender* zum Abonnieren (Outlook, Google, Apple)
`/anfrage kalender` · `/anfrage kalender Verkehrsausschuss`"""
HELP_UNKNOWN = "Das habe ich nicht verstanden: `{text}`"
HELP_FALLBACK = "Hilfe zu /anfrage: /anfrage 14/1923 · suche TEXT · sitzungen · offen · abo · abos"

DETAIL_HEADER = "Drucksache {ref}"
DETAIL_HEADER_NOREF = "Drucksache ohne Nummer"
DETAIL_FALLBACK = "Drucksache {ref}: {subject}"
MORE_QUESTIONS = "… und {n} weitere Fragen: siehe Dokument"
MORE_QUESTIONS_LINK = "… und {n} weitere Fragen: {link}"
LINK_READ_MORE = "im Dokument lesen"
SHARE_BUTTON = "Im Kanal teilen"
SHARED_BY = "Geteilt von {user}"
SHARE_GONE = "Diese Drucksache gibt es nicht mehr im Bestand."

MANY_FOUND = "Zu `{query}` passen mehrere Drucksachen:"
NOT_FOUND = "Keine Drucksache `{query}` gefunden."
NOT_FOUND_SIMILAR = "Meinten Sie:"
NOT_FOUND_HINT = "Tipp: `/anfrage suche {query}` sucht im Text aller Drucksachen."

SEARCH_EMPTY = "Wonach soll ich suchen? Beispiel: `/anfrage suche Radweg`"
SEARCH_NONE = "Nichts gefunden zu „{query}“."
SEARCH_TITLE = "Suche nach „{query}“: die {n} neuesten Treffer"
SEARCH_TITLE_ONE = "Suche nach „{query}“: 1 Treffer"

SESSIONS_NONE = "Keine anstehenden Sitzungen mit Anfragen auf der Tagesordnung."
SESSIONS_NONE_FOR = "Keine anstehenden Sitzungen für „{committee}“."
SESSIONS_TITLE = "Anstehende Sitzungen"
SESSIONS_TITLE_FOR = "Anstehende Sitzungen: {committee}"
SESSIONS_NO_ANFRAGEN = "_keine Anfragen auf der Tagesordnung_"
SESSION_LINE = "*{when}* · {committee}"

OPEN_NONE = "In diesem Kanal sind keine Anfragen offen (oder noch keine angekündigt)."
OPEN_TITLE = "{n} offene Anfragen in diesem Kanal (älteste zuerst)"
OPEN_TITLE_ONE = "1 offene Anfrage in diesem Kanal"
OPEN_LINE = "*{ref}* · seit {days} · {subject}"
OPEN_MORE = "… und {n} weitere"
DAYS_ONE = "1 Tag"
DAYS = "{n} Tagen"
DAYS_ZERO = "heute"

ABO_CREATED = "Abo {id} angelegt: neue Anfragen mit {conditions} kommen in diesen Kanal."
ABO_CREATED_ALL = "Abo {id} angelegt: alle neuen Anfragen kommen in diesen Kanal."
ABO_NONE = "Dieser Kanal hat keine eigenen Abos."
ABO_TITLE = "Abos dieses Kanals"
ABO_LINE = "*{id}* · {conditions} (von {by}, {date})"
ABO_ALL = "alle neuen Anfragen"
ABO_DEFAULT = "Außerdem bekommt der Standardkanal aus der Konfiguration alle neuen Anfragen."
ABO_REMOVED = "Abo {id} beendet."
ABO_NOT_FOUND = "Abo {id} gibt es in diesem Kanal nicht. `/anfrage abos` zeigt die Abos."
ABO_BAD_ID = "Welches Abo? Beispiel: `/anfrage abo-ende 3` (die Nummern zeigt `/anfrage abos`)."
ABO_NO_CHANNEL = "Abos gibt es nur in einem Kanal."
ABO_NEED_KEY = (
    "„{word}“ verstehe ich nicht: Angaben haben die Form `schlüssel:wert`, "
    'z. B. `text:"{word}"`. Erlaubt: `fraktion:` `gremium:` `art:` `text:`.'
)
ABO_UNKNOWN_KEY = (
    "Unbekannte Angabe `{key}:`. Erlaubt sind `fraktion:`, `gremium:`, `art:` und `text:`, "
    "mit `!` davor für „nicht“."
)
ABO_UNCLOSED_QUOTE = "Bei `{key}:` fehlt das schließende Anführungszeichen."
ABO_EMPTY_VALUE = 'Bei `{key}:` fehlt der Wert, z. B. `{key}:"Die Linke"`.'
ABO_VALUE_TOO_LONG = "Der Wert bei `{key}:` ist zu lang (höchstens {max} Zeichen)."
ABO_TOO_MANY = "Höchstens {max} Angaben pro Abo."

# Shown as it is (app.py puts it in a section): declared as our own mrkdwn.
ERROR = ours("Das hat nicht geklappt, bitte später noch einmal versuchen.")
