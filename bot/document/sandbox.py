"""Read a document in a child process with memory, CPU-time, page and wall-clock limits.

pdfium and pypdf run on bytes from the internet. A decompression bomb, a 5,000-page PDF or a
pathological text must cost at most these limits and never take the bot down with it: the
child sets `RLIMIT_AS` (address space) and `RLIMIT_CPU` on itself before it touches the
document, the parent waits at most `read_seconds` and kills it after that. Whatever the child
does (MemoryError, SIGXCPU, a crash inside pdfium), the parent gets a `DocumentResult` with a
reason.

Children come from a `forkserver` that has imported the readers once: a fork per document is
a few milliseconds, and every document starts with fresh limits (a CPU limit on a reused worker
would add up over documents). `fork` straight from the bot is not used: `anfragebot run` has
threads (scheduler, Socket Mode), and forking a threaded process can deadlock the child.

The result comes back as JSON, not pickle: the child has read hostile bytes and the parent
should not run what it sends.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import resource
import signal
import threading
from multiprocessing.connection import Connection
from typing import Any

from bot.document.limits import DocumentLimits
from bot.document.model import ParsedAnfrage
from bot.document.reader import STATUS_ERROR, DocumentResult, read_document

log = logging.getLogger(__name__)

_CTX = multiprocessing.get_context("forkserver")
_PRELOAD = threading.Lock()
_preloaded = False


def _ensure_preload() -> None:
    global _preloaded
    with _PRELOAD:
        if not _preloaded:
            # The forkserver imports these once; each child is forked with them loaded.
            _CTX.set_forkserver_preload(["__main__", "bot.document.sandbox", "pypdfium2", "pypdf"])
            _preloaded = True


def read_sandboxed(
    data: bytes | None,
    feed_text: str | None,
    mime_type: str | None,
    limits: DocumentLimits,
) -> DocumentResult:
    """`read_document` in a child process under `limits`; never raises for a bad document."""
    _ensure_preload()
    receiver, sender = _CTX.Pipe(duplex=False)
    child = _CTX.Process(
        target=_child_main,
        args=(sender, data, feed_text, mime_type, limits),
        name="anfragebot-document",
        daemon=True,
    )
    try:
        child.start()
    except OSError as e:  # no processes or file descriptors left: try again later
        sender.close()
        receiver.close()
        return _error(f"Leseprozess nicht gestartet ({e})")
    sender.close()  # the child holds the only writer: EOF as soon as it ends
    raw: bytes | None = None
    timed_out = False
    try:
        if receiver.poll(limits.read_seconds):
            try:
                raw = receiver.recv_bytes()
            except (EOFError, OSError):
                raw = None
        else:
            timed_out = True
    finally:
        if child.is_alive():
            child.kill()
        child.join(10)
        receiver.close()
    if raw is not None:
        try:
            return _from_json(json.loads(raw))
        except (ValueError, KeyError, TypeError) as e:
            return _error(f"Leseprozess lieferte kein lesbares Ergebnis ({type(e).__name__})")
    if timed_out:
        return _error(f"Lesen dauerte länger als {limits.read_seconds:g} s (abgebrochen)")
    return _error(_death_reason(child.exitcode, limits))


def _death_reason(exitcode: int | None, limits: DocumentLimits) -> str:
    mb = limits.memory_bytes // (1024 * 1024)
    if exitcode == -signal.SIGXCPU:
        return f"Lesen brauchte mehr als {limits.cpu_seconds} s CPU-Zeit (abgebrochen)"
    if exitcode == -signal.SIGKILL:
        # Not our timeout: the hard CPU limit or the kernel's OOM killer.
        return (
            f"Leseprozess beendet (SIGKILL): mehr als {limits.cpu_seconds} s CPU-Zeit "
            f"oder zu wenig Speicher"
        )
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else ""
        return (
            f"Leseprozess abgestürzt ({name or -exitcode}), vermutlich an der Speichergrenze "
            f"von {mb} MB"
        )
    return f"Leseprozess ohne Ergebnis beendet (Code {exitcode})"


def _error(reason: str) -> DocumentResult:
    return DocumentResult(None, None, STATUS_ERROR, reason, 0)


def _to_json(result: DocumentResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "parsed": result.parsed.to_json_dict() if result.parsed else None,
        "status": result.status,
        "error": result.error,
        "pages": result.pages,
    }


def _from_json(data: dict[str, Any]) -> DocumentResult:
    parsed = data["parsed"]
    return DocumentResult(
        text=data["text"] if isinstance(data["text"], str) else None,
        parsed=ParsedAnfrage.from_json_dict(parsed) if isinstance(parsed, dict) else None,
        status=str(data["status"]),
        error=data["error"] if isinstance(data["error"], str) else None,
        pages=int(data["pages"]),
    )


def _limit_self(limits: DocumentLimits) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no multi-GB core file
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    cpu = max(1, int(limits.cpu_seconds))
    # soft: SIGXCPU; hard (a little later): SIGKILL, should SIGXCPU be caught somewhere.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def _child_main(
    conn: Connection,
    data: bytes | None,
    feed_text: str | None,
    mime_type: str | None,
    limits: DocumentLimits,
) -> None:
    try:
        _limit_self(limits)
        try:
            result = read_document(data, feed_text, mime_type, max_pages=limits.max_pages)
        except MemoryError:
            mb = limits.memory_bytes // (1024 * 1024)
            result = _error(f"Lesen brauchte mehr als {mb} MB Speicher (abgebrochen)")
        data = feed_text = None  # free the input before encoding the answer
        conn.send_bytes(json.dumps(_to_json(result)).encode("utf-8"))
    except MemoryError:
        pass  # the parent reports a child without an answer
    finally:
        conn.close()
        os._exit(0)  # no atexit handlers, no flushing of inherited buffers
