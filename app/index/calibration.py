"""The settings calibration fits, and the schema of ``index/calibration.json`` that holds them,
checked before a single setting is used.

The file is written by ``kbqa eval --calibrate`` (``app.maintain.calibrate.write_calibration``) but
anyone may edit it, and a wrong key there does not crash anything: it silently runs with
the default (a misspelt ``treshold``) or with a nonsense value (an ``alpha`` of 7). So
every field is checked against a strict schema, and the first problem is one line naming
the file, the key path and the field, e.g.
``index/calibration.json: languages.ru.settings.alpha: should be at most 1 (got 7)``.

A settings object may leave fields out: those take ``Settings``' defaults.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from app.errors import IndexProblem

FIX = "run `kbqa eval --calibrate` or delete it"
_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@dataclass(frozen=True)
class Settings:
    """Knobs fixed by calibration (``kbqa eval --calibrate``) and stored with the index."""

    alpha: float = 0.75  # weight of the dense score in the fused score
    threshold: float = 0.45  # below this fused score the guide does not cover the question
    high: float = 0.65  # fused score from which confidence is high
    medium: float = 0.55  # ... and medium; low below that (but above the threshold)
    quote_margin: float = 0.08  # further quotes must score within this of the first
    # Refuse when the nearest out-of-scope question's cosine exceeds the top passage's dense
    # score by more than this (a negative margin refuses even when it is slightly farther).
    out_of_scope_margin: float = 0.0


_DEFAULTS = Settings()


def _score(default: float, low: float = 0.0, high: float = 1.0) -> Any:
    return Field(default=default, ge=low, le=high, strict=True)


class SettingsRecord(BaseModel):
    """``Settings`` as stored: every knob a float in the range it can mean something in."""

    model_config = _STRICT

    alpha: float = _score(_DEFAULTS.alpha)  # dense weight in the fused score
    threshold: float = _score(_DEFAULTS.threshold)  # fused scores lie in [0, 1]
    high: float = _score(_DEFAULTS.high)
    medium: float = _score(_DEFAULTS.medium)
    quote_margin: float = _score(_DEFAULTS.quote_margin)
    # A difference of cosines; the sweep's 1.0 means "out-of-scope questions ignored".
    out_of_scope_margin: float = _score(_DEFAULTS.out_of_scope_margin, -1.0, 1.0)

    @model_validator(mode="after")
    def _bands_in_order(self) -> SettingsRecord:
        if self.medium > self.high:
            raise ValueError(
                f"medium ({self.medium}) is above high ({self.high}): "
                "the confidence bands must be in order"
            )
        return self

    def settings(self) -> Settings:
        return Settings(**self.model_dump())


class LanguageRecord(BaseModel):
    """A second language's calibration, fitted on its own question sets."""

    model_config = _STRICT

    settings: SettingsRecord
    question_sets: tuple[str, ...] = ()
    # Files written before the sweep moved to calibration-sweep.json carry it here.
    sweep: tuple[dict[str, Any], ...] = ()


class CalibrationRecord(BaseModel):
    """The whole file: the main language's settings at the top, the others under languages."""

    model_config = _STRICT

    settings: SettingsRecord
    calibrated_at: str | None = Field(default=None, pattern=r"^\d{4}-\d\d-\d\dT")
    corpus_hash: str | None = None  # None or another corpus's: stale (a warning)
    question_sets: tuple[str, ...] = ()
    languages: dict[str, LanguageRecord] = Field(default_factory=dict)
    sweep: tuple[dict[str, Any], ...] = ()  # as in LanguageRecord: older files only

    def settings_for(self, language: str | None) -> Settings:
        """A second language's own settings, or the main language's (``language`` None,
        the main language's code, or one without settings of its own)."""
        if language is not None and language in self.languages:
            return self.languages[language].settings.settings()
        return self.settings.settings()


def read_calibration(path: Path) -> CalibrationRecord:
    """The file at ``path``, validated; ``IndexProblem`` naming file, key path and field."""
    shown = _shown(path)
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise IndexProblem(f"{shown} is unreadable ({err}); {FIX}") from None
    if not isinstance(record, dict):
        raise IndexProblem(f"{shown}: expected a JSON object with settings; {FIX}")
    try:
        return CalibrationRecord.model_validate(record)
    except ValidationError as err:
        # An unknown key first: a misspelt one also makes the real one "missing".
        errors = sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise IndexProblem(f"{shown}: {_problem(errors[0])}{more}; {FIX}") from None


def _problem(error: Any) -> str:
    """One pydantic error as "key.path: what is wrong (got ...)"."""
    loc = ".".join(str(part) for part in error["loc"]) or "(file)"
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        model = _model_at(error["loc"][:-1])
        known = tuple(model.model_fields) if model else ()
        near = difflib.get_close_matches(str(error["loc"][-1]), known, n=1, cutoff=0.75)
        hint = f"did you mean {near[0]}?" if near else f"known: {', '.join(known)}"
        return f"{loc}: unknown key" + (f" ({hint})" if known else "")
    if kind == "missing":
        return f"{loc}: missing"
    message = re.sub(r" or instance of \w+", "", error["msg"])  # no class names
    if kind == "value_error":  # a model's own check: its message is the sentence itself
        message = message.removeprefix("Value error, ")
        return f"{loc}: {message}"
    return f"{loc}: {message[:1].lower()}{message[1:]} (got {value!r})"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model whose fields the object at ``loc`` should have (for "known:" hints)."""
    model: type[BaseModel] = CalibrationRecord
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if model is CalibrationRecord and part == "languages":
            if not parts:
                return None  # any language code goes there
            parts.pop(0)
            model = LanguageRecord
        elif part == "settings":
            model = SettingsRecord
        else:
            return None
    return model


def _shown(path: Path) -> str:
    """The path relative to the working folder when it lies inside it, as people type it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
