"""The compiled matcher gives difflib's matching blocks exactly (align's character step
depends on it: kept/dropped spans and shares must not move when numba is there or not)."""

from __future__ import annotations

from difflib import SequenceMatcher

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.link.matcher import matching_blocks


def difflib_blocks(a: str, b: str) -> list[tuple[int, int, int]]:
    return [tuple(m) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()[:-1]]


# a small alphabet makes many repeats and ties (the earliest-block rule), the CJK and astral
# letters check code points beyond one byte
ALPHABET = "ab的在中国𠀀"


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, max_size=40), st.text(ALPHABET, max_size=40))
def test_blocks_equal_difflib_on_repetitive_text(a, b):
    assert matching_blocks(a, b) == difflib_blocks(a, b)


@settings(max_examples=200, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=40), st.integers(0, 39))
def test_blocks_of_the_same_sentence_and_of_one_char_apart(a, at):
    # the same sentence takes a shortcut (most pairs of a reprint); one char changed must not
    assert matching_blocks(a, a) == difflib_blocks(a, a) == [(0, 0, len(a))]
    at %= len(a)
    b = a[:at] + ("在" if a[at] != "在" else "中") + a[at + 1:]
    assert matching_blocks(a, b) == difflib_blocks(a, b)


def test_blocks_equal_difflib_on_reprinted_sentences():
    pairs = [
        ("中国常驻联合国代表张军29日表示各国应以交流合作代替对抗", "据新华社报道张军29日说各国应以交流合作代替对抗"),
        ("他指出维护国际和平与安全是安理会的首要责任", "他指出应以交流合作维护国际和平"),
        ("路透测算的人民币中间价料贬至65444元附近", "路透测算的人民币中间价料升至64978元附近"),
        ("", "非空"),
        ("同一句话", "同一句话"),
        ("的的的的的的的的", "的的的在的的的"),
    ]
    for a, b in pairs:
        assert matching_blocks(a, b) == difflib_blocks(a, b), (a, b)
    assert matching_blocks("同一句话", "同一句话") == [(0, 0, 4)]


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, min_size=1, max_size=30), st.text(ALPHABET, max_size=20),
       st.text(ALPHABET, max_size=20), st.booleans())
def test_blocks_equal_difflib_when_one_sentence_holds_the_other(inner, before, after, swap):
    # a sentence kept whole, or inside a longer one (most aligned pairs of reprints): one
    # block, at the short one's first occurrence when it repeats (difflib's earliest on ties)
    a, b = inner, before + inner + after
    if swap:
        a, b = b, a
    assert matching_blocks(a, b) == difflib_blocks(a, b)


def test_kernel_cache_is_renamed_when_any_source_of_the_package_changes(tmp_path):
    # numba checks only a kernel's own file; pick inlines blocks from another one
    from wiretrace.compiled import cache_dir

    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "pairing.py").write_text("def pick(): return blocks()\n")
    (tmp_path / "link" / "matcher.py").write_text("def blocks(): return 1\n")
    (tmp_path / "normalize.py").write_text("def fold(): return 1\n")
    before = cache_dir(tmp_path, ("link/*.py", "normalize.py"))
    assert before == cache_dir(tmp_path, ("link/*.py", "normalize.py"))
    (tmp_path / "link" / "matcher.py").write_text("def blocks(): return 2\n")
    after = cache_dir(tmp_path, ("link/*.py", "normalize.py"))
    assert after != before
    (tmp_path / "normalize.py").write_text("def fold(): return 2\n")
    assert cache_dir(tmp_path, ("link/*.py", "normalize.py")) != after


def test_every_file_with_kernels_names_the_cache():
    from pathlib import Path

    import wiretrace
    from wiretrace.compiled import KERNEL_SOURCES

    package = Path(wiretrace.__file__).parent
    hashed = {f for pattern in KERNEL_SOURCES for f in package.glob(pattern)}
    users = {f for f in package.rglob("*.py") if "from wiretrace.compiled import" in f.read_text(encoding="utf-8")
             or "import_module(\"wiretrace.compiled\")" in f.read_text(encoding="utf-8")}
    assert users and users <= hashed, sorted(str(f) for f in users - hashed)
