"""wiretrace: trace news stories across outlets.

The Python API is the product; the ``wiretrace`` command is a thin layer over it::

    from wiretrace import Archive
    archive = Archive("news.db")
    archive.ingest(["captures/"])
    for article in archive.articles():
        print(article.title, article.outlet, article.wire)
"""

__version__ = "0.1.0"

from wiretrace.archive import Archive  # noqa: E402
from wiretrace.model import Article, Passage, RawDocument, Reject, Relation  # noqa: E402

__all__ = ["Archive", "Article", "Passage", "RawDocument", "Reject", "Relation", "__version__"]
