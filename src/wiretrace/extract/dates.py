"""Publication dates the way Chinese news prints them, as ISO 8601.

Place in the flow: extract harvests dates from the head and tail lines of a
capture (before chrome removal) and from the container's metadata; this
module turns one piece of text into a ``Stamp``.

Output contract (CLI.md): a date alone when only the date is known; a time is
only printed with its UTC offset. A time printed without a zone gets the
outlet's zone when the outlet is known (``OUTLET_TZ``), else only its date is
kept. htmldate is not used: it reads ``2021年07月01日`` as 2021-01-01.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

# Zones of outlets that print local times without an offset. Chosen by
# comparing printed times with the aggregator's fetch times over the corpus
# sample (docs/extraction.md, "Time zones"): read as UTC, 5% of RFI times
# would be after their own fetch; read as Paris time none are (min lead
# 0.06 h over 467 posts). JOINS read as +09:00: leads 0.03-1.8 h over 62 posts.
# "paris" is resolved with the EU summer-time rule below.
OUTLET_TZ: dict[str, str] = {
    "rfi": "paris",
    "joins": "+09:00",
    "kyodo": "+09:00",
    "cna": "+08:00",
    "rthk": "+08:00",
    "zaobao.com": "+08:00",
}


@dataclass(frozen=True)
class Stamp:
    iso: str
    has_time: bool


@lru_cache(maxsize=256)  # an archive's dates name a handful of offsets
def _fixed(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hh, mm = offset[1:].replace(":", "")[:2], offset[1:].replace(":", "")[2:4] or "00"
    return timezone(sign * timedelta(hours=int(hh), minutes=int(mm)))


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def _paris(local: datetime) -> timezone:
    # EU rule: summer time from the last Sunday of March to the last Sunday of
    # October (switch hours ignored: a printed news time in that hour is rare).
    start, end = _last_sunday(local.year, 3), _last_sunday(local.year, 10)
    return timezone(timedelta(hours=2 if start <= local.date() < end else 1))


def zone_for(outlet_key: str | None, local: datetime) -> timezone | None:
    tz = OUTLET_TZ.get((outlet_key or "").lower())
    if tz is None:
        return None
    return _paris(local) if tz == "paris" else _fixed(tz)


def _fraction(frac: str | None) -> str:
    """Keep fractional seconds as written, drop them when they are all zeros."""
    if not frac or not frac.strip(".0"):
        return ""
    return frac[:7]


def _fmt(d: datetime, frac: str = "") -> str:
    # isoformat, not strftime: a third of the time, and a year below 1000 keeps four digits
    s = d.replace(tzinfo=None).isoformat(timespec="seconds") + frac
    off = d.utcoffset()
    assert off is not None
    total = int(off.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{s}{sign}{total // 60:02d}:{total % 60:02d}"


def _stamp(y: int, mo: int, d: int, hh: int | None = None, mi: int | None = None, ss: int = 0,
           frac: str = "", tz: timezone | None = None, outlet: str | None = None) -> Stamp | None:
    try:
        day = date(y, mo, d)
    except ValueError:
        return None
    if hh is None or mi is None or not (0 <= hh < 24 and 0 <= mi < 60 and 0 <= ss < 61):
        return Stamp(day.isoformat(), False)
    local = datetime(y, mo, d, hh, mi, min(ss, 59))
    tz = tz or zone_for(outlet, local)
    if tz is None:  # a time without a known zone is not printed (CLI.md)
        return Stamp(day.isoformat(), False)
    return Stamp(_fmt(local.replace(tzinfo=tz), _fraction(frac)), True)


def _infer_year(mo: int, d: int, ref: datetime | None) -> int | None:
    """The year that puts month/day nearest before the capture (a day of slack for zones)."""
    if ref is None:
        return None
    for y in (ref.year, ref.year - 1):
        try:
            if date(y, mo, d) <= ref.date() + timedelta(days=1):
                return y
        except ValueError:
            continue
    return None


_TZ = r"\s?(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?"
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?" + _TZ + r")?(?!\d)"
)
_SLASHED = re.compile(r"(?<!\d)(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?(?!\d)")
# RFI: 04/01/2021 - 11:32 (day first, European)
_DMY = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?:\s*-?\s*(\d{1,2}):(\d{2}))?(?!\d)")
_CJK = re.compile(
    r"(?<!\d)(\d{2,4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]"
    r"(?:\s*(?:(上午|下午|早上|晚上|凌晨|中午)\s*)?(\d{1,2})\s*[:：時时点點]\s*(\d{1,2})\s*分?)?"
)
_MD_TIME = re.compile(r"(?<![\d-])(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})(?![\d])")
_MD_CJK = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]")
_RELATIVE = re.compile(r"(\d+)\s*(秒|分钟|分鐘|分|小时|小時|天|日)\s*[前以]")
_ROC_CODE = re.compile(r"(?<!\d)(1\d{2})(\d{2})(\d{2})(?!\d)")


def _pm(word: str | None, hh: int) -> int:
    return hh + 12 if word in ("下午", "晚上") and hh < 12 else hh


def parse_date(text: str, ref: datetime | None = None, outlet: str | None = None) -> Stamp | None:
    """The first date written in ``text``; ``ref`` (the capture time) fills in a missing year."""
    m = _ISO.search(text)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        if m[4] is None:
            return _stamp(y, mo, d)
        tz = None
        if m[8]:
            z = m[8].strip()
            tz = timezone.utc if z in ("Z", "UTC", "GMT") else _fixed(z)
        return _stamp(y, mo, d, int(m[4]), int(m[5]), int(m[6] or 0), m[7] or "", tz, outlet)
    m = _CJK.search(text)
    if m:
        y = int(m[1])
        if y < 1000:  # 民國 year
            y += 1911
        hh = _pm(m[4], int(m[5])) if m[5] else None
        return _stamp(y, int(m[2]), int(m[3]), hh, int(m[6]) if m[6] else None, outlet=outlet)
    m = _SLASHED.search(text)
    if m:
        return _stamp(int(m[1]), int(m[2]), int(m[3]), int(m[4]) if m[4] else None,
                      int(m[5]) if m[5] else None, int(m[6] or 0), outlet=outlet)
    m = _DMY.search(text)
    if m:
        return _stamp(int(m[3]), int(m[2]), int(m[1]), int(m[4]) if m[4] else None,
                      int(m[5]) if m[5] else None, outlet=outlet)
    m = _MD_TIME.search(text)
    if m:
        y = _infer_year(int(m[1]), int(m[2]), ref)
        if y is not None:
            return _stamp(y, int(m[1]), int(m[2]), int(m[3]), int(m[4]), outlet=outlet)
    m = _MD_CJK.search(text)
    if m:
        y = _infer_year(int(m[1]), int(m[2]), ref)
        if y is not None:
            return _stamp(y, int(m[1]), int(m[2]))
    m = _RELATIVE.search(text)
    if m and ref is not None and ref.tzinfo is not None:
        n, unit = int(m[1]), m[2]
        if unit in ("天", "日"):
            return Stamp((ref - timedelta(days=n)).date().isoformat(), False)
        delta = {"秒": timedelta(seconds=n), "小时": timedelta(hours=n), "小時": timedelta(hours=n)}.get(
            unit, timedelta(minutes=n))
        return Stamp(_fmt(ref - delta), True)
    return None


def roc_code(text: str) -> Stamp | None:
    """CNA's Minguo date code after the editor line: ``1100103`` -> 2021-01-03."""
    m = _ROC_CODE.search(text)
    return _stamp(int(m[1]) + 1911, int(m[2]), int(m[3])) if m else None


