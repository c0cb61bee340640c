"""The only place that calls Slack's chat.* methods.

`SlackNotifier` talks to the Web API at a base URL passed in (tests use a local fake server);
`TerminalNotifier` prints what would be posted when no bot token is configured.
"""

from __future__ import annotations

import itertools
import re
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from bot.errors import DeliveryError
from bot.slack import texts
from bot.slack.redact import redact as redact  # also imported from here (bot.check)

if TYPE_CHECKING:
    from slack_sdk import WebClient

METADATA_EVENT = "anfragebot_message"

# Errors that no retry can fix: park the delivery and tell the operator.
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "restricted_action",
    "msg_too_long",
    "invalid_blocks",
    "invalid_blocks_format",
    "too_many_attachments",
    "channel_is_archived",
    # conversations.open for a follower's direct message (issue 14)
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "user_not_visible",
}

# chat.update / chat.delete: the message is gone or can no longer be changed. No retry helps;
# the row is closed with the reason (a later update of the same message has nothing to edit).
GONE_ERRORS = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "cant_delete_message",
        "edit_window_closed",
        "channel_not_found",
        "is_archived",
        "channel_is_archived",
        "thread_not_found",
    }
)
EDITS = ("chat.update", "chat.delete")


class MessageGone(DeliveryError):
    """The message an edit was meant for is gone (final, not retried)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True)


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class Notifier(Protocol):
    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        key: str,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> Posted: ...

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...

    def open_dm(self, user: str) -> str:
        """The direct-message channel with `user` (issue 14: followers)."""
        ...

    def posted_keys(
        self, channel: str, *, within: float, thread_ts: str | None = None
    ) -> dict[str, Posted]: ...


class SlackNotifier:
    def __init__(self, token: str, base_url: str, *, timeout: int = 15) -> None:
        self._token, self._base_url, self._timeout = token, base_url, timeout
        self._client: WebClient | None = None
        self._client_lock = threading.Lock()
        self._dm_channels: dict[str, str] = {}
        self._dm_lock = threading.Lock()

    @property
    def client(self) -> WebClient:
        """The Web API client, made at the first call: most polls send nothing."""
        with self._client_lock:
            if self._client is None:
                # Lazy: slack_sdk costs every poll's start-up ~0.1 s; only a send needs it.
                from slack_sdk import WebClient

                # No retry handlers: a retried connection error can post twice. The outbox
                # retries, after checking conversations.history for the message.
                self._client = WebClient(
                    token=self._token,
                    base_url=self._base_url,
                    timeout=self._timeout,
                    retry_handlers=[],
                )
            return self._client

    def _call(self, method: str, **kwargs: Any) -> Any:
        client = self.client
        # Loaded by `client` above: no start-up cost here (see `client`).
        from slack_sdk.errors import SlackApiError, SlackClientError

        try:
            return client.api_call(method, json=kwargs)
        except SlackApiError as e:
            error = str(e.response.get("error") or "unknown_error")
            retry_after = None
            if e.response.status_code == 429 or error == "ratelimited":
                header = e.response.headers.get("Retry-After") or e.response.headers.get(
                    "retry-after"
                )
                retry_after = float(header) if header and str(header).isdigit() else 1.0
            if method in EDITS and error in GONE_ERRORS:
                raise MessageGone(f"{method}: {error}") from None
            raise DeliveryError(
                f"{method}: {error}",
                permanent=error in PERMANENT_ERRORS,
                retry_after=retry_after,
            ) from None
        except (SlackClientError, OSError, ValueError) as e:
            raise DeliveryError(f"{method}: {redact(type(e).__name__ + ': ' + str(e))}") from None

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        key: str,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> Posted:
        args: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "blocks": blocks,
            "unfurl_links": False,
            "unfurl_media": False,
            # Tag every message so a crash between "Slack accepted" and "we recorded it" can
            # be reconciled through conversations.history instead of posting again.
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": key}},
        }
        if thread_ts:
            args["thread_ts"] = thread_ts
            if broadcast:
                args["reply_broadcast"] = True
        resp = self._call("chat.postMessage", **args)
        return Posted(channel=str(resp.get("channel") or channel), ts=str(resp["ts"]))

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    def open_dm(self, user: str) -> str:
        """conversations.open (scope `im:write`); the channel id is stable, so it is cached."""
        with self._dm_lock:
            known = self._dm_channels.get(user)
        if known:
            return known
        resp = self._call("conversations.open", users=user)
        channel = str((resp.get("channel") or {}).get("id") or "")
        if not channel:
            raise DeliveryError(f"conversations.open: no channel for {user}")
        with self._dm_lock:
            self._dm_channels[user] = channel
        return channel

    def posted_keys(
        self, channel: str, *, within: float, thread_ts: str | None = None
    ) -> dict[str, Posted]:
        """Our messages by their metadata key: in the thread `thread_ts` (all of it), or in the
        channel within `within` seconds before its newest message.

        The window is measured in Slack's `ts`, never in our clock: a bot whose clock runs
        ahead of Slack's would otherwise look for the message after the time it was posted.
        """
        if thread_ts:
            return self._scan("conversations.replies", channel, {"ts": thread_ts}, None)
        return self._scan("conversations.history", channel, {}, within)

    def _scan(
        self, method: str, channel: str, extra: dict[str, Any], within: float | None
    ) -> dict[str, Posted]:
        found: dict[str, Posted] = {}
        cursor = None
        bound: float | None = None
        for _ in range(20):  # bounded: at most 20 pages of history
            args: dict[str, Any] = {
                "channel": channel,
                "include_all_metadata": True,
                "limit": 200,
                **extra,
            }
            if cursor:
                args["cursor"] = cursor
            resp = self._call(method, **args)
            messages = resp.get("messages") or []
            older = False
            for msg in messages:
                ts = _ts(msg)
                if within is not None and ts is not None:
                    if bound is None:
                        bound = ts - within  # newest first: the first ts is Slack's "now"
                    if ts < bound:
                        older = True
                        continue
                meta = msg.get("metadata") or {}
                key = (meta.get("event_payload") or {}).get("key")
                if meta.get("event_type") == METADATA_EVENT and isinstance(key, str):
                    found.setdefault(key, Posted(channel=channel, ts=str(msg["ts"])))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor or older:
                break
        return found


def _ts(message: dict[str, Any]) -> float | None:
    try:
        return float(message["ts"])
    except (KeyError, TypeError, ValueError):
        return None


def render_text(blocks: list[dict[str, Any]]) -> str:
    """Blocks as a terminal reader would want them: unescaped, one line per element."""
    out: list[str] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "header":
            title = b["text"]["text"]
            out += [title, "=" * len(title)]
        elif kind == "section":
            if "text" in b:
                out.append(_unmrkdwn(b["text"]["text"]))
            for f in b.get("fields", []):
                out.append(_unmrkdwn(f["text"]).replace("\n", ": ", 1))
        elif kind == "context":
            out.extend(_unmrkdwn(e.get("text", "")) for e in b.get("elements", []))
        elif kind == "divider":
            out.append("-" * 40)
    return "\n".join(out)


_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


def _unmrkdwn(text: str) -> str:
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = text.replace("*", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class TerminalNotifier:
    """Prints messages instead of posting them (no SLACK_BOT_TOKEN configured)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        key: str,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> Posted:
        with self._lock:
            ts = f"{next(self._counter)}.000000"
            where = (
                texts.PREVIEW_THREAD.format(channel=channel, ts=thread_ts) if thread_ts else channel
            )
            print(texts.TERMINAL_POST.format(where=where), file=self.out)
            print(render_text(blocks) or _unmrkdwn(text), file=self.out)
            self.out.flush()
        return Posted(channel=channel, ts=ts)

    def open_dm(self, user: str) -> str:
        return f"@{user}"

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        with self._lock:
            print(texts.TERMINAL_UPDATE.format(ts=ts, channel=channel), file=self.out)
            print(render_text(blocks) or _unmrkdwn(text), file=self.out)

    def posted_keys(
        self, channel: str, *, within: float, thread_ts: str | None = None
    ) -> dict[str, Posted]:
        return {}
