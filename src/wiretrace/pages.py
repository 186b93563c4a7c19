"""HTML pages from the archive: the self-contained story report and the web UI's pages.

One set of Jinja templates (``wiretrace/templates``) serves both: ``standalone=True`` inlines
the stylesheet and drops every link to a server, so a report opens from disk with no network.
Every captured text is untrusted: autoescaping is on for every template, and nothing from a
capture is ever marked safe.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from wiretrace.archive import Archive
from wiretrace.diffrows import painted
from wiretrace.errors import WiretraceError


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("wiretrace", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
    )


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return resources.files("wiretrace").joinpath("templates/wiretrace.css").read_text(encoding="utf-8")


def render(template: str, *, standalone: bool = False, **context: Any) -> str:
    css = stylesheet() if standalone else ""
    context.setdefault("q", None)  # the search box of the header
    return environment().get_template(template).render(standalone=standalone, css=css, **context)


def diff_view(archive: Archive, a_id: str, b_id: str) -> dict[str, Any]:
    """A diff as the templates show it: the result, both articles, and painted rows."""
    result = archive.diff(a_id, b_id)
    a, b = archive.article(result["a"]), archive.article(result["b"])
    rows = painted(result, a, b, archive.normalized(a.id), archive.normalized(b.id))
    return {"result": result, "a": a, "b": b, "rows": rows}


def story_context(archive: Archive, story_id: str, *, all_diffs: bool) -> dict[str, Any]:
    """What story.html shows. ``all_diffs``: every member against the fullest, inline (the
    report); otherwise the page links to each diff instead."""
    story = archive.story(story_id)
    arts = {i: archive.article(i) for i in story["articles"]}
    edits = {m["id"]: m for m in story["members"]}
    diffs = []
    if all_diffs:
        for m in story["timeline"]:
            if m["id"] != story["fullest"]:
                d = diff_view(archive, story["fullest"], m["id"])
                d["relation"] = m["relation"]
                diffs.append(d)
    return {"story": story, "arts": arts, "edits": edits, "diffs": diffs}


def report(archive: Archive, story_id: str, out: str | os.PathLike) -> str:
    """Write the self-contained HTML report of one story (or cluster); returns its path.
    Written beside ``out`` and renamed, so a failure never leaves half a page."""
    html = render("story.html", standalone=True, **story_context(archive, story_id, all_diffs=True))
    tmp = f"{out}.partial"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(html)
        os.replace(tmp, out)
    except OSError as exc:
        raise WiretraceError(f"cannot write the report {out}: {exc.strerror or exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return str(out)