def day_of_month(day: int, ref: datetime | None) -> Stamp | None:
    """A dateline's bare day (``台北3日電``): the latest such day not after the capture."""
    if ref is None:
        return None
    y, mo = ref.year, ref.month
    for _ in range(2):
        try:
            d = date(y, mo, day)
            if d <= ref.date() + timedelta(days=1):
                return Stamp(d.isoformat(), False)
        except ValueError:
            pass
        y, mo = (y, mo - 1) if mo > 1 else (y - 1, 12)
    return None


def parse_capture_time(value: object) -> tuple[datetime | None, Stamp | None]:
    """A container's date (front matter, WARC-Date): as a datetime for inference and as a Stamp.

    The string is read as written so ``2021-06-30T03:41:54.677Z`` keeps its
    milliseconds; a YAML-parsed datetime is accepted too.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value, Stamp(value.date().isoformat(), False)
        ms = f".{value.microsecond // 1000:03d}" if value.microsecond else ""
        return value, Stamp(_fmt(value.replace(microsecond=0), ms), True)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), Stamp(value.isoformat(), False)
    if not isinstance(value, str):
        return None, None
    m = _ISO.search(value)
    if not m:
        return None, parse_date(value)
    st = parse_date(m.group(0))
    if st is None:
        return None, None
    if st.has_time:
        return datetime.fromisoformat(st.iso), st
    # a date, or a time without a zone: good enough to infer a year, not to print a time
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    return datetime(y, mo, d, int(m[4] or 0), int(m[5] or 0)), st
