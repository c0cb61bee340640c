"""Documents: download (council origin only), sandboxed reading of PDF or feed text, cleaning,
and the pure parsers that turn an Anfrage or an answer into questions and fields.

May import the pure helpers of bot (domain, classify, errors, config); never bot.store,
bot.slack, bot.outbox or jobs (import-linter contract in pyproject.toml).
"""
