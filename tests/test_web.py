"""`wiretrace serve`: a real server (uvicorn, started as the user would) over real archives.

The API answers for the seeds; hostile captures are never rendered as markup; bad parameters
are plain 4xx pages; the server answers while an ingest writes; and a real Chromium (Debian's,
driven by Playwright) browses the story list, searches across scripts and opens a diff.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from wiretrace import Archive

CHROMIUM = "/usr/bin/chromium"
SEED_FULL, SEED_SHORT = "000_e6308b167f0f33d2.txt", "001_d7cc57b77e33e5f1.txt"
RTHK_TRADITIONAL = "2021-01-06-RTHK-53人發起或參與民主派初選-涉顛覆國家政權罪被捕.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(db: Path):
    """`wiretrace serve` in its own process, as a user starts it; stopped at the end."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wiretrace", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/stories?limit=1", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start: {proc.stderr.read().decode()}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def full_db(corpus, seeds, tmp_path_factory):
    """The corpus sample and the seeds, as the browser test and the API tests see them."""
    db = tmp_path_factory.mktemp("web") / "full.db"
    with Archive(db) as archive:
        archive.ingest([str(corpus), str(seeds / SEED_FULL), str(seeds / SEED_SHORT)])
    return db


@pytest.fixture(scope="module")
def full(full_db):
    with server(full_db) as base:
        yield base


def ids_by_name(db: Path) -> dict[str, str]:
    with Archive(db, readonly=True) as archive:
        return {Path(a.path).name: a.id for a in archive.articles()}


def cli_json(db: Path, *args: str):
    out = subprocess.run([sys.executable, "-m", "wiretrace", *args, "--json", "--db", str(db)],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(x) for x in out.splitlines()]


def seeds_story(base: str, db: Path) -> dict:
    ids = ids_by_name(db)
    hits = httpx.get(base + "/api/stories", params={"q": "网络空间国际规则", "limit": 200}).json()
    (story,) = [s for s in hits if ids[SEED_FULL] in s["articles"]]
    return story


# ---------------------------------------------------------------- the JSON API
def test_api_answers_for_the_seeds_as_the_cli_does(full, full_db):
    ids = ids_by_name(full_db)
    story = seeds_story(full, full_db)
    assert (story["source"], story["fullest"], story["earliest"]) == ("新华社", ids[SEED_FULL], ids[SEED_SHORT])
    assert story in cli_json(full_db, "stories")

    one = httpx.get(f"{full}/api/stories/{story['id']}").json()
    assert one == cli_json(full_db, "story", story["id"])[0]
    assert [m["relation"] for m in one["timeline"]] == ["abridged", "fullest"]

    article = httpx.get(f"{full}/api/articles/{ids[SEED_SHORT]}").json()
    assert article == cli_json(full_db, "show", ids[SEED_SHORT])[0]

    diff = httpx.get(f"{full}/api/diff", params={"a": ids[SEED_SHORT], "b": ids[SEED_FULL]}).json()
    assert diff == cli_json(full_db, "diff", ids[SEED_SHORT], ids[SEED_FULL])[0]

    spec = httpx.get(f"{full}/api/openapi.json").json()
    assert {"/api/stories", "/api/stories/{story_id}", "/api/articles/{article_id}", "/api/search",
            "/api/diff"} <= set(spec["paths"])


def test_api_lists_newest_first_with_filters_and_paging(full):
    page1 = httpx.get(f"{full}/api/stories", params={"limit": 20}).json()
    page2 = httpx.get(f"{full}/api/stories", params={"limit": 20, "offset": 20}).json()
    assert len(page1) == len(page2) == 20 and not {s["id"] for s in page1} & {s["id"] for s in page2}
    assert page1[0]["published"][1].startswith("2021-07-01")  # the seeds are the newest story
    rthk = httpx.get(f"{full}/api/stories", params={"outlet": "香港電台", "until": "2021-01-05"}).json()
    assert rthk and all("香港電台" in s["outlets"] for s in rthk)


