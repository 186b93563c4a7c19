"""Typed errors raised by the library; the CLI turns them into exit codes.

Exit codes (CLI.md): 0 success, 1 failure of the command, 2 bad usage.
"""


class WiretraceError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 1


class ArchiveError(WiretraceError):
    """The archive cannot be opened, read or upgraded."""


class NotFound(WiretraceError):
    """An id or path the user named does not exist in the archive."""


class SearchUnavailable(WiretraceError):
    """The archive's search index is not complete (``ingest --no-search``): searching now
    would silently miss articles."""


class UsageError(WiretraceError):
    """The command was called with arguments that cannot work."""

    exit_code = 2


class FormatError(WiretraceError):
    """A file or folder is not what wiretrace expects (``wiretrace import`` of a
    folder that is not a wiretrace Spark output)."""
