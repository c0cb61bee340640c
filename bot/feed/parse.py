"""Raw OParl JSON (after `quirks`) → domain objects. Pure functions; unknown shapes become None.

ALLRIS placeholders (`"N/A"`, `" "`) are treated as missing where a value is read (`_str`,
`ref_id`, `_flag`, `as_list`) instead of rebuilding every object first: reading is the hot path
of a full sync.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import msgspec

from bot.domain import AgendaItem, Body, Consultation, FileRef, Meeting, Organization, Paper
from bot.errors import FeedError
from bot.feed.quirks import STRIPPED_PLACEHOLDERS, TOO_DEEP, as_list, is_placeholder_value
from bot.timezone import FEED_ZONE

T = TypeVar("T")

Raw = dict[str, Any]


# Ids are URLs stored in indexed columns of this width; a longer one cannot be stored.
MAX_ID = 1000


def _clean(value: str) -> str:
    """PostgreSQL text cannot hold NUL characters; they carry no meaning in council data."""
    return value.replace("\x00", "") if "\x00" in value else value


def object_id(raw: Raw) -> str:
    """The object's own id; one that cannot be stored raises (the object is quarantined)."""
    value = raw["id"]
    if not isinstance(value, str):
        raise TypeError(f"id is {type(value).__name__}, not a string")
    oid = _clean(value).strip()
    if not oid:
        raise ValueError("empty id")
    if len(oid) > MAX_ID:
        raise ValueError(f"id longer than {MAX_ID} characters ({len(oid)})")
    return oid


MIN_YEAR, MAX_YEAR = 1000, 3000


def parse_datetime(value: Any) -> datetime | None:
    """ISO date-time → UTC-aware datetime; a naive value or a bare date is Berlin time."""
    return _parse_datetime_text(value) if isinstance(value, str) else None


# Stamps repeat (a paper's `created` and `modified`, its files', a batch imported at once: the
# Hürtgenwald crawl has 398 distinct values in 4,180), and a datetime is immutable. A value
# that raises is not cached: it raises again, the same way.
@lru_cache(maxsize=4096)
def _parse_datetime_text(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        try:
            d = date.fromisoformat(text[:10])
        except ValueError:
            return None
        dt = datetime(d.year, d.month, d.day)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=FEED_ZONE)
    try:
        moment = dt.astimezone(UTC)
    except (OverflowError, ValueError) as e:
        # "0001-01-01T00:00:00" in Berlin time is before year 1 in UTC.
        raise ValueError(f"date out of range: {text[:40]!r}") from e
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        # Year 1 or 9999 is no council date, and date arithmetic on it overflows later on.
        raise ValueError(f"date out of range: {text[:40]!r}")
    return moment


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def ref_id(value: Any) -> str | None:
    """A reference is a URL string or an embedded object with an `id`."""
    if isinstance(value, str):
        if "\x00" in value:
            value = _clean(value)
        value = value.strip()
        # A reference too long to store is dropped (the object itself is kept).
        return None if value in STRIPPED_PLACEHOLDERS or len(value) > MAX_ID else value
    if isinstance(value, dict):
        inner = value.get("id")
        return ref_id(inner) if isinstance(inner, str) else None
    return None


