"""``index/calibration.json`` is validated: a wrong key or value names file, key path and field."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from pathlib import Path

import pytest

from app.answer.engine import load_settings
from app.errors import IndexProblem
from app.index.calibration import CalibrationRecord, Settings, SettingsRecord, read_calibration
from tests.conftest import REPO

COMMITTED = REPO / "index" / "calibration.json"
GOOD = {
    "settings": {
        "alpha": 0.75,
        "threshold": 0.47,
        "high": 0.76,
        "medium": 0.48,
        "quote_margin": 0.08,
        "out_of_scope_margin": 0.0,
    },
    "calibrated_at": "2026-11-26T13:57:07Z",
    "corpus_hash": "ab" * 32,
    "question_sets": ["tune.yaml"],
    "languages": {
        "ru": {
            "settings": {
                "alpha": 0.7,
                "threshold": 0.49,
                "high": 0.75,
                "medium": 0.59,
                "quote_margin": 0.08,
                "out_of_scope_margin": 0.0,
            },
            "question_sets": ["tune-ru.yaml"],
            "sweep": [{"alpha": 0.5, "threshold": 0.2, "hit@1": 0.88, "fact": None}],
        }
    },
    "sweep": [{"alpha": 0.5, "threshold": 0.2, "n": 343, "fact": float("nan")}],
}


@pytest.fixture
def index(tmp_path: Path, monkeypatch) -> Path:
    """An index folder named as people type it: messages show ``index/calibration.json``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "index").mkdir()
    return tmp_path / "index"


def write(index: Path, record: object) -> None:
    (index / "calibration.json").write_text(json.dumps(record), encoding="utf-8")


def changed(path: str, value: object) -> dict:
    """GOOD with the value at a dotted key path replaced (``...`` deletes it)."""
    record = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    target = record
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return record


def problem(index: Path, record: object) -> str:
    write(index, record)
    with pytest.raises(IndexProblem) as caught:
        load_settings(index)
    return str(caught.value)


def test_the_committed_file_is_valid_and_read_per_language():
    record = read_calibration(COMMITTED)
    raw = json.loads(COMMITTED.read_text())
    index = COMMITTED.parent
    assert load_settings(index) == Settings(**raw["settings"])
    assert load_settings(index, language="ru") == Settings(**raw["languages"]["ru"]["settings"])
    assert record.question_sets
    sweeps = json.loads((index / "calibration-sweep.json").read_text())["sweeps"]
    assert sweeps["en"]
    assert sweeps["ru"]


def test_a_good_file_gives_each_language_its_settings(index: Path):
    write(index, GOOD)
    assert load_settings(index).alpha == 0.75
    assert load_settings(index, language="ru").alpha == 0.7
    assert load_settings(index, language="de").alpha == 0.75  # none of its own: the main one's


