"""`anfragebot` command line. Every failure the user can cause ends in one line and exit code 2.

Exit codes (a scheduler acts on them; README "Exit codes"): 0 done; 1 every source failed, a
delivery was parked in this run, or `check` found a problem; 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import NO_CONFIG_FILE, Config, load_config, sqlite_file
from bot.errors import BotError, ConfigError
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.outbox.send import DeliveryReport
    from jobs.poll import PollReport

log = logging.getLogger("anfragebot")

# Commands that act for the faction: started without a config file they would poll nothing
# and create a database wherever they were started (issue 11).
NEEDS_CONFIG_FILE = ("poll", "run", "remind", "serve")
# Commands that only look at (or requeue in) an existing database: they never create one, so a
# typo in --config, a missing DATABASE_URL or the wrong working directory is one clear line
# instead of an empty database and "nothing there".
NEEDS_DATABASE = ("status", "lookup", "ical", "requeue")
DEFAULT_CONFIG = Path("config.toml")


def package_version() -> str:
    try:
        return version("anfragebot")
    except PackageNotFoundError:
        return "unknown"


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
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {package_version()}"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("demo", help="run the pipeline once against a built-in sample feed")

    poll = sub.add_parser("poll", help="sync every source, then deliver what is pending")
    poll.add_argument("--once", action="store_true", required=True, help="one poll, then exit")
    poll.add_argument("--now", help="act as if it were this moment (ISO 8601)")
    poll.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be posted; send nothing and change no delivery state",
    )

    sub.add_parser("run", help="long-running: poll on a schedule")

    check = sub.add_parser(
        "check", help="test the setup: config, database, sources, Slack tokens and channels"
    )
    check.add_argument(
        "--http", action="store_true", help="also require SLACK_SIGNING_SECRET (anfragebot serve)"
    )

    remind = sub.add_parser("remind", help="send the reminders (and digest) due now; no sync")
    remind.add_argument("--once", action="store_true", required=True, help="one run, then exit")
    remind.add_argument("--now", help="act as if it were this moment (ISO 8601)")

    parse = sub.add_parser("parse", help="read an Anfrage from a PDF or text file")
    parse.add_argument("file")
    parse.add_argument("--json", action="store_true", help="machine-readable output")
    parse.add_argument("--anfrage", help="the Anfrage FILE answered (pairs answers with it)")

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


def config_path(args: argparse.Namespace) -> Path | None:
    """--config, else config.toml in the working directory, else None (defaults)."""
    if args.config is not None:
        return Path(args.config)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _config(args: argparse.Namespace) -> Config:
    path = config_path(args)
    if path is None and args.command in NEEDS_CONFIG_FILE:
        raise ConfigError(NO_CONFIG_FILE)
    config = load_config(path, os.environ)
    if args.command in NEEDS_DATABASE:
        require_database(config, path)
    return config


def require_database(config: Config, path: Path | None) -> None:
    """ConfigError (exit 2) when the configured SQLite file does not exist."""
    file = sqlite_file(config.database_url)
    if file is None or file.exists():
        return
    file = file.absolute()
    if path is None and not os.environ.get("DATABASE_URL"):
        raise ConfigError(
            f"no database configured (no config file, no DATABASE_URL) and {file} does not "
            "exist: pass --config PATH or set DATABASE_URL"
        )
    raise ConfigError(
        f"database not found: {file} (check [database] url or DATABASE_URL; "
        "`anfragebot check` or `anfragebot poll --once` creates it)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "parse":
        from bot.document.cli import run_parse

        return run_parse(args.file, args.json, sys.stdout, sys.stderr, anfrage=args.anfrage)
    try:
        if args.command == "demo":
            from bot.demo.run import run_demo

            setup_logging("WARNING")
            return run_demo(sys.stdout)
        if args.command == "check":
            from bot.check import run_check

            setup_logging("WARNING")
            return run_check(config_path(args), os.environ, sys.stdout, http=args.http)
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
        from jobs.preview import dry_run

        if not config.sources:
            raise ConfigError("no [[sources]] configured: nothing to poll")
        now = parse_now(args.now, tz)
        rt = build_runtime(config)
        try:
            if args.dry_run:
                return poll_exit_code(dry_run(rt, now, sys.stdout))
            return poll_exit_code(poll_once(rt, now))
        finally:
            rt.close()
    if args.command == "remind":
        from jobs.remind import remind_once

        rt = build_runtime(config)
        try:
            report = remind_once(rt, parse_now(args.now, tz))
        finally:
            rt.close()
        return delivery_exit_code(report.delivery)
    if args.command == "run":
        from jobs.scheduler import run_forever

        if not config.sources:
            # Allowed: a `run` may only answer /anfrage over Socket Mode.
            log.warning("no [[sources]] configured: nothing is polled")
        if not config.slack.bot_token:
            log.warning(
                "SLACK_BOT_TOKEN is not set: polling and storing, but nothing is sent until "
                "`run` is started with the token (every announcement waits until then)"
            )
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
        print(f"{n} parked delivery(ies) queued again; the next poll sends them.")
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


def poll_exit_code(report: PollReport) -> int:
    """1 when every source failed (cron mails the operator), or a delivery was parked."""
    failed = [s for s in report.sources if not s.ok]
    if report.sources and len(failed) == len(report.sources):
        log.error("every source failed (%s): exit code 1", ", ".join(s.source for s in failed))
        return 1
    return delivery_exit_code(report.delivery)


def delivery_exit_code(report: DeliveryReport | None) -> int:
    if report is not None and report.parked:
        log.error(
            "%d deliveries parked in this run (see anfragebot status; then anfragebot requeue)",
            report.parked,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
