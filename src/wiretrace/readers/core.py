"""One file (or stdin) to RawDocuments: containers opened, format sniffed from content.

Dispatch, in order: gzip and zip are opened and their members read the same
way (``!member`` in the source); a WARC yields its HTML responses; a known
binary is rejected; the rest is decoded (``encoding``) and sniffed: front
matter, JSON, a feed, HTML, else plain text. File names only break ties.
Every failure becomes a Reject with a reason; nothing here raises for bad input.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from wiretrace.model import RawDocument, Reject
from wiretrace.readers import documents, sniff
from wiretrace.readers.base import (
    HEAD_BYTES, MAX_NESTING, ReadError, ReadOptions, dangling_reason, human_size, os_error_reason,
    over_limit_reason,
)
from wiretrace.readers.encoding import decode

STDIN_SOURCE = "<stdin>"


def read_path(
    path: str, options: ReadOptions = ReadOptions(), stdin: BinaryIO | None = None
) -> Iterator[RawDocument | Reject]:
    """Every capture in one file ('-' reads ``stdin``), or Rejects saying why not."""
    if path == "-":
        source = STDIN_SOURCE
        try:
            data = (stdin.read(options.max_bytes + 1) if stdin is not None else b"")
        except OSError as exc:
            yield Reject(source, os_error_reason(exc))
            return
        if len(data) > options.max_bytes:
            yield Reject(source, f"standard input is over the {human_size(options.max_bytes)} limit (--max-size)")
            return
    else:
        source = os.path.abspath(path)
        dangling = dangling_reason(source)
        if dangling:
            yield Reject(source, dangling)
            return
        try:
            size = os.path.getsize(source)
            if size > options.max_bytes:
                yield Reject(source, over_limit_reason(size, options.max_bytes))
                return
            with open(source, "rb") as f:
                data = f.read()
        except OSError as exc:
            yield Reject(source, os_error_reason(exc))
            return
    yield from read_bytes(source, data, options, name=os.path.basename(path))


def read_bytes(
    source: str, data: bytes, options: ReadOptions, name: str = "", depth: int = 0
) -> Iterator[RawDocument | Reject]:
    try:
        if not data.strip():
            raise ReadError("empty file" if not data else "empty file (only white space)")
        head = data[:HEAD_BYTES]
        if sniff.is_gzip(head):
            inner = name[:-3] if name.lower().endswith(".gz") else name + ".out"
            yield from _nested(f"{source}!{inner}", _gunzip(data, options), options, inner, depth)
        elif sniff.is_zip(head):
            yield from _zip(source, data, options, depth)
        elif sniff.is_warc(head):
            from wiretrace.readers.warc import read_warc

            yield from read_warc(source, data, options)
        else:
            kind = sniff.binary_kind(head)
            if kind:
                raise ReadError(f"binary file (no text found: looks like {kind})")
            decoded = decode(data)
            yield from documents.parse(source, data, decoded, name)
    except ReadError as exc:
        yield Reject(source, exc.reason)


def _nested(source, data, options, name, depth):
    if depth >= MAX_NESTING:
        raise ReadError(f"archives nested more than {MAX_NESTING} deep")
    yield from read_bytes(source, data, options, name, depth + 1)


def _gunzip(data: bytes, options: ReadOptions) -> bytes:
    """Decompress every gzip member, refusing to inflate past the size limit."""
    out = []
    total = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(wbits=31)
            chunk = d.decompress(rest, options.max_bytes + 1 - total)
            total += len(chunk)
            out.append(chunk)
            if total > options.max_bytes:
                raise ReadError(over_limit_reason(total, options.max_bytes, "decompressed content"))
            if not d.eof:
                raise ReadError("truncated gzip: compressed stream ended early")
            rest = d.unused_data
            if rest and not sniff.is_gzip(rest[:4]):
                break  # trailing garbage after the last member: gzip(1) ignores it too
    except zlib.error as exc:
        raise ReadError(f"corrupt gzip data: {exc}") from None
    return b"".join(out)


def _zip(source: str, data: bytes, options: ReadOptions, depth: int) -> Iterator[RawDocument | Reject]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"corrupt zip archive: {exc}") from None
    for info in members:
        member_source = f"{source}!{info.filename}"
        base = info.filename.rsplit("/", 1)[-1]
        if base.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue
        if info.file_size > options.max_bytes:
            yield Reject(member_source, over_limit_reason(info.file_size, options.max_bytes))
            continue
        try:
            member = archive.read(info)
        except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError) as exc:
            yield Reject(member_source, f"cannot read this zip member: {exc}")
            continue
        try:
            yield from _nested(member_source, member, options, base, depth)
        except ReadError as exc:
            yield Reject(member_source, exc.reason)
