"""stories: same-event groups of articles, and each group's provenance.

    matching forms ──similarity.EventIndex──▶ event scores
    reprint clusters + event scores ──grouping.group_stories──▶ stories
    story members + link.align ──provenance.provenance──▶ source, fullest, earliest, edits

Pure, storage-free functions; the archive stores their results and the CLI prints them.
See docs/stories.md for the method and every knob.
"""

from __future__ import annotations

from .grouping import group_stories, story_id, story_units
from .provenance import StoriesError, agency, content_chars, default_align, provenance
from .similarity import EventIndex, Features, StoryDoc, event_score, features, signals

__all__ = [
    "EventIndex", "Features", "StoriesError", "StoryDoc", "agency", "content_chars", "default_align",
    "event_score", "features", "group_stories", "provenance", "signals", "story_id", "story_units",
]
