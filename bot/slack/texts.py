"""Every German string the bot shows, in one place."""

from __future__ import annotations

NEW_ANFRAGE = "Neue Anfrage {ref}"
NEW_ANFRAGE_NOREF = "Neue Anfrage"
FALLBACK_ANNOUNCE = "Neue Anfrage {ref}{faction}: {subject}"
LABEL_FACTION = "Fraktion"
LABEL_DATE = "Datum"
LABEL_TYPE = "Art"
LABEL_STATUS = "Status"
LABEL_QUESTIONS = "Fragen"
LABEL_CONSULTATION = "Beratungsfolge"
LINK_RIS = "Im Ratsinformationssystem"
LINK_DOCUMENT = "Dokument (PDF)"
UNKNOWN = "unbekannt"
MORE_QUESTIONS = "… und {n} weitere Fragen: siehe Dokument"
MORE_QUESTIONS_LINK = "… und {n} weitere Fragen: {link}"
LINK_READ_MORE = "im Dokument lesen"
SESSION_ON = "Sitzung am {date}"
SESSION_ON_TIME = "Sitzung am {date} um {time} Uhr"
SESSION_TOP = "TOP {top}"
SESSION_CANCELLED = "abgesagt"

STATUS_FILED = "eingereicht"
STATUS_ON_AGENDA = "auf der Tagesordnung am {date}"
STATUS_ANSWERED = "beantwortet am {date}"
STATUS_DONE = "erledigt"
STATUS_DELETED = "zurückgezogen/gelöscht"

# --- Lifecycle: reminders, thread replies, digest (issue 5) -------------------------------
REMINDER_HEADER = "Erinnerung: {committee}"
REMINDER_WHEN = "Sitzung am {weekday}, {date} um {time} Uhr"
REMINDER_WHEN_DAY = "Sitzung am {weekday}, {date}"
REMINDER_WHERE = "Ort: {location}"
REMINDER_ANFRAGEN = "Anfragen auf der Tagesordnung"
REMINDER_FALLBACK = "Erinnerung: {committee} am {date}, {n} Anfrage(n) auf der Tagesordnung"
REMINDER_ITEM = "{top}*{ref}* {subject}"
REMINDER_TOP = "TOP {top}: "
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")

EVENT_AGENDA = "Auf der Tagesordnung: {session}"
EVENT_MOVED = "Sitzung verlegt, neuer Termin: {session}"
EVENT_CANCELLED = "Die Sitzung {committee} am {date} wurde abgesagt."
EVENT_MEETING_DELETED = "Die Sitzung {committee} am {date} wurde aus dem Sitzungskalender entfernt."
EVENT_RESULT = "Beraten: {session} – Ergebnis: {result}"
EVENT_ANSWERED = "Beantwortet am {date}{days}: {link}"
EVENT_ANSWERED_DAYS = " (nach {n} Tagen)"
EVENT_ANSWERED_DAY = " (nach 1 Tag)"
EVENT_ANSWER_LABEL = "Antwort {ref}"
EVENT_ANSWER_LABEL_NOREF = "Antwort der Verwaltung"
EVENT_DELETED = "Die Anfrage wurde im Ratsinformationssystem zurückgezogen oder gelöscht."
EVENT_FALLBACK = "{ref}: {event}"

DIGEST_HEADER = "Offene Anfragen (Woche {week})"
DIGEST_FALLBACK = "{n} offene Anfrage(n) ohne Antwort"
DIGEST_ITEM = "*{ref}* {subject} – eingereicht am {date}, seit {days} Tagen offen"
DIGEST_NONE = "Keine offenen Anfragen: alle angekündigten Anfragen sind beantwortet."
DIGEST_MORE = "… und {n} weitere"

# --- Our faction, deadlines, departments (issue 13) -----------------------------------------
OURS = "Unsere Anfrage"
OURS_HEADER = "Unsere Anfrage {ref}"
OURS_HEADER_NOREF = "Unsere Anfrage"
FALLBACK_OURS = "Unsere Anfrage {ref}: {subject}"
OURS_MARK = "*Unsere Anfrage*"
DUE = "Antwort fällig bis {date}"
OVERDUE = "*überfällig* seit {days}"
OVERDUE_DAYS = "{n} Tagen"
OVERDUE_DAY = "1 Tag"
DEPARTMENT = "federführend: {department}"
SIGNED = "Unterzeichnet: {names}"
EVENT_OVERDUE = "Die Antwort ist *überfällig*: fällig war sie am {date}, seit {days} ohne Antwort."
EVENT_INTERIM = (
    "Zwischennachricht der Verwaltung ({date}): {link} – das ist noch nicht die Antwort."
)
EVENT_INTERIM_LABEL = "Zwischennachricht"
EVENT_WITHIN = " – innerhalb der Frist (fällig bis {date})"
EVENT_LATE = " – nach Fristablauf (fällig bis {date})"
DIGEST_OVERDUE_ITEM = "*{ref}* {owner}{subject} – *überfällig* seit {days} (fällig bis {date})"
SESSION_RESULT = "Ergebnis: {result}"

# --- The answer question by question (issue 16) ---------------------------------------------
ANSWERS_LABEL = "Die Antwort, Frage für Frage:"
ANSWERS_BY = "Antwort von {office}"
MORE_ANSWERS_LINK = "… und {n} weitere Fragen: {link}"
MORE_ANSWERS = "… und {n} weitere Fragen in der Antwort."
LINK_READ_ANSWER = "Antwort lesen"

# --- Reminders sent without a fresh read of the meeting --------------------------------------
STAND_LINE = "Stand der Sitzungsdaten: {when}"
STAND_UNKNOWN = "unbekannt"

# --- `poll --once --dry-run` and the terminal notifier (no SLACK_BOT_TOKEN) --------------------
TERMINAL_POST = "\n--- Nachricht an {where} ---"
TERMINAL_UPDATE = "\n--- Aktualisiert: Nachricht {ts} in {channel} ---"
PREVIEW_UPDATE = "{channel} (Aktualisierung von {ts})"
PREVIEW_THREAD = "{channel} (Antwort im Thread {ts})"
PREVIEW_HEAD = "\n--- Probelauf: Nachricht an {where} ---"
PREVIEW_SUMMARY = (
    "\nProbelauf: {n} Nachricht(en) würden gesendet; "
    "nichts wurde gesendet oder als gesendet vermerkt."
)
