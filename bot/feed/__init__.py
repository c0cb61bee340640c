"""The OParl feed: HTTP client, vendor quirks, and parsing raw JSON into typed domain objects.

May import the pure helpers of bot (config, domain, classify, errors); never bot.store,
bot.slack, bot.outbox or jobs (import-linter contract in pyproject.toml).
"""
