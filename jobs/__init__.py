"""Thin orchestration: one poll (sync → documents → route → follow up → deliver), one reminder
run, the APScheduler schedule and the leader lock for several replicas.

No SQL and no table definitions here (import-linter contract): jobs call the store, the feed,
the document readers and the outbox.
"""
