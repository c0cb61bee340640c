"""`/anfrage statistik [fraktion:…] [amt:…] [seit:YYYY-MM-DD]`: the arguments and the table.

Pure: text in, a `StatsFilter` (or a German error) out; `Statistics` in, (text, blocks) out.
The table is a code block (monospace columns); every name in it goes through `mrkdwn` first,
which also replaces backticks, so council text cannot close the block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from bot.slack import command_texts as t
from bot.slack import texts
from bot.slack.blocks import MAX_SECTION, Block, context, header, section
from bot.slack.escape import Mrkdwn, PlainText, bold, fill, fill_plain, join, mrkdwn, ours
from bot.store.statistics import GroupStats, Statistics, StatsFilter

_ARG = re.compile(r'\s*(!?)([^\s:"]+):\s*(?:"([^"]*)"|“([^”]*)”|„([^“]*)“|(\S+))')
NAME_WIDTH = 26
MAX_ROWS = 25
KEYS = {"fraktion": "faction", "faction": "faction", "amt": "department", "seit": "since"}


class StatsSyntaxError(ValueError):
    """German message, already escaped mrkdwn."""


def parse_statistics(text: str) -> StatsFilter:
    values: dict[str, str] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ARG.match(text, pos)
        if not m or m.group(1):
            word = text[pos:].split()[0] if text[pos:].split() else text[pos:]
            raise StatsSyntaxError(fill(t.STATS_BAD_WORD, word=mrkdwn(word[:60])))
        key = KEYS.get(m.group(2).casefold())
        if key is None:
            raise StatsSyntaxError(
                fill(t.STATS_BAD_KEY, key=mrkdwn(m.group(2)[:40].replace("`", "'")))
            )
        value = next(g for g in m.groups()[2:] if g is not None)
        values[key] = " ".join(value.split())[:200]
        pos = m.end()
    since = None
    if "since" in values:
        try:
            since = date.fromisoformat(values["since"])
        except ValueError:
            raise StatsSyntaxError(ours(t.STATS_BAD_DATE)) from None
    return StatsFilter(
        faction=values.get("faction") or None,
        department=values.get("department") or None,
        since=since,
    )


def _num(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return str(int(value))


def _share(g: GroupStats) -> str:
    share = g.within_share
    return "–" if share is None else f"{round(share * 100)} %"


def _row(name: str, cells: Sequence[str]) -> str:
    if len(name) > NAME_WIDTH:
        name = name[: NAME_WIDTH - 1] + "…"
    return name.ljust(NAME_WIDTH) + "".join(c.rjust(8) for c in cells)


def table(label: str, groups: Sequence[GroupStats], deadlines: bool) -> list[Mrkdwn]:
    """Code-block sections: a header row and one row per group (at most MAX_ROWS)."""
    rows = [_row(label, t.STATS_HEAD)]
    for g in groups[:MAX_ROWS]:
        cells = [
            str(g.anfragen),
            str(g.answered),
            _num(g.median_days),
            _num(g.p90_days),
            _share(g) if deadlines else "–",
            str(g.open),
            str(g.overdue) if deadlines else "–",
        ]
        rows.append(_row(g.name or texts.UNKNOWN, cells))
    escaped = [mrkdwn(r) for r in rows]
    sections: list[Mrkdwn] = []
    chunk: list[Mrkdwn] = []
    for line in escaped:
        if chunk and sum(len(c) + 1 for c in chunk) + len(line) + 8 > MAX_SECTION:
            sections.append(Mrkdwn("```" + "\n".join(chunk) + "```"))
            chunk = [escaped[0]]
        chunk.append(line)
    sections.append(Mrkdwn("```" + "\n".join(chunk) + "```"))
    if len(groups) > MAX_ROWS:
        sections.append(fill(t.STATS_MORE, n=len(groups) - MAX_ROWS))
    return sections


def statistics_message(
    stats: Statistics, where: StatsFilter, *, deadlines: bool
) -> tuple[Mrkdwn, list[Block]]:
    if not stats.total:
        message = ours(t.STATS_NONE)
        return message, [section(message)]
    title: PlainText = (
        PlainText(t.STATS_TITLE_ONE)
        if stats.total == 1
        else fill_plain(t.STATS_TITLE, n=stats.total)
    )
    blocks: list[Block] = [header(title)]
    filters = [
        fill("fraktion: {v}", v=mrkdwn(where.faction)) if where.faction else None,
        fill("amt: {v}", v=mrkdwn(where.department)) if where.department else None,
        ours(f"seit: {where.since:%d.%m.%Y}") if where.since else None,
    ]
    shown = [f for f in filters if f]
    if shown:
        blocks.append(context(fill(t.STATS_FILTER, filters=join(" · ", shown))))
    blocks.append(section(bold(ours(t.STATS_BY_FACTION))))
    blocks += [section(s) for s in table("Fraktion", stats.factions, deadlines)]
    blocks.append(section(bold(ours(t.STATS_BY_DEPARTMENT))))
    blocks += [section(s) for s in table("Amt", stats.departments, deadlines)]
    legend = ours(t.STATS_LEGEND)
    if not deadlines:
        legend = join("\n", [legend, ours(t.STATS_NO_DEADLINES)])
    blocks.append(context(legend))
    return Mrkdwn(mrkdwn(title)), blocks
