"""The records that flow between wiretrace's stages.

readers  -> RawDocument (or Reject)
extract  -> Article
normalize-> Normalized (matching form + offset map back to Article.body)
link     -> Passage, Relation

Each stage is a plain function from one record to the next; only ``archive``
stores them. Field names here are the names used in JSON, SQL and the CLI.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from dataclasses import dataclass, field, asdict
from typing import Any, NamedTuple


@dataclass(frozen=True)
class RawDocument:
    """One capture as read from disk, before extraction.

    ``source`` is the capture's stable key: the absolute path of the file, with
    ``!member`` appended for a member of a .zip/.gz and ``#key`` for one record
    of a multi-record file (a JSON Lines line, a WARC record, a feed item).
    ``data`` holds the capture's own bytes exactly as read: the archive keeps
    them so extraction can be re-run without the original file.
    """

    source: str
    data: bytes
    format: str  # html | text | frontmatter | json | warc | feed
    encoding: str  # the codec the text was decoded with, e.g. "utf-8", "gb18030"
    content: str  # the payload to extract from (HTML or plain text)
    content_type: str  # "html" or "text": what ``content`` is
    meta: dict[str, Any] = field(default_factory=dict)
    # ``meta`` holds what the container itself says, under these keys when known:
    #   title, url, published (str as written), authors (list[str]), outlet,
    #   captured (ISO 8601 capture time: WARC-Date, feed fetch time),
    #   front_matter (the raw YAML mapping). A JSON record's other fields are in ``data``.
    warnings: tuple[str, ...] = ()

    @cached_property  # its id, the stored-already check and its blob all need it (ingest's reading workers)
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Reject:
    """An input that could not be used, with a reason a person understands."""

    source: str
    reason: str


@dataclass
class Article:
    """The clean text and metadata recovered from one capture (see CLI.md)."""

    id: str
    path: str
    title: str | None
    body: str
    published: str | None = None
    outlet: str | None = None
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    wire: list[str] = field(default_factory=list)
    script: str | None = None  # hans | hant | mixed | None (non-Chinese)
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ArticleText(NamedTuple):
    """What linking reads of an Article: the body it aligns and the metadata that orient a
    pair and tell an update from a reprint or another story (``link.orient``,
    ``link.classify``: dates, outlet, URL and headline)."""

    id: str
    title: str | None
    body: str
    published: str | None
    outlet: str | None
    url: str | None


def article_id(source: str, sha256: str) -> str:
    """A deterministic id: the same capture gets the same id in any engine and order."""
    return hashlib.sha256(f"{source}\0{sha256}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Passage:
    """An aligned pair of spans, one in each article's original body."""

    a: tuple[int, int]
    b: tuple[int, int]
    similarity: float


@dataclass
class Relation:
    """A verdict on two articles with its evidence (see CLI.md)."""

    a: str
    b: str
    relation: str  # duplicate | reprint | abridged | expanded | updated | partial
    a_in_b: float  # share of a's text found in b
    b_in_a: float
    passages: list[Passage] = field(default_factory=list)
    only_a: list[tuple[int, int]] = field(default_factory=list)
    only_b: list[tuple[int, int]] = field(default_factory=list)
