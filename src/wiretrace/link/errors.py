"""Errors the link stage raises on purpose (subclasses of the library's base error)."""

from wiretrace.errors import WiretraceError


class LinkError(WiretraceError):
    """Linking was given input it cannot work with (a malformed signature, key array, ...)."""
