"""Typed domain objects. Raw OParl JSON never leaves `bot.feed`; everything after it uses these.

The feed objects (`FileRef` … `Body`, built by ``bot.feed.parse`` for every object of a sync)
are frozen ``msgspec.Struct``s: built in C, several times faster to construct and to pickle
than frozen dataclasses (issue 15: pages are parsed in a second process and shipped to the
one that stores). They hold only strings, numbers, dates and tuples of each other, so they
can form no reference cycle: ``gc=False`` keeps the garbage collector from tracking them.
Change one with ``msgspec.structs.replace`` (``dataclasses.replace`` does not know them).
The views read from the store stay dataclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date, datetime

import msgspec


class FileRef(msgspec.Struct, frozen=True, gc=False):
    id: str
    name: str | None = None
    mime_type: str | None = None
    access_url: str | None = None
    download_url: str | None = None
    text: str | None = None
    size: int | None = None
    checksum: str | None = None
    modified: datetime | None = None

    @property
    def url(self) -> str | None:
        return self.access_url or self.download_url

    @property
    def version_key(self) -> str:
        """What identifies one version of the document (re-read only when this changes).

        Not `modified`: some vendors (more! rubin) stamp every object with today's date.
        """
        return "|".join(str(v) for v in (self.id, self.checksum, self.size, self.url))


class Consultation(msgspec.Struct, frozen=True, gc=False):
    """An OParl Consultation from the feed: the paper on a meeting's agenda, by ids. The
    Beratungsfolge printed in the document is ``bot.document.model.PrintedConsultation``."""

    id: str | None
    meeting_id: str | None = None
    agenda_item_id: str | None = None
    organization_ids: tuple[str, ...] = ()
    role: str | None = None
    authoritative: bool | None = None


class Paper(msgspec.Struct, frozen=True, gc=False):
    id: str
    body_id: str | None = None
    name: str | None = None
    reference: str | None = None
    paper_type: str | None = None
    date: date | None = None
    web: str | None = None
    created: datetime | None = None
    modified: datetime | None = None
    deleted: bool = False
    originator_organization_ids: tuple[str, ...] = ()
    originator_person_ids: tuple[str, ...] = ()
    related_paper_ids: tuple[str, ...] = ()
    superordinated_paper_ids: tuple[str, ...] = ()
    subordinated_paper_ids: tuple[str, ...] = ()
    main_file: FileRef | None = None
    auxiliary_files: tuple[FileRef, ...] = ()
    consultations: tuple[Consultation, ...] = ()
    # OParl `underDirectionOf`: the department in charge (federführend).
    under_direction_of_ids: tuple[str, ...] = ()


class AgendaItem(msgspec.Struct, frozen=True, gc=False):
    id: str
    number: str | None = None
    name: str | None = None
    result: str | None = None
    consultation_id: str | None = None
    order: int = 0
    public: bool | None = None


class Meeting(msgspec.Struct, frozen=True, gc=False):
    id: str
    body_id: str | None = None
    name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    cancelled: bool = False
    web: str | None = None
    modified: datetime | None = None
    deleted: bool = False
    organization_ids: tuple[str, ...] = ()
    agenda_items: tuple[AgendaItem, ...] = ()


class Organization(msgspec.Struct, frozen=True, gc=False):
    id: str
    body_id: str | None = None
    name: str | None = None
    short_name: str | None = None
    organization_type: str | None = None
    classification: str | None = None
    modified: datetime | None = None
    deleted: bool = False


class Body(msgspec.Struct, frozen=True, gc=False):
    id: str
    name: str | None = None
    short_name: str | None = None
    paper_list: str | None = None
    meeting_list: str | None = None
    organization_list: str | None = None
    web: str | None = None


@dataclass(frozen=True)
class SessionInfo:
    """One entry of an Anfrage's Beratungsfolge as shown to users."""

    committee: str | None
    role: str | None
    start: datetime | None
    agenda_number: str | None
    result: str | None = None
    cancelled: bool = False
    meeting_id: str | None = None
    # Only from a document's printed Beratungsfolge, when the feed has no meeting.
    session_date: date | None = None


@dataclass(frozen=True)
class AnfrageView:
    """Everything the Slack formatters need to show one Anfrage (read from the store)."""

    paper_id: str
    reference: str | None
    subject: str | None
    paper_type: str | None
    date: date | None
    factions: tuple[str, ...]
    questions: tuple[tuple[str, str, tuple[str, ...]], ...]
    sessions: tuple[SessionInfo, ...]
    web: str | None
    document_url: str | None
    deleted: bool = False
    answered_on: dt.date | None = None
    answer_url: str | None = None
    document_note: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # Issue 13: the feed's name without faction decorations (else the parsed Betreff), the
    # department in charge, the signatories; `ours`/`deadline` are set by `bot.faction.decorate`.
    department: str | None = None
    signatories: tuple[str, ...] = ()
    ours: bool = False
    deadline: dt.date | None = None
    answer_document_url: str | None = None

    # The answer read question by question (issue 16): raw excerpt lines, escaped when shown.
    answer_lines: tuple[str, ...] = ()
    answered_by: str | None = None
