"""The Bolt app: `/anfrage` and the "Im Kanal teilen" button. Thin: ack, then `commands`.

One app for both ways to connect: HTTP mode (`anfragebot serve`, requests signed with
SLACK_SIGNING_SECRET and verified by Bolt) and Socket Mode (`anfragebot run` with
SLACK_APP_TOKEN; no public URL, no signatures: Slack authenticates the WebSocket).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from bot.errors import ConfigError, DeliveryError
from bot.faction import perspective_of
from bot.slack import command_texts as t
from bot.slack.blocks import section
from bot.slack.commands import SHARE_ACTION, Reply, answer, share
from bot.slack.home import register_home
from bot.slack.redact import redact
from bot.store.db import transaction

log = logging.getLogger(__name__)

COMMAND = "/anfrage"
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def require_credentials(config: Config, *, http_mode: bool) -> None:
    """Fail at startup, naming the variable, rather than on the first request."""
    if not config.slack.bot_token:
        raise ConfigError("SLACK_BOT_TOKEN: not set; the Slack app needs the bot token (xoxb-…)")
    if http_mode and not config.slack.signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET: not set; HTTP mode must verify that requests come from Slack "
            "(Basic Information → App Credentials → Signing Secret)"
        )


class _TokenFromEnvNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins: it is the
    same token, passed with our base URL, so the warning only worries operators. And a refused
    Socket Mode connection is reported by `start_socket_mode` in one line of its own."""

    QUIET = ("will be unused", "Failed to retrieve WSS URL")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(q in message for q in self.QUIET)


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("anfragebot.bolt")
    if not any(isinstance(f, _TokenFromEnvNotice) for f in logger.filters):
        logger.addFilter(_TokenFromEnvNotice())
    return logger


def build_app(
    config: Config,
    factory: sessionmaker[Session],
    *,
    http_mode: bool,
    clock: Clock = _utcnow,
) -> App:
    """A Bolt app whose Web API client talks to `config.slack.api_url` (a fake in tests).

    Construction calls `auth.test`, so a wrong bot token fails here, at startup.
    """
    require_credentials(config, http_mode=http_mode)
    client = WebClient(token=config.slack.bot_token, base_url=config.slack.api_url, timeout=10)
    try:
        app = App(
            client=client,
            signing_secret=config.slack.signing_secret or "unused-in-socket-mode",
            # Socket Mode messages are authenticated by the WebSocket, not signed.
            request_verification_enabled=http_mode,
            token_verification_enabled=True,
            process_before_response=False,
            logger=_bolt_logger(),
        )
    except BoltError as e:
        # Bolt checks the token with auth.test here: a refused token is a setup problem, not a
        # crash (and exit code 2 stops systemd from restarting forever).
        raise ConfigError(f"SLACK_BOT_TOKEN: Slack did not accept it ({redact(str(e))})") from e
    except (SlackClientError, OSError) as e:
        # Slack unreachable: a passing fault; `run` keeps polling and tries again later.
        raise DeliveryError(f"Slack not reachable: {redact(str(e))}") from e
    register(app, factory, config, clock)
    return app


def register(app: App, factory: sessionmaker[Session], config: Config, clock: Clock) -> None:
    tz = config.reminders.timezone
    perspective = perspective_of(config)
    register_home(
        app,
        factory,
        tz=tz,
        default_channel=config.slack.channel,
        clock=clock,
        perspective=perspective,
    )

    def safe(work: Callable[[Session], Reply]) -> Reply:
        try:
            with transaction(factory) as session:
                return work(session)
        except Exception:  # noqa: BLE001 - the user gets an answer whatever broke
            log.exception("/anfrage failed")
            return Reply(t.ERROR, [section(t.ERROR)])

    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()  # within Slack's 3 seconds; the answer follows through response_url
        reply = safe(
            lambda session: answer(
                session,
                str(command.get("text") or ""),
                command.get("channel_id"),
                command.get("user_id"),
                clock(),
                tz,
                default_channel=config.slack.channel,
                perspective=perspective,
                public_url=config.http.public_url,
            )
        )
        respond(
            text=reply.text,
            blocks=reply.blocks,
            response_type="ephemeral" if reply.ephemeral else "in_channel",
        )

    @app.action(SHARE_ACTION)
    def on_share(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        actions = body.get("actions") or [{}]
        paper_id = str(actions[0].get("value") or "")
        user = (body.get("user") or {}).get("id")
        reply = safe(
            lambda session: share(session, paper_id, user, clock(), tz, perspective=perspective)
        )
        if not reply.ephemeral:
            respond(
                text=reply.text,
                blocks=reply.blocks,
                response_type="in_channel",
                replace_original=False,
            )
            respond(delete_original=True)
        else:
            respond(
                text=reply.text,
                blocks=reply.blocks,
                response_type="ephemeral",
                replace_original=False,
            )


def start_socket_mode(config: Config, factory: sessionmaker[Session]) -> Any:
    """Connect to Slack over Socket Mode in background threads; returns the handler (close())."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if not config.slack.app_token:
        raise ConfigError(
            "SLACK_APP_TOKEN: not set; Socket Mode needs the app-level token (xapp-…)"
        )
    app = build_app(config, factory, http_mode=False)
    handler = SocketModeHandler(app, config.slack.app_token)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as e:
        # `not_allowed`, `invalid_auth`: the app token (or Socket Mode in the app's settings)
        # is refused. Not fatal for `run`: polling and delivery go on, the caller retries.
        _close_quietly(handler)
        error = e.response.get("error") or "unknown_error"
        raise DeliveryError(f"SLACK_APP_TOKEN: Slack refused Socket Mode ({error})") from None
    except (SlackClientError, OSError) as e:
        _close_quietly(handler)
        raise DeliveryError(f"Socket Mode: Slack not reachable ({redact(str(e))})") from None
    log.info("Socket Mode connected: /anfrage is answered")
    return handler


def _close_quietly(handler: Any) -> None:
    """The handler started threads in its constructor: stop them after a failed connect."""
    try:
        handler.close()
    except Exception as e:  # noqa: BLE001 - nothing to save: it never connected
        log.debug("closing the unconnected Socket Mode handler: %s", e)
