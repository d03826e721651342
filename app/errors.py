"""The errors kbqa raises on purpose.

Library code raises these with a message that names the bad value and, where there is one,
the fix; the CLI and UI turn them into messages and exit codes. Anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


class KbqaError(Exception):
    """Base class: an expected failure with a message meant for the user. ``exit_code`` is
    what the CLI exits with; ``status`` the HTTP status a server answers with (503: kbqa
    cannot answer now, nothing the request could change)."""

    exit_code = 1
    status = 503


@dataclass(frozen=True, order=True)
class CorpusIssue:
    """One problem in a corpus file, located by path and 1-based line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class CorpusError(KbqaError):
    """The corpus does not parse or validate; carries every issue found, sorted."""

    def __init__(self, issues: list[CorpusIssue]):
        self.issues = sorted(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class IndexProblem(KbqaError):
    """The index is missing, stale or corrupt; the message names the rebuild command."""


class ModelError(KbqaError):
    """The embedding model package is missing or unusable."""


class InputError(KbqaError):
    """A question kbqa refuses to answer as given (empty, too long, not text)."""

    exit_code = 2
    status = 400