def ref_ids(value: Any) -> tuple[str, ...]:
    """References of a list field (or of a single value where the spec says list: ALLRIS);
    missing values and placeholders are left out."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple([i for i in map(ref_id, value) if i])
    one = ref_id(value)
    return (one,) if one else ()


def _str(value: Any) -> str | None:
    if value is None:  # the most common case: a field the object does not have
        return None
    if isinstance(value, str):
        if "\x00" in value:
            value = _clean(value)
        value = " ".join(value.split())
        return None if value in STRIPPED_PLACEHOLDERS else value
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # noqa: UP038 - faster
        return str(value)
    return None


def _flag(value: Any) -> bool:
    """`true` only for a real boolean true (an ALLRIS `"N/A"` must not mean deleted)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_file(raw: Any) -> FileRef | None:
    if isinstance(raw, str):
        fid = ref_id(raw)
        return FileRef(id=fid) if fid else None
    if not isinstance(raw, dict):
        return None
    get = raw.get
    inner = get("id")
    fid = ref_id(inner) if isinstance(inner, str) else None
    if not fid:
        return None
    text = get("text")
    if isinstance(text, str):
        text = _clean(text)
        if is_placeholder_value(text):
            text = None
    else:
        text = None
    size = get("size")
    return FileRef(
        id=fid,
        name=_str(get("name")) or _str(get("fileName")),
        mime_type=_str(get("mimeType")),
        access_url=_str(get("accessUrl")),
        download_url=_str(get("downloadUrl")),
        text=text,
        size=None if size is None else _int(size),
        checksum=_str(get("sha512Checksum")) or _str(get("sha1Checksum")),
        modified=parse_datetime(get("modified")),
    )


def parse_consultation(raw: Any) -> Consultation | None:
    if isinstance(raw, str):
        cid = ref_id(raw)
        return Consultation(id=cid) if cid else None
    if not isinstance(raw, dict):
        return None
    get = raw.get
    authoritative = get("authoritative")
    return Consultation(
        id=ref_id(raw),
        meeting_id=ref_id(get("meeting")),
        agenda_item_id=ref_id(get("agendaItem")),
        organization_ids=ref_ids(get("organization")),
        role=_str(get("role")),
        authoritative=authoritative if isinstance(authoritative, bool) else None,
    )


def parse_paper(raw: Raw) -> Paper:
    get = raw.get
    main = parse_file(get("mainFile"))
    aux = get("auxiliaryFile")
    aux_files = tuple([f for f in map(parse_file, as_list(aux)) if f]) if aux is not None else ()
    cons = get("consultation")
    consultations = (
        tuple([c for c in map(parse_consultation, as_list(cons)) if c]) if cons is not None else ()
    )
    return Paper(
        id=object_id(raw),
        body_id=ref_id(get("body")),
        name=_str(get("name")),
        reference=_str(get("reference")),
        paper_type=_str(get("paperType")),
        date=parse_date(get("date")),
        web=_str(get("web")),
        created=parse_datetime(get("created")),
        modified=parse_datetime(get("modified")),
        deleted=_flag(get("deleted")),
        originator_organization_ids=ref_ids(get("originatorOrganization")),
        originator_person_ids=ref_ids(get("originatorPerson")),
        related_paper_ids=ref_ids(get("relatedPaper")),
        superordinated_paper_ids=ref_ids(get("superordinatedPaper")),
        subordinated_paper_ids=ref_ids(get("subordinatedPaper")),
        main_file=main,
        auxiliary_files=aux_files,
        consultations=consultations,
        under_direction_of_ids=ref_ids(get("underDirectionOf")),
    )


def _location_text(raw: Any) -> str | None:
    if isinstance(raw, dict):
        desc = _str(raw.get("description"))
        if desc:
            return desc
        parts = [_str(raw.get(k)) for k in ("room", "streetAddress", "locality")]
        joined = ", ".join(p for p in parts if p)
        return joined or None
    return None


def parse_agenda_item(raw: Any, order: int) -> AgendaItem | None:
    aid = ref_id(raw) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not aid:
        return None
    public = raw.get("public")
    return AgendaItem(
        id=aid,
        number=_str(raw.get("number")),
        name=_str(raw.get("name")),
        result=_str(raw.get("result")),
        consultation_id=ref_id(raw.get("consultation")),
        order=_int(raw.get("order")) or order,
        public=public if isinstance(public, bool) else None,
    )


