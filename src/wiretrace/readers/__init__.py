"""readers: what people have on disk -> RawDocument (or Reject), one per capture.

Place in the flow: **readers** -> extract -> normalize -> link. ``expand``
lists the files to read; ``read_path`` reads one and yields every capture in it
(a post, each JSON/JSON Lines record, each WARC HTML response, each feed item,
each member of a .zip/.gz). Formats are sniffed from the content; encodings
are detected (``encoding``). Bad input is a Reject with a reason, never an
exception. See docs/formats.md.
"""

from wiretrace.readers.base import ReadOptions
from wiretrace.readers.core import STDIN_SOURCE, read_bytes, read_path
from wiretrace.readers.files import expand

__all__ = ["ReadOptions", "STDIN_SOURCE", "expand", "read_bytes", "read_path"]
