"""Hostile PDFs built by hand (no library needed): a decompression bomb and a huge page count.

Both are small on the wire. The bomb's single content stream is deflated twice
(`/Filter [/FlateDecode /FlateDecode]`): a few KB that inflate to gigabytes of whitespace.
"""

from __future__ import annotations

import zlib
from functools import lru_cache


def build_pdf(objects: list[bytes]) -> bytes:
    """A PDF with a correct xref table; object n (1-based) is `objects[n - 1]`, 1 = Catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_TEXT = b"BT /F1 12 Tf 72 720 Td (Fraktionsanfrage Seite mit Text) Tj ET"


def _zlib_of_spaces(prefix: bytes, mib: int) -> bytes:
    """zlib data of `prefix` + `mib` MiB of spaces, built without deflating gigabytes: after a
    full flush deflate starts afresh, so every further MiB compresses to the same bytes."""
    chunk = b" " * (1 << 20)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = raw.compress(prefix) + raw.flush(zlib.Z_FULL_FLUSH)
    unit = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH)
    tail = raw.flush(zlib.Z_FINISH)
    checksum = zlib.adler32(prefix)
    for _ in range(mib):
        checksum = zlib.adler32(chunk, checksum)
    return b"\x78\xda" + head + unit * mib + tail + checksum.to_bytes(4, "big")


@lru_cache(maxsize=4)
def bomb_pdf(inflated_mib: int = 2048) -> bytes:
    """One page whose content stream inflates to `inflated_mib` MiB of spaces."""
    twice = zlib.compress(_zlib_of_spaces(_TEXT + b"\n", inflated_mib), 9)
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(twice, b"/Filter [/FlateDecode /FlateDecode] "),
            _FONT,
        ]
    )


def many_pages_pdf(pages: int = 5000) -> bytes:
    """`pages` pages sharing one small text content stream."""
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        _stream(_TEXT),
        _FONT,
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    )
    objects += [page] * pages
    return build_pdf(objects)
