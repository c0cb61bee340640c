"""Database schema (SQLAlchemy 2 typed models). Works on SQLite and PostgreSQL.

Keys are OParl ids (URLs). Times are stored as naive UTC and read back UTC-aware, because SQLite
keeps no offsets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass UTC-aware values")
        return value.astimezone(UTC).replace(tzinfo=None)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite the two steps (to naive UTC, then SQLAlchemy's DATETIME text
        `YYYY-MM-DD HH:MM:SS.ffffff`) in one: `isoformat` writes that very text, faster
        (tests/test_upsert_fast.py compares them). Elsewhere SQLAlchemy's way."""
        if dialect.name != "sqlite" or not _default_sqlite_format(self.impl_instance, dialect):
            return super().bind_processor(dialect)
        slow = super().bind_processor(dialect)
        assert slow is not None

        def process(value: Any) -> Any:
            if type(value) is not datetime or value.tzinfo is None:
                return slow(value)  # None, or the ValueError for a naive datetime
            return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _default_sqlite_format(impl: Any, dialect: Dialect) -> bool:
    """True when SQLite stores this DateTime in SQLAlchemy's default text format."""
    from sqlalchemy.dialects.sqlite import DATETIME

    stored = impl.dialect_impl(dialect)
    return type(stored) is DATETIME and stored._storage_format == DATETIME._storage_format


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    system_url: Mapped[str] = mapped_column(Text)
    first_sync_done: Mapped[bool] = mapped_column(Boolean, default=False)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]


class ListState(Base):
    """Per OParl list: the `modified_since` watermark, taken *before* the fetch started."""

    __tablename__ = "list_state"
    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    watermark: Mapped[datetime | None]
    last_count: Mapped[int] = mapped_column(Integer, default=0)
    # None: the server honours `modified_since`; "tail": it does not, so an incremental poll
    # reads from `links.last` backwards (see jobs/sync.py).
    mode: Mapped[str | None] = mapped_column(String(20))
    full_sync_at: Mapped[datetime | None]
    # Progress of a read that has not reached the end yet (migration 0005): the next page to
    # read, written in the same transaction as the page before it, and when that read began
    # (the watermark it will set once complete).
    resume_url: Mapped[str | None] = mapped_column(Text)
    resume_started_at: Mapped[datetime | None]
    # The last page reached by any read: where an oldest-first list without `links.last`
    # grows, so an incremental poll reads on from there.
    tail_url: Mapped[str | None] = mapped_column(Text)
    last_complete_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    # paper | meeting | organization: lets a poll read the lists when the System is down.
    kind: Mapped[str | None] = mapped_column(String(20))


class BodyRow(Base):
    __tablename__ = "bodies"
    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    short_name: Mapped[str | None] = mapped_column(Text)


class OrganizationRow(Base):
    __tablename__ = "organizations"
    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    body_id: Mapped[str | None] = mapped_column(String(1000))
    name: Mapped[str | None] = mapped_column(Text)
    short_name: Mapped[str | None] = mapped_column(Text)
    organization_type: Mapped[str | None] = mapped_column(Text)
    classification: Mapped[str | None] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class MeetingRow(Base):
    __tablename__ = "meetings"
    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    body_id: Mapped[str | None] = mapped_column(String(1000))
    name: Mapped[str | None] = mapped_column(Text)
    start: Mapped[datetime | None] = mapped_column(index=True)
    end: Mapped[datetime | None]
    location: Mapped[str | None] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    web: Mapped[str | None] = mapped_column(Text)
    modified: Mapped[datetime | None]
    organization_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Hash of what a reminder depends on (start, end, cancelled, location, agenda items and
    # their order): compared on every read, because `modified` often never changes.
    content_hash: Mapped[str | None] = mapped_column(String(64))


class AgendaItemRow(Base):
    __tablename__ = "agenda_items"
    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(1000), index=True)
    number: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    consultation_id: Mapped[str | None] = mapped_column(String(1000), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PaperRow(Base):
    __tablename__ = "papers"
    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    body_id: Mapped[str | None] = mapped_column(String(1000))
    reference: Mapped[str | None] = mapped_column(Text)
    # `14/1923`; `ref_compact` = digits only (`141923`) so every printed form finds the paper.
    ref_norm: Mapped[str | None] = mapped_column(String(200), index=True)
    ref_compact: Mapped[str | None] = mapped_column(String(200), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    paper_type: Mapped[str | None] = mapped_column(Text)
    date: Mapped[date | None] = mapped_column(Date, index=True)
    web: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime | None]
    modified: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    originator_organization_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    related_paper_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_anfrage: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    is_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    faction: Mapped[str | None] = mapped_column(Text)
    # OParl `underDirectionOf` (first organization): the department in charge (migration 0009).
    under_direction_of: Mapped[str | None] = mapped_column(String(1000), index=True)
    # None: nothing to announce; "pending": to be routed to channels; "routed"; "silent".
    announce_state: Mapped[str | None] = mapped_column(String(20), index=True)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConsultationRow(Base):
    __tablename__ = "consultations"
    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    paper_id: Mapped[str] = mapped_column(String(1000), index=True)
    meeting_id: Mapped[str | None] = mapped_column(String(1000), index=True)
    agenda_item_id: Mapped[str | None] = mapped_column(String(1000))
    organization_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    role: Mapped[str | None] = mapped_column(Text)
    authoritative: Mapped[bool | None] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer, default=0)


