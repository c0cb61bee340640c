"""Where a question ends: sub-item markers ("a)", "–", "ii)"), sentence and question ends, the
lines that end a question list and the clauses that continue a question."""

from __future__ import annotations

import re

SUB_RE = re.compile(
    r"^(?:(?P<bullet>[-–—•*▪])\s+|(?P<letter>\(?[a-z]{1,2}\))\s*|(?P<dot>[a-z])\.\s+|"
    r"(?P<roman>\(?(?:i{1,3}|iv|v|vi{0,3})\))\s+)(?P<rest>\S.*)$"
)
# A clause that continues the question before it ("Bitte aufschlüsseln nach …").
CONT_CUE_RE = re.compile(
    r"^(Bitte|bitte|Falls|Wenn ja|Wenn nein|Wenn nicht|Wenn dem|Sofern|Soweit|Ggf\.|Gegebenenfalls|"
    r"Und\b|Oder\b|Dabei|Hierbei|Insbesondere|Aufgeschlüsselt|Aufgegliedert|Differenziert|Getrennt)"
)
# A line that ends the question list (the answer, a signature, the Begründung).
TERMINATOR_RE = re.compile(
    r"^(Antwort\b|Antworten\b|Zu Frage|Zu den Fragen|Zu \d|Stellungnahme\b|Begründung\b|gez\.|"
    r"Mit freundlichen|Freundliche Grüße|\(verteilt am|Bearbeiter|Anlage[n]?\b|Anlage:|"
    r"Sachverhalt:|Beschlussvorschlag|Beratungsfolge|Unterschrift|Verteiler|Hinweis:|"
    r"Vorbemerkung)",
    re.IGNORECASE,
)
# An abbreviation or ordinal whose period does not end the sentence.
_ABBREV_END_RE = re.compile(
    r"(?:\b(?:z|B|Nr|Abs|bzw|vgl|ggf|u|a|S|ca|Drs|Dr|Art|Var|gem|inkl|evtl|usw|etc|o|g|d|h|i|"
    r"St|Str|Tsd|Mio|Mrd|Jh|Kap|Ziff|lt|sog|bspw|insb|einschl|zzgl|max|min|ff)\.|\b\d{1,2}\.)$"
)


def ends_sentence(s: str) -> bool:
    s = s.rstrip(" “”\"')»]*")
    if s.endswith(("?", "!")):
        return True
    if s.endswith("."):
        return not _ABBREV_END_RE.search(s)
    return False


def ends_question(s: str) -> bool:
    return s.rstrip(" “”\"')»]*").endswith("?")


def sub_marker(line: str) -> tuple[str, str] | None:
    m = SUB_RE.match(line)
    if not m:
        return None
    if m.group("bullet"):
        return "bullet", m.group("bullet")
    if m.group("letter"):
        return "letter", m.group("letter").strip("()")
    if m.group("dot"):
        return "letter", m.group("dot")
    return "roman", m.group("roman").strip("()")


def next_marker_ok(prev: tuple[str, str] | None, cur: tuple[str, str]) -> bool:
    if prev is None:
        return cur[0] == "bullet" or cur[1] in ("a", "i", "aa")
    if prev[0] != cur[0]:
        return False
    if cur[0] == "bullet":
        return prev[1] == cur[1]
    if cur[0] == "letter" and len(cur[1]) == 1 and len(prev[1]) == 1:
        return ord(cur[1]) == ord(prev[1]) + 1
    return True