def parse_meeting(raw: Raw) -> Meeting:
    start = parse_datetime(raw.get("start"))
    end = parse_datetime(raw.get("end"))
    if start and end and end < start:
        end = None  # Somacos: `end` before `start` means "unknown".
    items = tuple(
        a
        for a in (parse_agenda_item(v, i) for i, v in enumerate(as_list(raw.get("agendaItem"))))
        if a
    )
    state = (_str(raw.get("meetingState")) or "").lower()
    return Meeting(
        id=object_id(raw),
        body_id=ref_id(raw.get("body")),
        name=_str(raw.get("name")),
        start=start,
        end=end,
        location=_location_text(raw.get("location")),
        cancelled=_flag(raw.get("cancelled")) or "abgesagt" in state or "ausgefallen" in state,
        web=_str(raw.get("web")),
        modified=parse_datetime(raw.get("modified")),
        deleted=_flag(raw.get("deleted")),
        organization_ids=ref_ids(raw.get("organization")),
        agenda_items=items,
    )


def parse_organization(raw: Raw) -> Organization:
    return Organization(
        id=object_id(raw),
        body_id=ref_id(raw.get("body")),
        name=_str(raw.get("name")),
        short_name=_str(raw.get("shortName")),
        organization_type=_str(raw.get("organizationType")),
        classification=_str(raw.get("classification")),
        modified=parse_datetime(raw.get("modified")),
        deleted=_flag(raw.get("deleted")),
    )


def parse_body(raw: Raw) -> Body:
    return Body(
        id=object_id(raw),
        name=_str(raw.get("name")),
        short_name=_str(raw.get("shortName")),
        paper_list=_str(raw.get("paper")),
        meeting_list=_str(raw.get("meeting")),
        organization_list=_str(raw.get("organization")),
        web=_str(raw.get("web")),
    )


# -- whole pages and links -------------------------------------------------------------------


class Rejected(msgspec.Struct, frozen=True, gc=False):
    """A list item that could not be parsed: its id as text (whatever it was) and why."""

    object_id: str
    reason: str


def parse_items(items: Iterable[Raw], parse: Callable[[Raw], T]) -> tuple[list[T], list[Rejected]]:
    """Parse what can be parsed; the rest with its reason (any exception: a date out of range,
    an id too long to store, a value nested too deep, a bug in a parser). The caller
    quarantines the rejected ones; one object never stops a page."""
    parsed: list[T] = []
    rejected: list[Rejected] = []
    for raw in items:
        reason = raw.get(TOO_DEEP)
        if not reason:
            try:
                parsed.append(parse(raw))
                continue
            except Exception as e:  # noqa: BLE001 - see docstring
                reason = f"{type(e).__name__}: {first_line(e)}"
        rejected.append(Rejected(raw_id_text(raw), str(reason)))
    return parsed, rejected


def raw_id_text(raw: Raw) -> str:
    """An object's id for the quarantine and the log, whatever the feed sent as `id`."""
    oid = raw.get("id")
    return oid if isinstance(oid, str) else repr(oid)[:200]


def first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else ""


def body_list_url(system: Raw, url: str) -> str:
    """The System's body list; raises FeedError when the object is no OParl System."""
    body_list = system.get("body")
    if not isinstance(body_list, str):
        raise FeedError(f"{url}: not an OParl System (no body list)")
    return body_list


def meeting_link(raw: Raw | None) -> str | None:
    """`meeting` of an object: an agenda item's meeting, an organization's meeting list."""
    value = raw.get("meeting") if raw else None
    return value if isinstance(value, str) else None


def has_upcoming(items: Iterable[Raw], now: datetime) -> bool:
    """Does a meeting page hold sessions still to come (from yesterday on)?"""
    for raw in items:
        try:
            start = parse_datetime(raw.get("start"))
        except ValueError:
            continue
        if start is not None and start >= now - timedelta(days=1):
            return True
    return False


def parse_bodies(raws: Iterable[Raw]) -> list[Body | str]:
    """The System's bodies in their order, deleted ones left out; a body that cannot be read
    becomes the reason why (one bad body must not stop the others)."""
    out: list[Body | str] = []
    for raw in raws:
        if raw.get("deleted"):
            continue
        try:
            out.append(parse_body(raw))
        except Exception as e:  # noqa: BLE001 - see docstring
            out.append(f"body {str(raw.get('id'))[:200]}: {type(e).__name__}: {e}")
    return out
