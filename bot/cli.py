"""`anfragebot` command line. Every failure the user can cause ends in one line and exit code 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Config, load_config
from bot.errors import BotError, ConfigError
from bot.logs import setup_logging

log = logging.getLogger("anfragebot")


def parse_now(text: str | None, tz: ZoneInfo) -> datetime:
    """`--now`: ISO 8601; without an offset it is read in the configured time zone."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as e:
        raise ConfigError(f"--now: not an ISO 8601 date-time: {text!r}") from e
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anfragebot", description="Follows a council faction's Anfragen and posts to Slack."
    )
    parser.add_argument("--config", type=Path, help="TOML config file (see config.example.toml)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("demo", help="run the pipeline once against a built-in sample feed")

    poll = sub.add_parser("poll", help="sync every source, then deliver what is pending")
    poll.add_argument("--once", action="store_true", required=True, help="one poll, then exit")
    poll.add_argument("--now", help="act as if it were this moment (ISO 8601)")

    sub.add_parser("run", help="long-running: poll on a schedule")

    remind = sub.add_parser("remind", help="send the reminders (and digest) due now; no sync")
    remind.add_argument("--once", action="store_true", required=True, help="one run, then exit")
    remind.add_argument("--now", help="act as if it were this moment (ISO 8601)")

    parse = sub.add_parser("parse", help="read an Anfrage from a PDF or text file")
    parse.add_argument("file")
    parse.add_argument("--json", action="store_true", help="machine-readable output")

    requeue = sub.add_parser(
        "requeue", help="send parked deliveries again (after fixing the Slack error)"
    )
    requeue.add_argument("--channel", help="only this channel")

    status = sub.add_parser("status", help="sources, counts, pending and parked deliveries")
    status.add_argument("--now", help="act as if it were this moment (ISO 8601)")

    serve = sub.add_parser("serve", help="answer /anfrage over HTTP (Slack's HTTP mode)")
    serve.add_argument("--port", type=int, default=3000, help="TCP port (0 = any free port)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--now", help="answer as if it were always this moment (tests, demos)")

    lookup = sub.add_parser("lookup", help="print the answer to `/anfrage QUERY`")
    lookup.add_argument("query", nargs="*", help="e.g. 14/1923, 'suche Radweg', sitzungen, offen")
    lookup.add_argument("--channel", help="act as in this channel (default: [slack] channel)")
    lookup.add_argument("--now", help="act as if it were this moment (ISO 8601)")

    ical = sub.add_parser("ical", help="print the sessions as an iCalendar feed (RFC 5545)")
    ical.add_argument("--committee", help="only the sessions of committees with this name")
    ical.add_argument("--channel", help="the calendar of this channel (as /anfrage kalender)")
    ical.add_argument("--now", help="act as if it were this moment (ISO 8601)")
    return parser


def _config(args: argparse.Namespace) -> Config:
    path = args.config
    if path is None and Path("config.toml").exists():
        path = Path("config.toml")
    return load_config(path, os.environ)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "parse":
        from bot.document.cli import run_parse

        return run_parse(args.file, args.json, sys.stdout, sys.stderr)
    try:
        if args.command == "demo":
            from bot.demo.run import run_demo

            setup_logging("WARNING")
            return run_demo(sys.stdout)
        config = _config(args)
        setup_logging(config.log_level)
        return _dispatch(args, config)
    except BotError as e:
        print(f"anfragebot: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `anfragebot lookup … | head`: the reader left; not an error worth a traceback.
        sys.stderr.close()
        return 0


def _dispatch(args: argparse.Namespace, config: Config) -> int:
    from bot.runtime import build_runtime

    tz = config.reminders.timezone
    if args.command == "poll":
        from jobs.poll import poll_once

        now = parse_now(args.now, tz)
        rt = build_runtime(config)
        try:
            # A failed source is logged with its reason; the exit code stays 0 so a cron job
            # does not mail every outage of a council server.
            poll_once(rt, now)
        finally:
            rt.close()
        return 0
    if args.command == "remind":
        from jobs.remind import remind_once

        rt = build_runtime(config)
        try:
            remind_once(rt, parse_now(args.now, tz))
        finally:
            rt.close()
        return 0
    if args.command == "run":
        from jobs.scheduler import run_forever

        return run_forever(config)
    if args.command == "requeue":
        from bot.store.db import transaction
        from bot.store.deliveries import requeue_parked

        rt = build_runtime(config)
        try:
            with transaction(rt.factory) as session:
                n = requeue_parked(session, datetime.now(UTC), args.channel)
        finally:
            rt.close()
        print(f"{n} geparkte Zustellung(en) wieder eingereiht; der nächste Abruf sendet sie.")
        return 0
    if args.command == "status":
        from bot.status import print_status

        rt = build_runtime(config)
        try:
            print_status(rt, parse_now(args.now, tz), sys.stdout)
        finally:
            rt.close()
        return 0
    if args.command == "ical":
        from bot.slack.cli import run_ical

        return run_ical(config, args.committee, args.channel, parse_now(args.now, tz), sys.stdout)
    if args.command in ("serve", "lookup"):
        from bot.slack.cli import run_lookup, run_serve

        if args.command == "serve":
            fixed = parse_now(args.now, tz) if args.now else None
            return run_serve(config, args.host, args.port, sys.stdout, now=fixed)
        return run_lookup(
            config, " ".join(args.query), args.channel, parse_now(args.now, tz), sys.stdout
        )
    raise ConfigError(f"unknown command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
