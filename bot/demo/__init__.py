"""`anfragebot demo`: the real pipeline once against a built-in sample feed served on 127.0.0.1,
into a temporary SQLite database, printing what would be posted. May import anything in bot
and jobs (it is an entry point); nothing imports it except the CLI.
"""
