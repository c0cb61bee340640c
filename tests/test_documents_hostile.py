"""Hostile documents through the real pipeline (issue 10, item 6 for documents): a PDF
decompression bomb, a 5,000-page PDF, an endless and a trickling download, and a
150,000-character token in `File.text`. Each costs at most the document limits, is recorded
with its reason (shown by `status`), and every other Anfrage is announced in the same poll.
The caps are passed in through the runtime (tests/document_servers.SMALL), nothing is patched.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.store.schema import DocumentRow, PaperRow
from jobs.poll import poll_once
from tests.document_servers import (
    CHANNEL,
    SMALL,
    T0,
    TODAY,
    StreamingServer,
    add_anfrage,
    anfrage_text,
    announced_ids,
    endless,
    make_rt,
    post_text,
    status_text,
    trickle,
    wait_for,
)
from tests.fake_slack import FakeSlack
from tests.hostile_pdfs import bomb_pdf, many_pages_pdf
from tests.rvr_feed import RvrFeed

ANFRAGEBOT = Path(sys.executable).with_name("anfragebot")
# A word of 150,000 letters on a line of its own: the parser in this tree needs minutes for it
# (quadratic); the sandbox's wall clock bounds it, and once the parser is linear it is read.
TOKEN = "Fraktionsanfrage Fraktion Die Linke\n\n" + "x" * 150_000 + "\n1. Was steht hier?\n"


def _hostile_feed(server: StreamingServer) -> tuple[RvrFeed, dict[str, str], list[str]]:
    rvr = RvrFeed(base=server.base_url, today=TODAY, page_size=3)
    base = server.base_url
    normal = [add_anfrage(rvr, 4000 + n, text=anfrage_text(n)) for n in range(3)]
    hostile = {
        "bomb": add_anfrage(rvr, 4101, accessUrl=f"{base}/files/bomb.pdf"),
        "pages": add_anfrage(rvr, 4102, accessUrl=f"{base}/files/pages.pdf"),
        "endless": add_anfrage(rvr, 4103, accessUrl=f"{base}/files/endless.pdf"),
        "trickle": add_anfrage(rvr, 4104, accessUrl=f"{base}/files/trickle.pdf"),
        "token": add_anfrage(rvr, 4105, text=TOKEN),
    }
    normal.append(add_anfrage(rvr, 4010, text=anfrage_text(10)))  # after the hostile ones
    server.routes.update(rvr.routes())
    server.routes["/files/bomb.pdf"] = bomb_pdf()
    server.routes["/files/pages.pdf"] = many_pages_pdf(5000)
    server.streams["/files/endless.pdf"] = endless
    server.streams["/files/trickle.pdf"] = trickle
    return rvr, hostile, normal


def _docs(rt_factory: object) -> dict[str, DocumentRow]:
    with rt_factory() as s:  # type: ignore[operator]
        return {d.paper_id: d for d in s.scalars(select(DocumentRow)).all()}


def test_hostile_documents_cost_their_limits_and_block_nothing(
    db_url: str, slack: FakeSlack
) -> None:
    with StreamingServer() as server:
        rvr, hostile, normal = _hostile_feed(server)
        rt = make_rt(db_url, rvr.system_url, slack.base_url)
        try:
            started = time.monotonic()
            report = poll_once(rt, T0)
            took = time.monotonic() - started
            assert report.sources[0].ok, report.sources[0].error
            docs = _docs(rt.factory)
            status = status_text(rt)
            with rt.factory() as s:
                states = dict(s.execute(select(PaperRow.id, PaperRow.announce_state)).all())
        finally:
            rt.close()

    # Everything is announced in this one poll: the normal Anfragen with their questions,
    # the hostile ones with what the feed says.
    posts = slack.announcements(CHANNEL)
    ids = announced_ids(posts)
    assert sorted(ids) == sorted([*normal, *hostile.values()])
    assert set(states.values()) == {"routed"}
    texts = dict(zip(ids, (post_text(p) for p in posts), strict=True))
    for n, pid in zip((0, 1, 2, 10), normal, strict=True):
        assert f"im Bezirk {n} im vergangenen Jahr" in texts[pid]
    assert "Anfrage 4101" in texts[hostile["bomb"]]

    # Each hostile document is quarantined with its reason, to be tried again in an hour.
    reasons = {name: docs[pid].error or "" for name, pid in hostile.items()}
    for name in ("bomb", "pages", "endless", "trickle"):
        doc = docs[hostile[name]]
        assert doc.status == "error" and doc.problem is not None, (name, doc.error)
        assert doc.next_attempt_at == T0 + timedelta(hours=1), name
        assert reasons[name] in status, name
    assert docs[hostile["bomb"]].problem == "read"
    assert "Speicher" in reasons["bomb"], reasons["bomb"]
    assert docs[hostile["pages"]].problem == "read"
    assert "5000 Seiten (höchstens 200" in reasons["pages"]
    assert docs[hostile["endless"]].problem == "download"
    assert "größer als 1 MB" in reasons["endless"]
    assert docs[hostile["trickle"]].problem == "download"
    assert "länger als 3 s" in reasons["trickle"]
    # The token: read (once the parser is linear) or stopped at the wall clock - either way
    # recorded, and it held back nothing.
    token = docs[hostile["token"]]
    assert (token.status == "ok" and token.problem is None) or (
        token.problem == "read" and "länger als 10 s" in (token.error or "")
    ), token.error
    assert "Dokumente in Quarantäne" in status
    # Bounded by the caps: trickle 3 s + read timeout, token at most 10 s, the rest quick.
    assert took < 120, took

    for doc in docs.values():
        assert doc.pages <= SMALL.max_pages


def test_quarantined_documents_are_retried_with_backoff(sqlite_url: str, slack: FakeSlack) -> None:
    with StreamingServer() as server:
        rvr = RvrFeed(base=server.base_url, today=TODAY)
        pid = add_anfrage(rvr, 4201, accessUrl=f"{server.base_url}/files/pages.pdf")
        server.routes.update(rvr.routes())
        server.routes["/files/pages.pdf"] = many_pages_pdf(5000)
        rt = make_rt(sqlite_url, rvr.system_url, slack.base_url)

        def asked() -> int:
            return server.requests.count("/files/pages.pdf")

        try:
            moments = [T0 + timedelta(minutes=m) for m in (0, 15, 61, 90, 61 + 6 * 60 + 1)]
            seen = []
            for now in moments:
                poll_once(rt, now)
                seen.append(asked())
            last = T0 + timedelta(minutes=61 + 6 * 60 + 1)
            poll_once(rt, last + timedelta(hours=24, minutes=1))  # third retry: then give up
            poll_once(rt, last + timedelta(days=30))
            doc = _docs(rt.factory)[pid]
            status = status_text(rt, last + timedelta(days=30))
        finally:
            rt.close()
    # read at 0, not at 15 min, again after 1 h, not at 90 min, again after 6 h more
    assert seen == [1, 1, 2, 2, 3]
    assert asked() == 4  # after 24 h once more, then no further attempt
    assert doc.attempts >= 4 and doc.next_attempt_at is None
    assert "kein weiterer Versuch" in status
    assert len(slack.announcements(CHANNEL)) == 1  # announced once, at the first poll


def test_a_bomb_does_not_kill_anfragebot_run(tmp_path: Path, slack: FakeSlack) -> None:
    """`anfragebot run` under a 3 GB address-space cap (as a service manager would set) reads
    a bomb with the default limits: the child dies, the process lives, the others are
    announced, and the bomb is not opened again on the next polls."""
    today = date.today()
    with StreamingServer() as server:
        rvr = RvrFeed(base=server.base_url, today=today, page_size=3)
        normal = []
        for n in range(3):
            rvr.add_paper(
                4300 + n,
                f"14/{4300 + n}",
                f"Anfrage {4300 + n}",
                "Fraktionsanfrage",
                today.isoformat(),
                text=anfrage_text(n),
            )
            normal.append(rvr.papers[-1]["id"])
        bomb = rvr.add_paper(4399, "14/4399", "Anfrage 4399", "Fraktionsanfrage", today.isoformat())
        rvr.papers[-1]["mainFile"]["accessUrl"] = f"{server.base_url}/files/bomb.pdf"
        server.routes.update(rvr.routes())
        server.routes["/files/bomb.pdf"] = bomb_pdf()
        config = tmp_path / "config.toml"
        config.write_text(
            f'poll_minutes = 0.05\n[database]\nurl = "sqlite:///{tmp_path / "bot.db"}"\n'
            f'[[sources]]\nname = "rvr"\nurl = "{rvr.system_url}"\nrequests_per_second = 0\n'
            f'[slack]\nchannel = "{CHANNEL}"\n',
            encoding="utf-8",
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SLACK_") and k != "DATABASE_URL"
        }
        env.update({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": slack.base_url})
        cap = 3 * 1024**3

        def limit_memory() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        log_path = tmp_path / "run.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(ANFRAGEBOT), "--config", str(config), "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=tmp_path,
                preexec_fn=limit_memory,
            )
        try:
            everything = sorted([*normal, bomb])
            done = wait_for(
                lambda: sorted(announced_ids(slack.announcements(CHANNEL))) == everything, 120
            )
            assert done, log_path.read_text(errors="replace")[-3000:]
            # A few more polls (every 3 s): the process is alive and does not reopen the bomb.
            polls_before = server.requests.count("/oparl/system")
            assert wait_for(lambda: server.requests.count("/oparl/system") >= polls_before + 2, 60)
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert server.requests.count("/files/bomb.pdf") == 1
            status = subprocess.run(
                [str(ANFRAGEBOT), "--config", str(config), "status"],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                timeout=60,
            )
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    assert status.returncode == 0, status.stderr
    assert "Dokumente in Quarantäne: 1" in status.stdout
    assert "14/4399 (Lesen" in status.stdout and "Speicher" in status.stdout, status.stdout
    assert proc.returncode == 0, log_path.read_text(errors="replace")[-3000:]
    assert len(slack.announcements(CHANNEL)) == len(everything)  # once each


def test_slow_documents_share_one_time_budget_per_poll(sqlite_url: str, slack: FakeSlack) -> None:
    """Many trickling documents delay a poll by the budget, not by their sum: the rest wait
    for the next poll."""
    limits = replace(SMALL, download_seconds=2.0, poll_seconds=1.0)
    with StreamingServer() as server:
        rvr = RvrFeed(base=server.base_url, today=TODAY)
        slow = []
        for n in range(3):
            slow.append(add_anfrage(rvr, 4400 + n, accessUrl=f"{server.base_url}/slow/{n}.pdf"))
            server.streams[f"/slow/{n}.pdf"] = trickle
        server.routes.update(rvr.routes())
        rt = make_rt(sqlite_url, rvr.system_url, slack.base_url, limits=limits)
        try:
            started = time.monotonic()
            first = poll_once(rt, T0)
            took = time.monotonic() - started
            second = poll_once(rt, T0 + timedelta(minutes=15))
            third = poll_once(rt, T0 + timedelta(minutes=30))
            docs = _docs(rt.factory)
        finally:
            rt.close()
    # One download (2 s) exhausts the 1 s budget: one document per poll.
    assert (first.documents, second.documents, third.documents) == (1, 1, 1)
    assert took < 30, took
    assert sorted(docs) == sorted(slow)
    assert all("länger als 2 s" in (d.error or "") for d in docs.values())
    assert sorted(announced_ids(slack.announcements(CHANNEL))) == sorted(slow)