def test_settings_left_out_take_the_defaults(index: Path):
    write(index, {"settings": {"threshold": 0.25}, "corpus_hash": "other"})
    assert load_settings(index) == Settings(threshold=0.25)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "languages.ru.settings.alpha",
            7,
            "index/calibration.json: languages.ru.settings.alpha: input should be less than "
            "or equal to 1 (got 7)",
        ),
        (
            "settings.threshold",
            -0.2,
            "index/calibration.json: settings.threshold: input should be greater than "
            "or equal to 0 (got -0.2)",
        ),
        (
            "settings.high",
            "0.7",
            "index/calibration.json: settings.high: input should be a valid number (got '0.7')",
        ),
        (
            "settings.quote_margin",
            True,
            "index/calibration.json: settings.quote_margin: input should be a valid number",
        ),
        (
            "settings.out_of_scope_margin",
            5.0,
            "index/calibration.json: settings.out_of_scope_margin: input should be less than "
            "or equal to 1",
        ),
        (
            "settings.medium",
            0.9,
            "index/calibration.json: settings: medium (0.9) is above high (0.76): "
            "the confidence bands must be in order",
        ),
        ("languages.ru.settings", ..., "index/calibration.json: languages.ru.settings: missing"),
        ("settings", ..., "index/calibration.json: settings: missing"),
        (
            "settings.treshold",
            0.5,
            "index/calibration.json: settings.treshold: unknown key (did you mean threshold?)",
        ),
        (
            "languages.ru.setings",
            {},
            "index/calibration.json: languages.ru.setings: unknown key (did you mean settings?)",
        ),
        ("langauges", {}, "index/calibration.json: langauges: unknown key (did you mean lang"),
        (
            "settings.weight",
            0.5,
            "index/calibration.json: settings.weight: unknown key (known: alpha, threshold, "
            "high, medium, quote_margin, out_of_scope_margin)",
        ),
        (
            "languages.ru",
            [],
            "index/calibration.json: languages.ru: input should be a valid dictionary (got [])",
        ),
        ("corpus_hash", 42, "index/calibration.json: corpus_hash: input should be a valid string"),
        ("calibrated_at", "yesterday", "index/calibration.json: calibrated_at: string should"),
    ],
)
def test_a_wrong_key_or_value_names_file_key_path_and_field(index, path, value, message):
    text = problem(index, changed(path, value))
    assert text.startswith(message), text
    assert text.endswith("run `kbqa eval --calibrate` or delete it")


def test_a_not_a_number_value_is_refused(index: Path):
    (index / "calibration.json").write_text('{"settings": {"alpha": NaN}}')
    assert "settings.alpha: input should be a finite number" in problem_of(index)


def test_several_problems_are_counted(index: Path):
    record = changed("settings.alpha", 3)
    record["settings"]["threshold"] = 2
    assert "(and 1 more problem(s))" in problem(index, record)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", ""])
def test_an_unreadable_file_is_named(index: Path, text: str):
    (index / "calibration.json").write_text(text)
    assert problem_of(index).startswith("index/calibration.json")


def test_a_bad_calibration_stops_the_engine_before_it_answers(index: Path, corpus_dir, fake):
    from app.answer.engine import Engine
    from app.config import Paths
    from app.index.build import build_index

    build_index(corpus_dir, index, fake)
    write(index, changed("settings.alpha", 1.5))
    engine = Engine(Paths(corpus_dir, index, index.parent), embedder=fake)
    with pytest.raises(IndexProblem, match=r"settings\.alpha"):
        engine.ask("How long do I have to appeal?")


def test_the_schema_covers_every_setting_and_its_defaults():
    assert list(SettingsRecord.model_fields) == [f.name for f in fields(Settings)]
    assert SettingsRecord().settings() == Settings()
    assert set(CalibrationRecord.model_fields) == set(GOOD)


def problem_of(index: Path) -> str:
    with pytest.raises(IndexProblem) as caught:
        load_settings(index)
    return str(caught.value)


def test_the_sweep_is_written_beside_the_settings_and_not_read_to_answer(index: Path):
    from app.maintain.calibrate import write_calibration

    english, russian = Settings(alpha=0.75, threshold=0.47), Settings(alpha=0.7, threshold=0.49)
    rows = [{"alpha": 0.5, "threshold": 0.123456, "hit@1": 0.9}]
    results = {"en": (english, rows, [Path("tune.yaml")]), "ru": (russian, [], [])}
    write_calibration(index, results, {"corpus": {"hash": "ab" * 32}}, "en")
    settings = json.loads((index / "calibration.json").read_text(encoding="utf-8"))
    sweeps = json.loads((index / "calibration-sweep.json").read_text(encoding="utf-8"))
    assert "sweep" not in settings
    assert "sweep" not in settings["languages"]["ru"]
    assert sweeps["sweeps"] == {"en": [{**rows[0], "threshold": 0.1235}], "ru": []}
    assert sweeps["calibrated_at"] == settings["calibrated_at"]
    assert load_settings(index) == english
    assert load_settings(index, language="ru") == russian
