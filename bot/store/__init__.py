"""The store: the only package that knows tables (schema.py) and SQL, on SQLite or PostgreSQL.

It offers typed read models and commands (save papers, route, enqueue, look up, statistics,
calendar, App Home) and owns the Alembic migrations and the advisory locks. May import
bot.feed/bot.document models and the pure helpers of bot; never bot.slack, bot.outbox or jobs.
"""
