"""The values of an outbox row's `kind` and `status` columns, and of a paper's
`announce_state`, as enums.

They live in the store because the store writes and queries them; bot/outbox reads them from
here (bot/outbox/kinds.py). Both are `StrEnum`: a member *is* its stored string, so rows
written before the enums existed read back unchanged and no migration is needed.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What an outbox row sends; one renderer each (bot/outbox/render.py)."""

    ANNOUNCE = "announce"  # the announcement of a new Anfrage in a channel
    EVENT = "event"  # a thread reply under the announcement (or a silent marker)
    UPDATE = "update"  # chat.update of the announcement after its state changed
    REMINDER = "reminder"  # before a committee session
    DIGEST = "digest"  # the weekly list of open Anfragen
    DM = "dm"  # a direct message to someone following one Anfrage


class State(StrEnum):
    """Where an outbox row is on its way to Slack."""

    PENDING = "pending"  # due at `next_attempt_at`
    SENDING = "sending"  # claimed by a delivery run
    SENT = "sent"  # Slack accepted it (has a `ts`), or recorded as told without posting
    PARKED = "parked"  # a permanent Slack error; `anfragebot requeue` sends it again
    DROPPED = "dropped"  # outdated before it was sent, or its message is gone: never sent


class AnnounceState(StrEnum):
    """Whether a paper is (still) to be announced: `papers.announce_state`. NULL: nothing to
    announce (not an Anfrage, or known before the bot's first sync)."""

    PENDING = "pending"  # a new Anfrage, to be routed to the channels that want it
    ROUTED = "routed"  # turned into one announcement row per channel
    SILENT = "silent"  # new, but no channel's policy wants it
