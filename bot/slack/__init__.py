"""Slack: the Bolt app (Socket Mode and HTTP), slash commands, App Home, block builders, the
escaping types and every German user text, and the notifier that calls the Web API.

Reads the store through its functions (never bot.store.schema); never imports jobs.
"""
