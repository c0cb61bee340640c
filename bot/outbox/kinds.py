"""Message kinds, delivery states and event types of the outbox.

`Kind` and `State` are the values of the outbox table's columns, defined beside it in
bot/store/kinds.py (the store may not import this package) and named here for the outbox.
`EventType` is the `type` in the payload of an `event` (thread reply) or `dm` row.
"""

from __future__ import annotations

from enum import StrEnum

from bot.store.kinds import Kind, State

__all__ = ["EventType", "Kind", "State"]


class EventType(StrEnum):
    """What happened to an Anfrage (bot/outbox/events.py, overdue.py)."""

    DELETED = "deleted"  # withdrawn or deleted in the RIS
    AGENDA = "agenda"  # on a meeting's agenda (or the meeting moved)
    CANCELLED = "cancelled"  # that meeting was cancelled or removed
    RESULT = "result"  # discussed, with a result
    ANSWER = "answer"  # answered (a link to the answer)
    ANSWER_READ = "answer_read"  # the answer's document was read: no reply, the parent updates
    OVERDUE = "overdue"  # the answer deadline passed without an answer
    INTERIM = "interim"  # an interim reply, not yet the answer
