"""`/anfrage …`: text in, `Reply` out. Used by the Bolt app and by `anfragebot lookup`.

Commands read the store; only `abo` and `abo-ende` write (subscriptions), in the caller's
transaction. No clock, no network: `now` and the time zone are passed in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.deadlines import answer_due, overdue_days
from bot.domain import AnfrageView
from bot.faction import NOBODY, Perspective, decorate, is_ours, split_factions
from bot.slack import command_texts as t
from bot.slack import personal_texts as pt
from bot.slack import texts
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_TEXT,
    Block,
    answer_blocks_of,
    button,
    context,
    fmt_date,
    fmt_session,
    header,
    or_unknown,
    overdue_text,
    owner_of,
    pack,
    question_lines,
    section,
    summary_blocks,
    title_for,
)
from bot.slack.escape import (
    Mrkdwn,
    PlainText,
    bold,
    clip,
    fill,
    fill_plain,
    join,
    link,
    mrkdwn,
    ours,
    plain_text,
    safe_url,
    user_mention,
)
from bot.slack.parse import (
    AboSyntaxError,
    Command,
    format_conditions,
    parse_command,
    parse_conditions,
    parse_subscription_id,
)
from bot.slack.statistics import StatsSyntaxError, parse_statistics, statistics_message
from bot.store.calendar_tokens import ALL_SESSIONS, token_for
from bot.store.follows import (
    MAX_FOLLOWS_PER_USER,
    Followed,
    add_follow,
    count_follows,
    followed_by,
    is_following,
    remove_follow,
)
from bot.store.lookup import (
    PaperBrief,
    briefs,
    find_reference,
    open_anfragen,
    upcoming_sessions,
)
from bot.store.search import search
from bot.store.statistics import statistics
from bot.store.subscriptions import add_subscription, list_subscriptions, remove_subscription
from bot.store.views import load_anfrage

SHARE_ACTION = "anfrage_share"
# Longer lists of questions are collapsed to the first few, with a link to the document.
COLLAPSE_AFTER = 6
SHOWN_WHEN_COLLAPSED = 5
SEARCH_LIMIT = 10
OPEN_SHOWN = 40
# `offen` sorts by deadline, so it reads every open Anfrage of the channel (a few thousand at
# most), not only the first page.
OPEN_SCAN = 100_000
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


@dataclass(frozen=True)
class Reply:
    text: Mrkdwn
    blocks: list[Block] = field(default_factory=list)
    ephemeral: bool = True


@dataclass(frozen=True)
class Context:
    channel: str | None
    user: str | None
    now: datetime
    tz: ZoneInfo
    default_channel: str | None = None
    perspective: Perspective = NOBODY
    public_url: str | None = None  # `[http] public_url`, the base of calendar URLs


def answer(
    session: Session,
    text: str | None,
    channel: str | None,
    user: str | None,
    now: datetime,
    tz: ZoneInfo,
    *,
    default_channel: str | None = None,
    perspective: Perspective = NOBODY,
    public_url: str | None = None,
) -> Reply:
    """The reply to `/anfrage <text>` in `channel` by `user`."""
    ctx = Context(
        channel or None,
        user or None,
        now,
        tz,
        default_channel,
        perspective=perspective,
        public_url=public_url,
    )
    command = parse_command(text)
    handler = _HANDLERS.get(command.verb, _help)
    return _finish(handler(session, command, ctx))


def share(
    session: Session,
    paper_id: str,
    user: str | None,
    now: datetime,
    tz: ZoneInfo,
    *,
    perspective: Perspective = NOBODY,
) -> Reply:
    """The "Im Kanal teilen" button: the same detail, for everyone, without the button."""
    view = load_anfrage(session, paper_id)
    if view is None:
        return _say(ours(t.SHARE_GONE))
    view = decorate(view, perspective)
    fallback, blocks = detail(view, now, tz, share_button=False, shared_by=user)
    return _finish(Reply(Mrkdwn(fallback), blocks, ephemeral=False))


# -- one function per verb ------------------------------------------------------------------


def _help(session: Session, command: Command, ctx: Context) -> Reply:
    blocks: list[Block] = []
    if command.unknown:
        blocks.append(section(fill(t.HELP_UNKNOWN, text=_shown(command.arg))))
    blocks.append(header(PlainText(t.HELP_TITLE)))
    blocks.append(section(ours(t.HELP)))
    return Reply(ours(t.HELP_FALLBACK), blocks)


def _lookup(session: Session, command: Command, ctx: Context) -> Reply:
    found = find_reference(session, command.arg)
    shown = _shown(found.query or command.arg)
    if len(found.paper_ids) == 1:
        view = load_anfrage(session, found.paper_ids[0])
        if view is not None:
            view = decorate(view, ctx.perspective)
            fallback, blocks = detail(view, ctx.now, ctx.tz, share_button=True)
            return Reply(Mrkdwn(fallback), blocks)
    if found.paper_ids:
        lines = [fill(t.MANY_FOUND, query=shown)]
        lines += [_brief_line(b, ctx) for b in briefs(session, list(found.paper_ids))]
        return Reply(clip(lines[0], MAX_TEXT), [section(c) for c in pack(lines)])
    lines = [fill(t.NOT_FOUND, query=shown)]
    if found.suggestions:
        lines.append(ours(t.NOT_FOUND_SIMILAR))
        lines += [_brief_line(b, ctx) for b in found.suggestions]
    lines.append(fill(t.NOT_FOUND_HINT, query=shown))
    return Reply(fill(t.NOT_FOUND, query=shown), [section(c) for c in pack(lines)])


def _search(session: Session, command: Command, ctx: Context) -> Reply:
    query = command.arg.strip()
    if not query:
        return _say(ours(t.SEARCH_EMPTY))
    shown = _shown(query, code=False)
    hits = briefs(session, search(session, query, limit=SEARCH_LIMIT))
    if not hits:
        return _say(fill(t.SEARCH_NONE, query=shown))
    title = (
        fill(t.SEARCH_TITLE_ONE, query=shown)
        if len(hits) == 1
        else fill(t.SEARCH_TITLE, query=shown, n=len(hits))
    )
    lines = [bold(title), *(_brief_line(b, ctx) for b in hits)]
    return Reply(title, [section(c) for c in pack(lines)])


def _sessions(session: Session, command: Command, ctx: Context) -> Reply:
    committee = command.arg.strip() or None
    only_ours = bool(committee and committee.casefold() == t.OURS_WORD)
    if only_ours:
        if not ctx.perspective.configured:
            return _say(ours(t.NO_FACTION))
        committee = None
        found = [
            dataclasses.replace(s, anfragen=mine)
            for s in upcoming_sessions(session, ctx.now, None, limit=200)
            if (mine := tuple(a for a in s.anfragen if _is_ours(a[0], ctx)))
        ][:10]
        if not found:
            return _say(ours(t.SESSIONS_NONE_OURS))
    else:
        found = upcoming_sessions(session, ctx.now, committee)
    if not found:
        return _say(
            fill(t.SESSIONS_NONE_FOR, committee=_shown(committee, code=False))
            if committee
            else ours(t.SESSIONS_NONE)
        )
    title = (
        fill_plain(t.SESSIONS_TITLE_FOR, committee=plain_text(committee))
        if committee
        else PlainText(t.SESSIONS_TITLE_OURS if only_ours else t.SESSIONS_TITLE)
    )
    blocks: list[Block] = [header(title)]
    for s in found:
        local = s.start.astimezone(ctx.tz)
        when = f"{WEEKDAYS[local.weekday()]} {local:%d.%m.%Y}"
        if local.hour or local.minute:
            when += f" {local:%H:%M} Uhr"
        label = or_unknown(mrkdwn(s.committee or s.name))
        lines = [fill(t.SESSION_LINE, when=ours(when), committee=link(s.web, label))]
        for paper, top in s.anfragen:
            suffix = (
                fill(" ({top})", top=fill(texts.SESSION_TOP, top=mrkdwn(top))) if top else ours("")
            )
            lines.append(fill("• {line}{suffix}", line=_brief_line(paper, ctx), suffix=suffix))
        if not s.anfragen:
            lines.append(ours(t.SESSIONS_NO_ANFRAGEN))
        blocks.extend(section(c) for c in pack(lines))
    return Reply(mrkdwn(title), blocks)


def _open(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return _say(ours(t.OPEN_NONE))
    only_ours = command.arg.strip().casefold() == t.OURS_WORD
    if only_ours and not ctx.perspective.configured:
        return _say(ours(t.NO_FACTION))
    everything, _ = open_anfragen(session, ctx.channel, tz=ctx.tz, limit=OPEN_SCAN)
    if only_ours:
        everything = [o for o in everything if _is_ours(o.paper, ctx)]
    if not everything:
        return _say(ours(t.OPEN_NONE_OURS if only_ours else t.OPEN_NONE))
    deadlines = ctx.perspective.deadlines
    dues = {
        o.paper.paper_id: answer_due(o.paper.date, o.paper.paper_type, deadlines)
        for o in everything
    }
    # Most urgent first: the earliest deadline (the longest overdue) on top, then the oldest.
    everything.sort(key=lambda o: (dues[o.paper.paper_id] or date.max, o.since, o.paper.paper_id))
    total = len(everything)
    items = everything[:OPEN_SHOWN]
    urgent = any(dues.values())
    title = (
        ours(t.OPEN_TITLE_ONE)
        if total == 1
        else fill(t.OPEN_TITLE_URGENT if urgent else t.OPEN_TITLE, n=total)
    )
    today = ctx.now.astimezone(ctx.tz).date()
    lines = [bold(title)]
    for item in items:
        subject = Mrkdwn(
            _owner(item.paper, ctx)
            + link(item.paper.web, clip(or_unknown(mrkdwn(item.paper.subject)), 200))
        )
        due = dues[item.paper.paper_id]
        common = {
            "ref": or_unknown(mrkdwn(item.paper.reference)),
            "days": ours(_age(today, item.since)),
            "subject": subject,
        }
        if due is None:
            lines.append(fill(t.OPEN_LINE, **common))
            continue
        late = overdue_days(due, today)
        due_text = fill(texts.DUE, date=fmt_date(due))
        if late:
            due_text = fill("{due} · {late}", due=due_text, late=overdue_text(late))
        lines.append(fill(t.OPEN_LINE_DUE, due=due_text, **common))
    if total > len(items):
        lines.append(fill(t.OPEN_MORE, n=total - len(items)))
    return Reply(title, [section(c) for c in pack(lines)])


def _subscribe(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return _say(ours(t.ABO_NO_CHANNEL))
    try:
        conditions = parse_conditions(command.arg)
    except AboSyntaxError as e:
        # bot/slack/parse.py builds these messages with the user's words passed through
        # `escape` (the same `mrkdwn` as here).
        return _say(ours(str(e)))
    sub_id = add_subscription(session, ctx.channel, conditions, created_by=ctx.user, now=ctx.now)
    return _say(
        fill(t.ABO_CREATED, id=sub_id, conditions=_conditions_text(conditions))
        if conditions
        else fill(t.ABO_CREATED_ALL, id=sub_id)
    )


def _subscriptions(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return _say(ours(t.ABO_NO_CHANNEL))
    subs = list_subscriptions(session, ctx.channel)
    default = ctx.default_channel == ctx.channel
    if not subs:
        lines = [ours(t.ABO_NONE)] + ([ours(t.ABO_DEFAULT)] if default else [])
        return Reply(ours(t.ABO_NONE), [section(join("\n", lines))])
    lines = [bold(ours(t.ABO_TITLE))]
    for s in subs:
        conditions = _conditions_text(list(s.conditions)) if s.conditions else ours(t.ABO_ALL)
        by = user_mention(s.created_by) if s.created_by else ours(texts.UNKNOWN)
        day = s.created_at.astimezone(ctx.tz).date()
        lines.append(fill(t.ABO_LINE, id=s.id, conditions=conditions, by=by, date=fmt_date(day)))
    if default:
        lines.append(ours(t.ABO_DEFAULT))
    return Reply(ours(t.ABO_TITLE), [section(c) for c in pack(lines)])


def _unsubscribe(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return _say(ours(t.ABO_NO_CHANNEL))
    sub_id = parse_subscription_id(command.arg)
    if sub_id is None:
        return _say(ours(t.ABO_BAD_ID))
    if not remove_subscription(session, ctx.channel, sub_id):
        return _say(fill(t.ABO_NOT_FOUND, id=sub_id))
    return _say(fill(t.ABO_REMOVED, id=sub_id))


def _statistics(session: Session, command: Command, ctx: Context) -> Reply:
    try:
        where = parse_statistics(command.arg)
    except StatsSyntaxError as e:
        return _say(Mrkdwn(str(e)))
    deadlines = ctx.perspective.deadlines
    stats = statistics(
        session, today=ctx.now.astimezone(ctx.tz).date(), deadlines=deadlines, where=where
    )
    configured = bool(deadlines.answer_days or any(d for _, d in deadlines.paper_types))
    text, blocks = statistics_message(stats, where, deadlines=configured)
    return Reply(text, blocks)
# -- issue 14: follow one Anfrage, calendar subscription ----------------------------------------


def _one_paper(session: Session, command: Command) -> tuple[str | None, Reply | None]:
    """The single paper a `folgen`/`entfolgen` argument names, or the reply saying why not."""
    found = find_reference(session, command.arg)
    shown = mrkdwn((found.query or command.arg)[:100])
    if not found.paper_ids:
        return None, _say(fill(pt.FOLLOW_NOT_FOUND, query=shown))
    if len(found.paper_ids) > 1:
        return None, _say(fill(pt.FOLLOW_AMBIGUOUS, query=shown))
    return found.paper_ids[0], None


def _ref_of(session: Session, paper_id: str) -> str:
    brief = briefs(session, [paper_id])
    return (brief[0].reference if brief else None) or texts.UNKNOWN


def _follow(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.user or ctx.user == "cli":
        return _say(ours(pt.FOLLOW_NO_USER))
    if not command.arg.strip():
        return _say(ours(pt.FOLLOW_USAGE))
    paper_id, problem = _one_paper(session, command)
    if paper_id is None:
        return problem or _say(ours(pt.FOLLOW_USAGE))
    ref = _ref_of(session, paper_id)
    if is_following(session, ctx.user, paper_id):
        return _say(fill(pt.FOLLOW_ALREADY, ref=bold(mrkdwn(ref))))
    if count_follows(session, ctx.user) >= MAX_FOLLOWS_PER_USER:
        return _say(fill(pt.FOLLOW_TOO_MANY, n=MAX_FOLLOWS_PER_USER))
    add_follow(session, ctx.user, paper_id, now=ctx.now)
    return _say(fill(pt.FOLLOW_DONE, ref=bold(mrkdwn(ref)), plain_ref=mrkdwn(ref)))


def _unfollow(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.user or ctx.user == "cli":
        return _say(ours(pt.FOLLOW_NO_USER))
    if not command.arg.strip():
        return _say(ours(pt.UNFOLLOW_USAGE))
    paper_id, problem = _one_paper(session, command)
    if paper_id is None:
        return problem or _say(ours(pt.UNFOLLOW_USAGE))
    shown = bold(mrkdwn(_ref_of(session, paper_id)))
    if remove_follow(session, ctx.user, paper_id):
        return _say(fill(pt.UNFOLLOW_DONE, ref=shown))
    return _say(fill(pt.UNFOLLOW_NOT, ref=shown))


def followed_line(f: Followed) -> Mrkdwn:
    """One followed Anfrage (also used by the App Home)."""
    if f.deleted:
        status = ours(pt.FOLLOW_DELETED)
    elif f.answered_on:
        status = fill(pt.FOLLOW_ANSWERED, date=fmt_date(f.answered_on))
    else:
        status = ours(pt.FOLLOW_OPEN)
    return fill(
        pt.FOLLOWED_LINE,
        ref=or_unknown(mrkdwn(f.reference)),
        subject=link(f.web, clip(or_unknown(mrkdwn(f.subject)), 200)),
        status=status,
    )


def _followed(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.user or ctx.user == "cli":
        return _say(ours(pt.FOLLOW_NO_USER))
    follows = followed_by(session, ctx.user)
    if not follows:
        return _say(ours(pt.FOLLOWED_NONE))
    title = fill(pt.FOLLOWED_TITLE, n=len(follows))
    lines = [bold(title)] + [followed_line(f) for f in follows]
    return Reply(title, [section(c) for c in pack(lines)])


def _calendar(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return _say(ours(pt.CALENDAR_NO_CHANNEL))
    if not ctx.public_url:
        return _say(ours(pt.CALENDAR_NO_URL))
    committee = command.arg.strip()[:200] or None
    # A direct message (Slack ids "D…") has no abos and no announcements: its calendar would
    # stay empty, so it gets every session (or the named committee's) instead.
    direct = ctx.channel.startswith("D")
    scope = ALL_SESSIONS if direct else ctx.channel
    token = token_for(session, scope, committee, user=ctx.user, now=ctx.now)
    # The base comes from our own configuration (an http(s) URL, checked on load).
    url = f"{ctx.public_url.rstrip('/')}/calendar/{token}.ics"
    if committee:
        what = fill(pt.CALENDAR_WHAT_COMMITTEE, committee=mrkdwn(committee))
    else:
        what = ours(pt.CALENDAR_WHAT_ALL if direct else pt.CALENDAR_WHAT_CHANNEL)
    return _say(fill(pt.CALENDAR_URL, what=what, url=link(url, mrkdwn(url))))


_HANDLERS: dict[str, Callable[[Session, Command, Context], Reply]] = {
    "help": _help,
    "lookup": _lookup,
    "search": _search,
    "sessions": _sessions,
    "open": _open,
    "subscribe": _subscribe,
    "subscriptions": _subscriptions,
    "unsubscribe": _unsubscribe,
    "statistics": _statistics,
    "follow": _follow,
    "unfollow": _unfollow,
    "followed": _followed,
    "calendar": _calendar,
}


# -- formatting ----------------------------------------------------------------------------


def detail(
    view: AnfrageView,
    now: datetime,
    tz: ZoneInfo,
    *,
    share_button: bool,
    shared_by: str | None = None,
) -> tuple[str, list[Block]]:
    """One Drucksache in full: subject, faction, date, questions, Beratungsfolge, status, links."""
    ref = plain_text(view.reference)
    title = title_for(view, ref, t.DETAIL_HEADER, t.DETAIL_HEADER_NOREF)
    blocks = summary_blocks(view, title, now=now, tz=tz, department=True)
    if view.questions:
        collapsed = len(view.questions) > COLLAPSE_AFTER
        shown = SHOWN_WHEN_COLLAPSED if collapsed else len(view.questions)
        lines = [bold(ours(texts.LABEL_QUESTIONS)), *question_lines(view, limit=shown)]
        hidden = len(view.questions) - shown
        if hidden > 0:
            lines.append(
                fill(
                    t.MORE_QUESTIONS_LINK,
                    n=hidden,
                    link=link(view.document_url, ours(t.LINK_READ_MORE)),
                )
                if safe_url(view.document_url)
                else fill(t.MORE_QUESTIONS, n=hidden)
            )
        blocks.extend(section(c) for c in pack(lines)[:6])
    elif view.document_note:
        blocks.append(context(mrkdwn(view.document_note)))
    if view.sessions:
        lines = [bold(ours(texts.LABEL_CONSULTATION))]
        lines += [fmt_session(s, tz) for s in view.sessions[:10]]
        blocks.extend(section(c) for c in pack(lines)[:3])
    blocks.extend(answer_blocks_of(view, room=MAX_BLOCKS - 4 - len(blocks)))
    links = [(view.web, texts.LINK_RIS), (view.document_url, texts.LINK_DOCUMENT)]
    if view.answer_url or view.answer_document_url:
        links.append((view.answer_url or view.answer_document_url, "Antwort"))
    shown_links = [link(url, ours(label)) for url, label in links if url]
    if shown_links:
        blocks.append(context(join(" · ", shown_links)))
    if shared_by:
        blocks.append(context(fill(t.SHARED_BY, user=user_mention(shared_by))))
    if share_button:
        blocks.append(button(PlainText(t.SHARE_BUTTON), SHARE_ACTION, view.paper_id))
    fallback = fill(
        t.DETAIL_FALLBACK,
        ref=or_unknown(mrkdwn(" ".join((view.reference or "").split()))),
        subject=or_unknown(mrkdwn(view.subject)),
    )
    return clip(fallback, MAX_TEXT), blocks


def _is_ours(b: PaperBrief, ctx: Context) -> bool:
    return is_ours(split_factions(b.faction), ctx.perspective.faction)


def _owner(b: PaperBrief, ctx: Context) -> Mrkdwn:
    return owner_of(b.faction, ctx.perspective)


def _brief_line(b: PaperBrief, ctx: Context) -> Mrkdwn:
    ref = or_unknown(mrkdwn(b.reference))
    meta = join(
        " · ", [x for x in (fmt_date(b.date) if b.date else None, mrkdwn(b.paper_type)) if x]
    )
    subject = Mrkdwn(_owner(b, ctx) + link(b.web, clip(or_unknown(mrkdwn(b.subject)), 200)))
    return fill(
        "{ref} · {meta}{subject}",
        ref=bold(ref),
        meta=fill("{meta} · ", meta=meta) if meta else ours(""),
        subject=subject,
    )


def _age(today: date, since: date) -> str:
    days = (today - since).days
    if days <= 0:
        return t.DAYS_ZERO
    return t.DAYS_ONE if days == 1 else t.DAYS.format(n=days)


def _conditions_text(conditions: list[dict[str, object]]) -> Mrkdwn:
    """The conditions as a `code` span: escaped, its own backticks replaced."""
    return fill("`{c}`", c=mrkdwn(format_conditions(conditions).replace("`", "'")))


def _shown(user_text: str, *, code: bool = True) -> Mrkdwn:
    """What the user typed, echoed back: at most 100 characters, escaped (and for a `code` span
    without backticks)."""
    text = user_text[:100]
    return mrkdwn(text.replace("`", "'") if code else text)


def _say(message: Mrkdwn) -> Reply:
    """A one-section reply whose text is the message itself."""
    return Reply(message, [section(message)])


def _finish(reply: Reply) -> Reply:
    """Slack's limits, whatever a handler produced: 50 blocks, a non-empty fallback text."""
    blocks = reply.blocks[:MAX_BLOCKS]
    text = clip(reply.text or ours(t.HELP_FALLBACK), MAX_TEXT)
    return Reply(text, blocks, reply.ephemeral)
