"""`wiretrace serve`: the archive in a browser (HTML pages) and for programs (JSON under /api/).

Read-only: every worker thread opens the archive with ``mode=ro`` (SQLite WAL lets it read
while an ingest writes). Pages are the Jinja templates of the report (``wiretrace.pages``),
autoescaped; nothing from a capture is ever rendered as markup, and the
Content-Security-Policy allows no script at all and styles only from /static/. Path and query
parameters are validated by pattern and range; errors are short plain pages (JSON under /api/)
without tracebacks.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from wiretrace.archive import Archive
from wiretrace.errors import NotFound, SearchUnavailable, WiretraceError
from wiretrace.pages import diff_view, render, story_context, stylesheet
from wiretrace.search_view import hits_view

log = logging.getLogger("wiretrace.web")

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PAGE = 50  # stories per page

# What a path or query parameter may hold. Article ids are 12 hex digits (a unique prefix of
# at least 4 is accepted, as on the command line); story ids s…, cluster ids c….
ARTICLE_ID = r"^[0-9a-f]{4,12}$"
STORY_ID = r"^[sc][0-9a-f]{4,12}$"
WHEN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
OUTLET = r"^[^\x00-\x1f<>]{1,64}$"

ArticleId = Annotated[str, Query(pattern=ARTICLE_ID)]
Since = Annotated[str | None, Query(pattern=WHEN)]
Text = Annotated[str | None, Query(max_length=200)]
Outlet = Annotated[str | None, Query(pattern=OUTLET)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


class _Archives(threading.local):
    """One read-only connection per worker thread (sqlite3 connections are not shared)."""

    def __init__(self, path: Path):
        self.path = path
        self.archive: Archive | None = None

    def get(self) -> Archive:
        if self.archive is None:
            self.archive = Archive(self.path, readonly=True)
        return self.archive


def create_app(db: str | Path) -> FastAPI:
    """The web application over the archive at ``db`` (which must exist)."""
    with Archive(db, readonly=True):  # fail now, with the archive's own message, not per request
        pass
    archives = _Archives(Path(db))
    app = FastAPI(
        title="wiretrace", version="1", docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
        openapi_url="/api/openapi.json",
        description="Stories, articles, search and diffs of a wiretrace archive (read-only).",
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        page = render("error.html", status=status, message=message)
        return HTMLResponse(page, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return error(request, 400, f"bad request ({where})")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return error(request, 404, str(exc))

    @app.exception_handler(SearchUnavailable)
    async def search_unavailable(request: Request, exc: SearchUnavailable):
        return error(request, 503, str(exc))  # the archive is fine; its owner must build the index

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.exception("error answering %s", request.url.path)  # to the server's log, not the page
        message = str(exc) if isinstance(exc, WiretraceError) else "internal error"
        return error(request, 500, message)

    # -- JSON API ------------------------------------------------------------------------------

    @app.get("/api/stories", summary="Stories, newest first (as `wiretrace stories --json`)")
    def api_stories(q: Text = None, outlet: Outlet = None, since: Since = None, until: Since = None,
                    limit: Limit = PAGE, offset: Offset = 0) -> list[dict[str, Any]]:
        return archives.get().stories(query=q, outlet=outlet, since=since, until=until, limit=limit, offset=offset)

    @app.get("/api/stories/{story_id}", summary="One story (as `wiretrace story ID --json`)")
    def api_story(story_id: Annotated[str, _path(STORY_ID)]) -> dict[str, Any]:
        return archives.get().story(story_id)

    @app.get("/api/articles/{article_id}", summary="One article (as `wiretrace show ID --json`)")
    def api_article(article_id: Annotated[str, _path(ARTICLE_ID)]) -> dict[str, Any]:
        archive = archives.get()
        article = archive.article(article_id)
        return {**article.to_dict(), "normalized": archive.normalized(article.id).text,
                "capture": archive.capture(article.id)}

    @app.get("/api/search", summary="Articles whose title or body hold every word, either script")
    def api_search(q: Annotated[str, Query(min_length=1, max_length=200)],
                   limit: Limit = PAGE, offset: Offset = 0) -> list[dict[str, Any]]:
        archive = archives.get()
        return [
            {"id": h["id"], "title": h["article"].title, "outlet": h["article"].outlet,
             "published": h["article"].published, "story": h["story"], "matches": h["matches"]}
            for h in hits_view(archive, q, limit=limit, offset=offset)
        ]

    @app.get("/api/diff", summary="The alignment of two articles (as `wiretrace diff A B --json`)")
    def api_diff(a: ArticleId, b: ArticleId) -> dict[str, Any]:
        return archives.get().diff(a, b)

    # -- pages ---------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/stories", status_code=302)

    @app.get("/static/wiretrace.css", include_in_schema=False)
    def css():
        return Response(stylesheet(), media_type="text/css; charset=utf-8")

    @app.get("/stories", response_class=HTMLResponse, include_in_schema=False)
    def stories_page(q: Text = None, outlet: Outlet = None, since: Since = None, until: Since = None,
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1):
        archive = archives.get()
        rows = archive.stories(query=q, outlet=outlet, since=since, until=until, limit=PAGE + 1,
                               offset=(page - 1) * PAGE)
        filters = {"q": q or "", "outlet": outlet or "", "since": since or "", "until": until or ""}
        return render("stories.html", stories=rows[:PAGE], more=len(rows) > PAGE, page=page,
                      filters=filters, outlets=archive.outlets())

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(story_id: Annotated[str, _path(STORY_ID)]):
        return render("story.html", **story_context(archives.get(), story_id, all_diffs=False))

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(article_id: Annotated[str, _path(ARTICLE_ID)]):
        archive = archives.get()
        article = archive.article(article_id)
        capture = archive.capture(article.id)
        return render(
            "article.html", article=article, capture=capture, raw=archive.document(article.id).content,
            relations=archive.relations_of(article.id), story=archive.story_of(article.id),
        )

    @app.get("/diff", response_class=HTMLResponse, include_in_schema=False)
    def diff_page(a: ArticleId, b: ArticleId):
        d = diff_view(archives.get(), a, b)
        return render("diff.html", d=d)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(q: Annotated[str, Query(max_length=200)] = "", page: Annotated[int, Query(ge=1, le=10_000)] = 1):
        hits = hits_view(archives.get(), q, limit=PAGE + 1, offset=(page - 1) * PAGE) if q.strip() else []
        return render("search.html", q=q, hits=hits[:PAGE], more=len(hits) > PAGE, page=page)

    return app


def _path(pattern: str):
    from fastapi import Path as PathParam

    return PathParam(pattern=pattern)


def serve(db: str | Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(create_app(db), host=host, port=port, log_level="warning", server_header=False)
