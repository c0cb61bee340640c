"""Documents: download (council origin only), sandboxed reading of PDF or feed text, cleaning,
and the pure parsers that turn an Anfrage or an answer into questions and fields.

The Anfrage parser is the package ``anfrage`` (one module per field over a shared
``anfrage.vocabulary``, which ``bot.classify`` reads too).

May import the pure helpers of bot (domain, errors, config); not bot.classify (it builds on
``anfrage.vocabulary``: importing it back would close a cycle); never bot.store, bot.slack,
bot.outbox or jobs (import-linter contract in pyproject.toml).
"""
