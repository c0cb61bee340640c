"""`/anfrage …`: text in, `Reply` out. Used by the Bolt app and by `anfragebot lookup`.

Commands read the store; only `abo` and `abo-ende` write (subscriptions), in the caller's
transaction. No clock, no network: `now` and the time zone are passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain import AnfrageView
from bot.slack import command_texts as t
from bot.slack import personal_texts as pt
from bot.slack import texts
from bot.slack.blocks import (
    MAX_BLOCKS,
    MAX_TEXT,
    Block,
    clip,
    context,
    escape,
    fmt_date,
    fmt_session,
    header,
    link,
    pack,
    plain,
    question_lines,
    section,
    summary_blocks,
)
from bot.slack.parse import (
    AboSyntaxError,
    Command,
    format_conditions,
    parse_command,
    parse_conditions,
    parse_subscription_id,
)
from bot.store.calendar_tokens import token_for
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
from bot.store.subscriptions import add_subscription, list_subscriptions, remove_subscription
from bot.store.views import load_anfrage

SHARE_ACTION = "anfrage_share"
# Longer lists of questions are collapsed to the first few, with a link to the document.
COLLAPSE_AFTER = 6
SHOWN_WHEN_COLLAPSED = 5
SEARCH_LIMIT = 10
OPEN_SHOWN = 40
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")


@dataclass(frozen=True)
class Reply:
    text: str
    blocks: list[Block] = field(default_factory=list)
    ephemeral: bool = True


@dataclass(frozen=True)
class Context:
    channel: str | None
    user: str | None
    now: datetime
    tz: ZoneInfo
    default_channel: str | None = None
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
    public_url: str | None = None,
) -> Reply:
    """The reply to `/anfrage <text>` in `channel` by `user`."""
    ctx = Context(channel or None, user or None, now, tz, default_channel, public_url)
    command = parse_command(text)
    handler = _HANDLERS.get(command.verb, _help)
    return _finish(handler(session, command, ctx))


def share(session: Session, paper_id: str, user: str | None, now: datetime, tz: ZoneInfo) -> Reply:
    """The "Im Kanal teilen" button: the same detail, for everyone, without the button."""
    view = load_anfrage(session, paper_id)
    if view is None:
        return Reply(t.SHARE_GONE, [section(t.SHARE_GONE)])
    fallback, blocks = detail(view, now, tz, share_button=False, shared_by=user)
    return _finish(Reply(fallback, blocks, ephemeral=False))


# -- one function per verb ------------------------------------------------------------------


def _help(session: Session, command: Command, ctx: Context) -> Reply:
    blocks: list[Block] = []
    if command.unknown:
        shown = escape(command.arg.replace("`", "'"))[:100]
        blocks.append(section(t.HELP_UNKNOWN.format(text=shown)))
    blocks.append(header(t.HELP_TITLE))
    blocks.append(section(t.HELP))
    return Reply(t.HELP_FALLBACK, blocks)


def _lookup(session: Session, command: Command, ctx: Context) -> Reply:
    found = find_reference(session, command.arg)
    shown = escape(found.query or command.arg)[:100]
    if len(found.paper_ids) == 1:
        view = load_anfrage(session, found.paper_ids[0])
        if view is not None:
            fallback, blocks = detail(view, ctx.now, ctx.tz, share_button=True)
            return Reply(fallback, blocks)
    if found.paper_ids:
        lines = [t.MANY_FOUND.format(query=shown)]
        lines += [_brief_line(b) for b in briefs(session, list(found.paper_ids))]
        return Reply(clip(lines[0], MAX_TEXT), [section(c) for c in pack(lines)])
    lines = [t.NOT_FOUND.format(query=shown)]
    if found.suggestions:
        lines.append(t.NOT_FOUND_SIMILAR)
        lines += [_brief_line(b) for b in found.suggestions]
    lines.append(t.NOT_FOUND_HINT.format(query=shown.replace("`", "'")))
    return Reply(t.NOT_FOUND.format(query=shown), [section(c) for c in pack(lines)])


def _search(session: Session, command: Command, ctx: Context) -> Reply:
    query = command.arg.strip()
    if not query:
        return Reply(t.SEARCH_EMPTY, [section(t.SEARCH_EMPTY)])
    shown = escape(query)[:100]
    hits = briefs(session, search(session, query, limit=SEARCH_LIMIT))
    if not hits:
        message = t.SEARCH_NONE.format(query=shown)
        return Reply(message, [section(message)])
    title = (
        t.SEARCH_TITLE_ONE.format(query=shown)
        if len(hits) == 1
        else t.SEARCH_TITLE.format(query=shown, n=len(hits))
    )
    lines = [f"*{title}*"] + [_brief_line(b) for b in hits]
    return Reply(title, [section(c) for c in pack(lines)])


def _sessions(session: Session, command: Command, ctx: Context) -> Reply:
    committee = command.arg.strip() or None
    found = upcoming_sessions(session, ctx.now, committee)
    shown = escape(committee)[:100] if committee else ""
    if not found:
        message = t.SESSIONS_NONE_FOR.format(committee=shown) if committee else t.SESSIONS_NONE
        return Reply(message, [section(message)])
    title = (
        t.SESSIONS_TITLE_FOR.format(committee=plain(committee)) if committee else t.SESSIONS_TITLE
    )
    blocks: list[Block] = [header(title)]
    for s in found:
        local = s.start.astimezone(ctx.tz)
        when = f"{WEEKDAYS[local.weekday()]} {local:%d.%m.%Y}"
        if local.hour or local.minute:
            when += f" {local:%H:%M} Uhr"
        label = s.committee or s.name or texts.UNKNOWN
        lines = [t.SESSION_LINE.format(when=when, committee=link(s.web, label))]
        for paper, top in s.anfragen:
            suffix = f" ({texts.SESSION_TOP.format(top=escape(top))})" if top else ""
            lines.append(f"• {_brief_line(paper)}{suffix}")
        if not s.anfragen:
            lines.append(t.SESSIONS_NO_ANFRAGEN)
        blocks.extend(section(c) for c in pack(lines))
    return Reply(title, blocks)


def _open(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return Reply(t.OPEN_NONE, [section(t.OPEN_NONE)])
    items, total = open_anfragen(session, ctx.channel, tz=ctx.tz, limit=OPEN_SHOWN)
    if not items:
        return Reply(t.OPEN_NONE, [section(t.OPEN_NONE)])
    title = t.OPEN_TITLE_ONE if total == 1 else t.OPEN_TITLE.format(n=total)
    today = ctx.now.astimezone(ctx.tz).date()
    lines = [f"*{title}*"]
    for item in items:
        lines.append(
            t.OPEN_LINE.format(
                ref=escape(item.paper.reference) or texts.UNKNOWN,
                days=_age(today, item.since),
                subject=link(item.paper.web, clip(item.paper.subject or texts.UNKNOWN, 200)),
            )
        )
    if total > len(items):
        lines.append(t.OPEN_MORE.format(n=total - len(items)))
    return Reply(title, [section(c) for c in pack(lines)])


def _subscribe(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return Reply(t.ABO_NO_CHANNEL, [section(t.ABO_NO_CHANNEL)])
    try:
        conditions = parse_conditions(command.arg)
    except AboSyntaxError as e:
        return Reply(str(e), [section(str(e))])
    sub_id = add_subscription(session, ctx.channel, conditions, created_by=ctx.user, now=ctx.now)
    message = (
        t.ABO_CREATED.format(id=sub_id, conditions=f"`{_conditions_text(conditions)}`")
        if conditions
        else t.ABO_CREATED_ALL.format(id=sub_id)
    )
    return Reply(message, [section(message)])


def _subscriptions(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return Reply(t.ABO_NO_CHANNEL, [section(t.ABO_NO_CHANNEL)])
    subs = list_subscriptions(session, ctx.channel)
    default = ctx.default_channel == ctx.channel
    if not subs:
        lines = [t.ABO_NONE] + ([t.ABO_DEFAULT] if default else [])
        return Reply(t.ABO_NONE, [section("\n".join(lines))])
    lines = [f"*{t.ABO_TITLE}*"]
    for s in subs:
        conditions = f"`{_conditions_text(list(s.conditions))}`" if s.conditions else t.ABO_ALL
        by = f"<@{escape(s.created_by)}>" if s.created_by else texts.UNKNOWN
        day = s.created_at.astimezone(ctx.tz).date()
        lines.append(t.ABO_LINE.format(id=s.id, conditions=conditions, by=by, date=fmt_date(day)))
    if default:
        lines.append(t.ABO_DEFAULT)
    return Reply(t.ABO_TITLE, [section(c) for c in pack(lines)])


def _unsubscribe(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return Reply(t.ABO_NO_CHANNEL, [section(t.ABO_NO_CHANNEL)])
    sub_id = parse_subscription_id(command.arg)
    if sub_id is None:
        return Reply(t.ABO_BAD_ID, [section(t.ABO_BAD_ID)])
    if not remove_subscription(session, ctx.channel, sub_id):
        message = t.ABO_NOT_FOUND.format(id=sub_id)
        return Reply(message, [section(message)])
    message = t.ABO_REMOVED.format(id=sub_id)
    return Reply(message, [section(message)])


# -- issue 14: follow one Anfrage, calendar subscription ----------------------------------------


def _one_paper(session: Session, command: Command) -> tuple[str | None, Reply | None]:
    """The single paper a `folgen`/`entfolgen` argument names, or the reply saying why not."""
    found = find_reference(session, command.arg)
    shown = escape(found.query or command.arg)[:100]
    if not found.paper_ids:
        message = pt.FOLLOW_NOT_FOUND.format(query=shown)
        return None, Reply(message, [section(message)])
    if len(found.paper_ids) > 1:
        message = pt.FOLLOW_AMBIGUOUS.format(query=shown)
        return None, Reply(message, [section(message)])
    return found.paper_ids[0], None


def _ref_of(session: Session, paper_id: str) -> str:
    brief = briefs(session, [paper_id])
    return (brief[0].reference if brief else None) or texts.UNKNOWN


def _follow(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.user or ctx.user == "cli":
        return Reply(pt.FOLLOW_NO_USER, [section(pt.FOLLOW_NO_USER)])
    if not command.arg.strip():
        return Reply(pt.FOLLOW_USAGE, [section(pt.FOLLOW_USAGE)])
    paper_id, problem = _one_paper(session, command)
    if paper_id is None:
        return problem or Reply(pt.FOLLOW_USAGE)
    ref = _ref_of(session, paper_id)
    shown = f"*{escape(ref)}*"
    if is_following(session, ctx.user, paper_id):
        message = pt.FOLLOW_ALREADY.format(ref=shown)
    elif count_follows(session, ctx.user) >= MAX_FOLLOWS_PER_USER:
        message = pt.FOLLOW_TOO_MANY.format(n=MAX_FOLLOWS_PER_USER)
    else:
        add_follow(session, ctx.user, paper_id, now=ctx.now)
        message = pt.FOLLOW_DONE.format(ref=shown, plain_ref=escape(ref).replace("`", "'"))
    return Reply(message, [section(message)])


def _unfollow(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.user or ctx.user == "cli":
        return Reply(pt.FOLLOW_NO_USER, [section(pt.FOLLOW_NO_USER)])
    if not command.arg.strip():
        return Reply(pt.UNFOLLOW_USAGE, [section(pt.UNFOLLOW_USAGE)])
    paper_id, problem = _one_paper(session, command)
    if paper_id is None:
        return problem or Reply(pt.UNFOLLOW_USAGE)
    shown = f"*{escape(_ref_of(session, paper_id))}*"
    if remove_follow(session, ctx.user, paper_id):
        message = pt.UNFOLLOW_DONE.format(ref=shown)
    else:
        message = pt.UNFOLLOW_NOT.format(ref=shown)
    return Reply(message, [section(message)])


def followed_line(f: Followed) -> str:
    """One followed Anfrage (also used by the App Home)."""
    if f.deleted:
        status = pt.FOLLOW_DELETED
    elif f.answered_on:
        status = pt.FOLLOW_ANSWERED.format(date=fmt_date(f.answered_on))
    else:
        status = pt.FOLLOW_OPEN
    return pt.FOLLOWED_LINE.format(
        ref=escape(f.reference) or texts.UNKNOWN,
        subject=link(f.web, clip(f.subject or texts.UNKNOWN, 200)),
        status=status,
    )


def _followed(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.user or ctx.user == "cli":
        return Reply(pt.FOLLOW_NO_USER, [section(pt.FOLLOW_NO_USER)])
    follows = followed_by(session, ctx.user)
    if not follows:
        return Reply(pt.FOLLOWED_NONE, [section(pt.FOLLOWED_NONE)])
    title = pt.FOLLOWED_TITLE.format(n=len(follows))
    lines = [f"*{title}*"] + [followed_line(f) for f in follows]
    return Reply(title, [section(c) for c in pack(lines)])


def _calendar(session: Session, command: Command, ctx: Context) -> Reply:
    if not ctx.channel:
        return Reply(pt.CALENDAR_NO_CHANNEL, [section(pt.CALENDAR_NO_CHANNEL)])
    if not ctx.public_url:
        return Reply(pt.CALENDAR_NO_URL, [section(pt.CALENDAR_NO_URL)])
    committee = command.arg.strip()[:200] or None
    token = token_for(session, ctx.channel, committee, user=ctx.user, now=ctx.now)
    url = f"{ctx.public_url.rstrip('/')}/calendar/{token}.ics"
    what = (
        pt.CALENDAR_WHAT_COMMITTEE.format(committee=escape(committee))
        if committee
        else pt.CALENDAR_WHAT_CHANNEL
    )
    message = pt.CALENDAR_URL.format(what=what, url=link(url, url))
    return Reply(message, [section(message)])


_HANDLERS: dict[str, Callable[[Session, Command, Context], Reply]] = {
    "help": _help,
    "lookup": _lookup,
    "search": _search,
    "sessions": _sessions,
    "open": _open,
    "subscribe": _subscribe,
    "subscriptions": _subscriptions,
    "unsubscribe": _unsubscribe,
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
    ref = plain(view.reference)
    header = t.DETAIL_HEADER.format(ref=ref) if ref else t.DETAIL_HEADER_NOREF
    blocks = summary_blocks(view, header, now=now, tz=tz)
    if view.questions:
        collapsed = len(view.questions) > COLLAPSE_AFTER
        shown = SHOWN_WHEN_COLLAPSED if collapsed else len(view.questions)
        lines = [f"*{texts.LABEL_QUESTIONS}*"] + question_lines(view, limit=shown)
        hidden = len(view.questions) - shown
        if hidden > 0:
            url = view.document_url if (view.document_url or "").startswith("http") else None
            lines.append(
                t.MORE_QUESTIONS_LINK.format(n=hidden, url=escape(url).replace("|", "%7C"))
                if url
                else t.MORE_QUESTIONS.format(n=hidden)
            )
        blocks.extend(section(c) for c in pack(lines)[:6])
    elif view.document_note:
        blocks.append(context(view.document_note))
    if view.sessions:
        lines = [f"*{texts.LABEL_CONSULTATION}*"] + [fmt_session(s, tz) for s in view.sessions[:10]]
        blocks.extend(section(c) for c in pack(lines)[:3])
    links = [(view.web, texts.LINK_RIS), (view.document_url, texts.LINK_DOCUMENT)]
    if view.answer_url:
        links.append((view.answer_url, "Antwort"))
    shown_links = [link(url, label) for url, label in links if url]
    if shown_links:
        blocks.append(context(" · ".join(shown_links)))
    if shared_by:
        blocks.append(context(t.SHARED_BY.format(user=escape(shared_by))))
    if share_button:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": SHARE_ACTION,
                        "text": {"type": "plain_text", "text": t.SHARE_BUTTON},
                        "value": view.paper_id[:2000],
                    }
                ],
            }
        )
    fallback = t.DETAIL_FALLBACK.format(
        ref=escape(ref) or texts.UNKNOWN, subject=escape(view.subject) or texts.UNKNOWN
    )
    return clip(fallback, MAX_TEXT), blocks


def _brief_line(b: PaperBrief) -> str:
    ref = escape(b.reference) or texts.UNKNOWN
    meta = " · ".join(x for x in (fmt_date(b.date) if b.date else "", escape(b.paper_type)) if x)
    subject = link(b.web, clip(b.subject or texts.UNKNOWN, 200))
    return f"*{ref}* · {meta + ' · ' if meta else ''}{subject}"


def _age(today: date, since: date) -> str:
    days = (today - since).days
    if days <= 0:
        return t.DAYS_ZERO
    return t.DAYS_ONE if days == 1 else t.DAYS.format(n=days)


def _conditions_text(conditions: list[dict[str, object]]) -> str:
    return escape(format_conditions(conditions)).replace("`", "'")


def _finish(reply: Reply) -> Reply:
    """Slack's limits, whatever a handler produced: 50 blocks, a non-empty fallback text."""
    blocks = reply.blocks[:MAX_BLOCKS]
    text = clip(reply.text or t.HELP_FALLBACK, MAX_TEXT)
    return Reply(text, blocks, reply.ephemeral)
