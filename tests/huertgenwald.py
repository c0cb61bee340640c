"""The complete real Hürtgenwald crawl (SD.NET RIM 5.0.4, OParl 1.0), served from 127.0.0.1.

The archive's member names are the original URL paths (`body/1/paper?page=2.json`); the
original host prefix inside every document is rewritten to the local server.
"""

from __future__ import annotations

import io
import json
import tarfile
from functools import lru_cache

import zstandard

from tests.paths import SHARED

ARCHIVE = SHARED / "oparl-data" / "huertgenwald-sdnet-1.0" / "cache_huertgenwald.tar.zst"
PREFIX = "https://sdnetrim.kdvz-frechen.de/rim4220/webservice/oparl/v1.0/"
LOCAL_PATH = "/rim/oparl/v1.0/"


@lru_cache(maxsize=1)
def members() -> dict[str, bytes]:
    """Member path (without `.json`) → raw bytes."""
    raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(ARCHIVE.read_bytes())).read()
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar.getmembers():
            if m.isfile() and m.name.endswith(".json"):
                f = tar.extractfile(m)
                assert f is not None
                out[m.name.removeprefix("./")[: -len(".json")]] = f.read()
    return out


def routes(base_url: str) -> dict[str, bytes]:
    local = f"{base_url}{LOCAL_PATH}"
    out = {}
    for name, body in members().items():
        if name == "missing_ids":
            continue
        text = (
            body.decode("utf-8").replace(PREFIX.replace("/", "\\/"), local).replace(PREFIX, local)
        )
        out[LOCAL_PATH + name] = text.encode("utf-8")
    return out


def system_url(base_url: str) -> str:
    return f"{base_url}{LOCAL_PATH}system"


def expected_counts() -> dict[str, int]:
    """Counted straight from the recorded pages (ids deduplicated)."""
    counts = {}
    for kind in ("paper", "meeting", "organization"):
        ids, deleted = set(), set()
        for name, body in members().items():
            if name == f"body/1/{kind}" or name.startswith(f"body/1/{kind}?page="):
                for item in json.loads(body)["data"]:
                    (deleted if item.get("deleted") else ids).add(item["id"])
        counts[kind] = len(ids)
        counts[f"{kind}_deleted"] = len(deleted - ids)
    return counts
