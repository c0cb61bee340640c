"""What happens after a paper is stored: message kinds, routing, events, rendering, sending.

May import bot.store, bot.slack, bot.document models and the pure helpers of bot; never jobs.
"""
