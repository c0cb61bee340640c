"""How the bot names a meeting's committee, and which meetings are no real session.

One rule for every place that names a meeting (the announcement's Beratungsfolge, a reminder,
a thread note, `/anfrage sitzungen`, the App Home, the calendar feed), so none of them can
name the same meeting differently:

- the names of the organizations, in the order the feed lists them, joined by ", ";
- a consultation's own organizations first (the committee that discusses this paper), else
  the meeting's organizations;
- no stored name for any of them: the meeting's own name ("Sitzung des Verkehrsausschusses").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.batches import chunks
from bot.store.schema import MeetingRow, OrganizationRow

# ALLRIS parks every paper of a new term on one "Sammeldatum" meeting on 31 December: a
# placeholder, not a session anyone attends.
_PLACEHOLDER = re.compile(r"sammeldatum|sammeltermin|platzhalter", re.IGNORECASE)


def organization_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """The stored name of each organization id that has one (unknown and unnamed left out)."""
    names: dict[str, str] = {}
    for part in chunks(sorted(set(ids))):
        rows = session.execute(
            select(OrganizationRow.id, OrganizationRow.name).where(OrganizationRow.id.in_(part))
        ).all()
        names.update({str(i): str(n) for i, n in rows if n})
    return names


def committee_label(
    names: Mapping[str, str],
    organization_ids: Sequence[str],
    meeting_name: str | None,
    meeting_organization_ids: Sequence[str] = (),
) -> str | None:
    """The committee (pure): `organization_ids` (a consultation's), else the meeting's, by
    their names in `names`; else the meeting's name; None when nothing names it."""
    ids = list(organization_ids) or list(meeting_organization_ids)
    return ", ".join(names[i] for i in ids if i in names) or meeting_name or None


class NamedMeeting(Protocol):
    """A stored meeting, or a read model of one with these columns (bot/store/calendar.py)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str | None: ...

    @property
    def organization_ids(self) -> list[Any]: ...


def meeting_labels(session: Session, meetings: Sequence[NamedMeeting]) -> dict[str, str | None]:
    """The committee label of each meeting, by meeting id."""
    names = organization_names(session, {o for m in meetings for o in m.organization_ids or []})
    return {
        m.id: committee_label(names, (), m.name, list(m.organization_ids or []))
        for m in meetings
    }


def meeting_label(
    session: Session, meeting: MeetingRow, organization_ids: Sequence[str] = ()
) -> str | None:
    """The committee label of one meeting (of one consultation at it, with its organizations)."""
    ids = list(organization_ids) or list(meeting.organization_ids or [])
    return committee_label(organization_names(session, ids), ids, meeting.name)


def is_placeholder_meeting(
    name: str | None, start: datetime | None, local_date: date | None
) -> bool:
    """A placeholder meeting: named so (ALLRIS "Sammeldatum ..."), or dated New Year's Eve,
    where ALLRIS puts them even when the name does not say so."""
    if name and _PLACEHOLDER.search(name):
        return True
    return local_date is not None and (local_date.month, local_date.day) == (12, 31)