class FileRow(Base):
    __tablename__ = "files"
    id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    paper_id: Mapped[str] = mapped_column(String(1000), index=True)
    role: Mapped[str] = mapped_column(String(10))  # "main" | "aux"
    name: Mapped[str | None] = mapped_column(Text)
    mime_type: Mapped[str | None] = mapped_column(Text)
    access_url: Mapped[str | None] = mapped_column(Text)
    download_url: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    version_key: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class DocumentRow(Base):
    """The result of reading one version of one file: done once, not on every poll."""

    __tablename__ = "documents"
    file_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    paper_id: Mapped[str] = mapped_column(String(1000), index=True)
    version_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # ok | no_text_layer | error
    error: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str | None] = mapped_column(Text)
    parsed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime]
    # Quarantine (migration 0006): "refused" | "download" | "read", NULL when read; and when
    # to try this version again (NULL: nothing scheduled, e.g. given up after the last backoff).
    problem: Mapped[str | None] = mapped_column(String(20))
    next_attempt_at: Mapped[datetime | None]


class Delivery(Base):
    """Outbox: one row per message to send. Unique per (kind, channel, key): never post twice."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("kind", "channel", "key", name="uq_delivery"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # announce | reminder | answer | update ...
    channel: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(1200))
    paper_id: Mapped[str | None] = mapped_column(String(1000), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending | sending | sent | parked (permanent error) | dropped (outdated, nothing to send)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    ts: Mapped[str | None] = mapped_column(String(50))
    thread_ts: Mapped[str | None] = mapped_column(String(50))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Subscription(Base):
    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(100), index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class AnswerLink(Base):
    __tablename__ = "answer_links"
    anfrage_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    answer_paper_id: Mapped[str | None] = mapped_column(String(1000))
    answer_file_id: Mapped[str | None] = mapped_column(String(1000))
    rule: Mapped[str] = mapped_column(String(50))
    answered_on: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(Text)
    linked_at: Mapped[datetime]


class FeedQuarantine(Base):
    """A feed object or page that could not be decoded, parsed or stored: kept out of the way
    with its reason, retried later with backoff (1 h, 6 h, 24 h) while the rest goes on."""

    __tablename__ = "feed_quarantine"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_feed_quarantine"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # paper | meeting | organization | page
    # sha256 of the object id or page URL (an id may be longer than any index allows).
    key: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime]
    next_retry_at: Mapped[datetime | None] = mapped_column(index=True)


class MeetingAlias(Base):
    """A meeting id a consultation points to that answers 404, and the meeting found for it
    another way (more! rubin: `…/meetings/ni_12` for the meeting listed as `…/meetings/12`)."""

    __tablename__ = "meeting_aliases"
    alias_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    # None: not found yet; looked for again after `next_try_at`.
    meeting_id: Mapped[str | None] = mapped_column(String(1000))
    checked_at: Mapped[datetime]
    next_try_at: Mapped[datetime | None]


# -- issue 14: following one Anfrage, calendar feeds ---------------------------------------------


class Follow(Base):
    """A Slack user follows one Anfrage; `snapshot` is the store's view of it at that moment."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "paper_id", name="uq_follow"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(100))
    paper_id: Mapped[str] = mapped_column(String(1000), index=True)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class CalendarToken(Base):
    """The secret in a calendar subscription URL; one per channel and committee filter."""

    __tablename__ = "calendar_tokens"
    __table_args__ = (UniqueConstraint("channel", "committee", name="uq_calendar_token"),)
    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    committee: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class MeetingVersion(Base):
    """The last start/end seen per meeting; `sequence` (iCalendar SEQUENCE) rises on a move."""

    __tablename__ = "meeting_versions"
    meeting_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    start: Mapped[datetime | None]
    end: Mapped[datetime | None]
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changed_at: Mapped[datetime]


class PollMark(Base):
    """Named marks of the poll (migration 0008): `post_sync` = "pending" while the steps after
    a sync still owe a full pass (a poll crashed, or one is running), "done" after."""

    __tablename__ = "poll_marks"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class AnswerPairingRow(Base):
    """The answer document read question by question (issue 16 item 4, migration 0010): one row
    per answered Anfrage, for the version of the answer file it was paired from."""

    __tablename__ = "answer_pairings"
    anfrage_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(1000))
    version_key: Mapped[str] = mapped_column(Text)
    # AnswerPairing.to_json_dict(): {"answers": [...], "unanswered": [...], "answered_by": ...}
    pairing: Mapped[dict[str, Any]] = mapped_column(JSON)
    paired_at: Mapped[datetime]
