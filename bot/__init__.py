"""anfragebot: follows a council faction's Anfragen from an OParl feed to Slack.

Packages, in the direction data flows (docs/architecture.md):
feed (OParl → typed objects) → document (PDF/text → parsed Anfrage) → store (the only package
with tables and SQL) → outbox (kinds, events, rendering, sending) → slack (Bolt app, commands,
blocks, German texts). `jobs` (top level) orchestrates polls and reminders. Modules at this level
are pure helpers shared by all (config, domain values, classify, faction, deadlines) or entry
points (cli, check, status, ical, runtime).
"""
