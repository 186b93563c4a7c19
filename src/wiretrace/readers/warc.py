"""WARC and WARC.gz: each HTML response (or text/html resource) record is a capture.

The record's target URI becomes ``url``, its WARC-Date ``captured``, and the
charset of the HTTP Content-Type header is the declared encoding of the page.
The source of a record is ``file.warc.gz#<WARC-Record-ID>``: stable, unique.
A response with a non-2xx status and a record the file ends inside are
rejected, each with its reason.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from wiretrace.model import RawDocument, Reject
from wiretrace.readers.base import ReadError, ReadOptions, over_limit_reason
from wiretrace.readers.encoding import decode

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(source: str, data: bytes, options: ReadOptions) -> Iterator[RawDocument | Reject]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    found = 0
    try:
        for n, record in enumerate(ArchiveIterator(io.BytesIO(data)), 1):
            if record.rec_type not in ("response", "resource"):
                continue
            rec_id = (record.rec_headers.get_header("WARC-Record-ID") or str(n)).strip("<>")
            rec_source = f"{source}#{rec_id}"
            if record.rec_type == "response":
                if record.http_headers is None:
                    continue
                ctype = record.http_headers.get_header("Content-Type") or ""
            else:
                ctype = record.rec_headers.get_header("Content-Type") or ""
            if not ctype.lower().startswith(_HTML_TYPES):
                continue
            payload = record.content_stream().read()
            if len(payload) > options.max_bytes:
                yield Reject(rec_source, over_limit_reason(len(payload), options.max_bytes, "record"))
                continue
            found += 1
            # warcio hands back a short payload without complaint when the file
            # ends inside a record; its length reader still counts the missing bytes.
            if getattr(record.raw_stream, "limit", 0) > 0:
                yield Reject(rec_source, "truncated WARC: the file ends inside this record")
                return
            status = record.http_headers.get_statuscode() if record.rec_type == "response" else None
            if status and status.isdigit() and not 200 <= int(status) < 300:
                yield Reject(rec_source, f"HTTP {status} response: an error or redirect page, not an article")
                continue
            if not payload.strip():
                yield Reject(rec_source, "empty HTML response")
                continue
            charset = _charset(ctype)
            try:
                decoded = decode(payload, declared=charset)
            except ReadError as exc:
                yield Reject(rec_source, exc.reason)
                continue
            meta = {
                "url": record.rec_headers.get_header("WARC-Target-URI"),
                "captured": record.rec_headers.get_header("WARC-Date"),
            }
            yield RawDocument(
                rec_source, payload, "warc", decoded.encoding, decoded.text, "html",
                {k: v for k, v in meta.items() if v}, decoded.warnings,
            )
    except (ArchiveLoadFailed, ValueError, EOFError, OSError) as exc:
        raise ReadError(f"damaged WARC after {found} HTML records: {exc}") from None
    if not found:
        raise ReadError("WARC holds no HTML response records")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip().strip("\"'")
    return None
