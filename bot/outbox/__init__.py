"""The outbox: everything that happens after a paper is stored, up to the Slack call.

Every message is first a row in the store's outbox (bot/store/deliveries.py), unique per
(kind, channel, key), so a message is decided once and sent at most once; it is rendered from
the store only when it is sent.

- kinds.py      the message kinds and delivery states (enums; stored as the same strings) and
                the event types of thread replies and direct messages
- routing.py    a new Anfrage → one `announce` row per matching channel
- events.py     what changed about an announced Anfrage → `event` (thread reply) and `update`
                (edit of the announcement) rows
- overdue.py    overdue answers and interim replies → `event` rows
- reminders.py  reminders before committee sessions → `reminder` rows, and their message
- digest.py     the weekly list of open Anfragen → `digest` rows, and its message
- dms.py        direct messages to the followers of one Anfrage → `dm` rows, and their message
- lines.py      the one-line text of each event, shared by thread replies and direct messages
- threads.py    the messages of `event` and `update` rows
- render.py     the renderer table: one renderer per kind
- message.py    what a renderer returns (`Rendered`, `NotReady`)
- send.py       the delivery worker: paced per channel, channels in parallel, reconciled
                against Slack's history after a crash, never twice

May import bot.store (its functions and read models, never bot.store.schema), bot.slack (blocks,
texts, the notifier), bot.feed / bot.document models and the pure helpers of bot (config,
deadlines, faction, classify). Never jobs: jobs/ orchestrates these modules, not the reverse.
"""