def test_search_crosses_scripts_and_marks_the_original_text(full, full_db):
    ids = ids_by_name(full_db)
    for query in ("颠覆国家政权罪被捕", "顛覆國家政權罪被捕"):
        hits = httpx.get(f"{full}/api/search", params={"q": query}).json()
        hit = next(h for h in hits if h["id"] == ids[RTHK_TRADITIONAL])
        # the match is reported in the article's own (traditional) script
        assert {"field": "title", "text": "顛覆國家政權罪被捕"}.items() <= hit["matches"][0].items()
    page = httpx.get(f"{full}/search", params={"q": "颠覆国家政权罪被捕"}).text
    assert "<mark>顛覆國家政權罪被捕</mark>" in page
    two_chars = httpx.get(f"{full}/api/search", params={"q": "伊朗"}).json()  # below the trigram length
    assert two_chars and all(any("伊朗" in m["text"] for m in h["matches"]) for h in two_chars)


# ---------------------------------------------------------------- safety
HOSTILE = [
    ("script.html", "<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt;標題一</title></head><body><article>"
     "<p>正文：&lt;script&gt;document.title='pwned'&lt;/script&gt;這是一篇足夠長的測試報道，說明抽取器會把它當作正文。</p>"
     "<p>第二段：記者在現場看到很多人排隊等候，場面非常混亂，警方到場維持秩序。</p></article></body></html>"),
    ("onerror.html", "<html><head><title>&lt;img src=x onerror=alert(2)&gt;標題二</title></head><body><article>"
     "<p>正文：&lt;img src=x onerror=alert(2)&gt; 這是第二篇足夠長的測試報道，抽取器會把它當作正文處理。</p>"
     "<p>第二段：&lt;a href=\"javascript:alert(3)\"&gt;點我&lt;/a&gt; 記者說現場情況仍在發展之中。</p></article></body></html>"),
    ("raw.txt", "標題三 <script>alert(4)</script>\n\n正文 <iframe src=javascript:alert(5)></iframe> "
     "這是一個純文字的抓取檔，內容本身就帶有標記，必須當作文字顯示。\n\n第二段，再多幾句話讓它成為正文。"),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for name, text in HOSTILE:
        (folder / name).write_text(text, encoding="utf-8")
    db = folder / "h.db"
    with Archive(db) as archive:
        archive.ingest([str(folder / name) for name, _ in HOSTILE])
        ids = [a.id for a in archive.articles()]
        stories = [s["id"] for s in archive.stories()]
    with server(db) as base:
        yield base, ids, stories


def test_hostile_captures_are_text_everywhere(hostile):
    base, ids, stories = hostile
    pages = [f"/articles/{i}" for i in ids] + [f"/stories/{s}" for s in stories]
    pages += ["/stories", "/search?q=alert", f"/diff?a={ids[0]}&b={ids[1]}"]
    for path in pages:
        r = httpx.get(base + path)
        assert r.status_code == 200, path
        assert "script-src" not in r.headers["content-security-policy"]  # so no script may run
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        html = r.text
        assert "<script" not in html and "<iframe" not in html and "<img" not in html, path
        assert 'href="javascript' not in html and "onerror=alert(2)>" not in html, path
    article = httpx.get(f"{base}/articles/{ids[0]}").text + httpx.get(f"{base}/articles/{ids[2]}").text
    assert "&lt;script&gt;" in article  # shown, as text


def test_bad_parameters_are_plain_4xx_without_tracebacks(hostile):
    base, ids, _ = hostile
    cases = {
        "/articles/zz": 400, "/articles/..%2F..%2Fetc%2Fpasswd": 404, "/articles/0000": 404,
        "/stories/s000000000000": 404, "/stories/<script>": 400, "/diff?a=1&b=2": 400,
        "/stories?since=yesterday": 400, "/stories?page=0": 400, "/api/stories?limit=100000": 400,
        "/api/articles/abc'--": 400, "/api/search": 400, "/nowhere": 404,
    }
    for path, status in cases.items():
        r = httpx.get(base + path)
        assert r.status_code == status, (path, r.status_code)
        assert "Traceback" not in r.text and 'File "' not in r.text, path
        if path.startswith("/api/"):
            assert set(r.json()) == {"error"}, path
    r = httpx.get(f"{base}/articles/{'<script>alert(1)</script>'}")
    assert r.status_code in (400, 404) and "<script>alert" not in r.text


def test_server_answers_during_a_concurrent_ingest(corpus, tmp_path):
    db = tmp_path / "busy.db"
    files = sorted(corpus.glob("2021-01-0[45]-*"))
    with Archive(db) as archive:
        archive.ingest([str(p) for p in files[:40]])
    more = tmp_path / "more"
    more.mkdir()
    for p in files[40:]:
        shutil.copy(p, more / p.name)
    with server(db) as base:
        before = len(httpx.get(base + "/api/stories", params={"limit": 200}).json())
        ingest = subprocess.Popen([sys.executable, "-m", "wiretrace", "ingest", str(more), "--db", str(db), "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        answered = 0
        while ingest.poll() is None:
            for path in ("/api/stories?limit=20", "/stories", "/search?q=%E7%96%AB%E6%83%85"):
                r = httpx.get(base + path, timeout=30)
                assert r.status_code == 200, (path, r.text[:300])
                answered += 1
        assert ingest.returncode == 0, ingest.stderr.read().decode()
        assert answered >= 6  # the ingest took long enough to be overlapped
        after = httpx.get(base + "/api/stories", params={"limit": 200}).json()
        assert len(after) > before  # and what it wrote is served without a restart


def test_search_without_its_index_is_503_until_indexed(seeds, tmp_path):
    db = tmp_path / "unindexed.db"
    with Archive(db) as archive:
        archive.ingest([str(seeds / SEED_FULL), str(seeds / SEED_SHORT)], search=False)
    with server(db) as base:
        for path in ("/api/search?q=网络空间", "/api/stories?q=网络空间", "/search?q=网络空间"):
            r = httpx.get(base + path)
            assert r.status_code == 503, (path, r.status_code)
            assert "run `wiretrace index`" in (r.json()["error"] if path.startswith("/api/") else r.text), path
            assert "Traceback" not in r.text
        assert httpx.get(base + "/api/stories").status_code == 200  # the rest of the archive is served
        subprocess.run([sys.executable, "-m", "wiretrace", "index", "--db", str(db)], check=True, capture_output=True)
        ids = ids_by_name(db)
        r = httpx.get(base + "/api/search", params={"q": "网络空间"})  # the same server, no restart
        assert r.status_code == 200
        assert {ids[SEED_FULL], ids[SEED_SHORT]} <= {hit["id"] for hit in r.json()}


# ---------------------------------------------------------------- a real browser
def test_browser_story_list_search_story_and_diff(full, full_db, tmp_path):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("WIRETRACE_REQUIRE_BROWSER"):  # .ci/run installs it: missing is a failure
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import expect, sync_playwright

    ids = ids_by_name(full_db)
    story = seeds_story(full, full_db)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        violations = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

        page.goto(full + "/stories")
        expect(page.get_by_role("heading", name="Stories")).to_be_visible()
        expect(page.get_by_role("link", name=story["title"])).to_be_visible()  # newest first: page 1
        page.screenshot(path=str(tmp_path / "stories.png"), full_page=True)

        # search in simplified, find the traditional RTHK report, its words marked in its own script
        page.get_by_role("searchbox", name="search").fill("颠覆国家政权罪被捕")
        page.get_by_role("button", name="search").click()
        hit = page.locator(f'a[href="/articles/{ids[RTHK_TRADITIONAL]}"]')
        expect(hit).to_be_visible()
        expect(hit.locator("mark")).to_have_text("顛覆國家政權罪被捕")
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

        # the seeds' story: provenance and timeline
        page.goto(f"{full}/stories/{story['id']}")
        expect(page.get_by_role("heading", name=story["title"])).to_be_visible()
        provenance = page.locator("table").first
        expect(provenance).to_contain_text("新华社")
        expect(provenance).to_contain_text(ids[SEED_FULL])
        expect(page.get_by_text("abridged", exact=True)).to_be_visible()
        page.screenshot(path=str(tmp_path / "story.png"), full_page=True)

        # the diff, with kept / dropped / added painted in the original scripts
        page.get_by_role("link", name="diff").first.click()
        expect(page).to_have_url(f"{full}/diff?a={ids[SEED_FULL]}&b={ids[SEED_SHORT]}")
        expect(page.locator(".diff .dropped").first).to_be_visible()
        expect(page.locator(".diff .added").first).to_be_visible()
        expect(page.locator(".diff")).to_contain_text("据新华社报道")  # what 联合早报 added
        page.screenshot(path=str(tmp_path / "diff.png"), full_page=True)
        browser.close()
    assert violations == []
    assert all((tmp_path / f"{n}.png").stat().st_size > 10_000 for n in ("stories", "search", "story", "diff"))
