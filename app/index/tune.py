"""Build time: adapt the English encoder to the guide, from its own annotations.

all-MiniLM-L6-v2 knows English, not this guide: a buyer's "the seller ghosted me" and the
annotation "the seller doesn't answer" are far apart for it. Fine-tuned on the annotated
questions (each paired with another annotated question of the same passage, the engine's
strongest signal; the other passages in the batch and an annotated out-of-scope question
as negatives), it puts a paraphrase it has never seen next to its passage far more often
(README, "Measured"). Pairing questions with their passage's rule or text as well was
measured and gained less on held-out questions. The held-out question sets are never
training data, nor are the tuning sets (adding them did not beat the annotations alone).

What a tuning stores is small on purpose. The word embeddings (half the model) stay as
they are; only the transformer layers train, and they are stored in half precision
(``encoder-tuning.npz``, by parameter name), beside the base model's ONNX export, which
does not change. The query encoder puts them in place of the export's own tensors when it
loads (``app.index.onnx_encoder``), and the build embeds the corpus with the same tensors,
so a retune adds one file of about 20 MB to the repository, not another 90 MB export.

Tuning is seeded and reproducible, and happens only when it must: on request
(``kbqa build --retune``), with no tuning yet, with another base model or recipe, or when
more than ``RETUNE_SHARE`` (and at least ``RETUNE_MIN``) of the training texts changed since
the last one. A smaller
annotation edit keeps the tuning and embeds only its new texts. torch loads here only when
a tuning is made (``train``); everything else is numpy.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.corpus.records import Corpus
from app.errors import IndexProblem
from app.index.npzfile import read_npz, write_npz
from app.reading.text import canonicalize, compile_replacements

TUNING_FILE = "encoder-tuning.npz"
TUNING_TEXTS = "encoder-tuning.json"  # the hash of each training text, to count changes
# Retune when more than this share of the training texts is new or gone, and at least
# this many (a tiny corpus would otherwise retune at every edit).
RETUNE_SHARE = 0.10
RETUNE_MIN = 5


@dataclass(frozen=True)
class Recipe:
    """How a tuning is made; part of its record, so another recipe retunes."""

    seed: int = 0
    epochs: int = 2
    learning_rate: float = 5e-5
    batch: int = 32
    # What each annotated question is paired with: its passage's "rule", the passage's
    # next annotated "question", the passage's "text" (the guide's words).
    positives: tuple[str, ...] = ("question",)
    # Each pair also pushed away from an annotated out-of-scope question (a hard negative),
    # so tuning does not pull the questions the guide does not cover towards it.
    out_of_scope_negatives: bool = True
    # Parameters left as they are (by name): the word embeddings, half the model's size.
    frozen: tuple[str, ...] = ("word_embeddings", "pooler")
    precision: str = "float16"
    version: int = 1  # raise with any change to how pairs are made or trained on


RECIPE = Recipe()


@dataclass(frozen=True)
class Pair:
    """A training pair: a question, a text that must lie near it, and their passage (no
    two pairs of one passage share a batch: they would be each other's false negatives)."""

    anchor: str
    positive: str
    passage: int
    negative: str | None = None  # an out-of-scope question, when the recipe asks for one


def training_pairs(corpus: Corpus, recipe: Recipe | None = None) -> list[Pair]:
    """Each annotated question with what the recipe pairs it with: its passage's rule, the
    next annotated question of the passage (the engine's strongest signal is a buyer's
    question lying near an annotated one), the passage's text. Canonicalised as the index
    embeds them."""
    recipe = recipe or RECIPE
    positives = recipe.positives
    replacements = compile_replacements((g.term, g.meaning) for g in corpus.glossary)
    pairs = []
    for n, passage in enumerate(corpus.passages):
        questions = [canonicalize(q.text, replacements) for q in passage.questions]
        rule = canonicalize(passage.rule, replacements)
        text = canonicalize(passage.text, replacements)
        for i, question in enumerate(questions):
            if "rule" in positives:
                pairs.append(Pair(question, rule, n))
            if "question" in positives and len(questions) > 1:
                pairs.append(Pair(question, questions[(i + 1) % len(questions)], n))
            if "text" in positives:
                pairs.append(Pair(question, text, n))
    negatives = [canonicalize(q, replacements) for t in corpus.out_of_scope for q in t.questions]
    if recipe.out_of_scope_negatives and negatives:
        pairs = [
            Pair(p.anchor, p.positive, p.passage, negatives[i % len(negatives)])
            for i, p in enumerate(pairs)
        ]
    return pairs


def pair_hashes(pairs: Sequence[Pair]) -> list[str]:
    return [
        hashlib.sha256(f"{p.anchor}\n{p.positive}\n{p.negative or ''}".encode()).hexdigest()[:16]
        for p in pairs
    ]


def data_hash(pairs: Sequence[Pair]) -> str:
    return hashlib.sha256("\n".join(pair_hashes(pairs)).encode()).hexdigest()


def batches(pairs: Sequence[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """The pairs shuffled into batches where no passage appears twice."""
    left = list(pairs)
    rng.shuffle(left)
    out = []
    while left:
        batch: list[Pair] = []
        used: set[int] = set()
        rest = []
        for pair in left:
            if len(batch) < size and pair.passage not in used:
                batch.append(pair)
                used.add(pair.passage)
            else:
                rest.append(pair)
        out.append(batch)
        left = rest
    return out


@dataclass(frozen=True)
class Tuning:
    """A tuning: its tensors by parameter name, and its record (the manifest's
    ``encoder_tuning``)."""

    tensors: dict[str, np.ndarray]
    record: dict[str, Any]


def text_hashes(pairs: Sequence[Pair]) -> list[str]:
    """The hash of each distinct text the pairs train on (annotated questions, rules)."""
    texts = {t for p in pairs for t in (p.anchor, p.positive)}
    return sorted(hashlib.sha256(t.encode()).hexdigest()[:16] for t in texts)


def changed_share(pairs: Sequence[Pair], folder: Path) -> float | None:
    """The share of training texts (annotated questions and rules) new or gone since the
    tuning in ``folder``, or 0 when fewer than ``RETUNE_MIN`` are (None when it has none):
    one question edited is one text gone and one new."""
    try:
        old = set(json.loads((Path(folder) / TUNING_TEXTS).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    changed = old ^ set(text_hashes(pairs))
    return 0.0 if len(changed) < RETUNE_MIN else len(changed) / max(1, len(old | changed))


def read_tuning(folder: Path, record: dict[str, Any]) -> Tuning:
    """The tuning stored in an index folder, as its manifest records it."""
    path = Path(folder) / TUNING_FILE
    try:
        tensors = read_npz(path, tuple(record["tensors"]))
    except (KeyError, TypeError):
        raise IndexProblem(f"the manifest's record of {path.name} names no tensors") from None
    except (OSError, ValueError) as err:
        raise IndexProblem(f"cannot read the encoder's tuning {path}: {err}") from None
    return Tuning(tensors, dict(record))


def write_tuning(folder: Path, tuning: Tuning, pairs: Sequence[Pair]) -> tuple[str, ...]:
    """Store a tuning in ``folder``; the names of the files written."""
    write_npz(Path(folder) / TUNING_FILE, tuning.tensors)
    (Path(folder) / TUNING_TEXTS).write_text(
        json.dumps(text_hashes(pairs)) + "\n", encoding="utf-8"
    )
    return TUNING_FILE, TUNING_TEXTS


def train(
    model: Any,
    pairs: Sequence[Pair],
    base: dict[str, Any],
    recipe: Recipe = RECIPE,
    log: Callable[[str], None] = lambda message: None,
) -> Tuning:
    """Fine-tune ``model`` (a loaded SentenceTransformer, changed in place) on ``pairs``
    with in-batch negatives; the tensors it changed, rounded to the recipe's precision and
    put back into the model, so that what the build embeds with is what is stored."""
    import torch
    from sentence_transformers.sentence_transformer.losses import (
        MultipleNegativesRankingLoss,
    )

    started = time.perf_counter()
    random.seed(recipe.seed)
    np.random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    network = model[0].auto_model
    trained = []
    for name, parameter in network.named_parameters():
        parameter.requires_grad = not any(part in name for part in recipe.frozen)
        if parameter.requires_grad:
            trained.append(name)
    loss = MultipleNegativesRankingLoss(model)
    optimiser = torch.optim.AdamW(
        [p for p in network.parameters() if p.requires_grad], lr=recipe.learning_rate
    )
    model.train()
    steps = 0
    for epoch in range(recipe.epochs):
        for batch in batches(pairs, recipe.batch, rng):
            columns = [[p.anchor for p in batch], [p.positive for p in batch]]
            if all(p.negative for p in batch):
                columns.append([p.negative or "" for p in batch])
            features = [model.preprocess(column) for column in columns]
            device = model.device
            features = [
                {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in f.items()}
                for f in features
            ]
            value = loss(features, None)
            optimiser.zero_grad()
            value.backward()
            optimiser.step()
            steps += 1
        log(f"tuning the encoder: epoch {epoch + 1} of {recipe.epochs}")
    model.eval()
    dtype = np.dtype(recipe.precision)
    tensors: dict[str, np.ndarray] = {}
    with torch.no_grad():
        parameters = dict(network.named_parameters())
        for name in trained:
            stored = parameters[name].detach().cpu().numpy().astype(dtype)
            tensors[name] = stored
            parameters[name].copy_(torch.from_numpy(stored.astype(np.float32)))
    record = {
        "base": base,
        "data_sha256": data_hash(pairs),
        "pairs": len(pairs),
        "steps": steps,
        "seconds": round(time.perf_counter() - started, 1),
        "torch": torch.__version__,
        "tensors": trained,
        **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(recipe).items()},
    }
    return Tuning(tensors, record)


def apply(model: Any, tuning: Tuning) -> None:
    """Put a tuning's tensors into a loaded SentenceTransformer."""
    import torch

    parameters = dict(model[0].auto_model.named_parameters())
    with torch.no_grad():
        for name, array in tuning.tensors.items():
            if name not in parameters or tuple(parameters[name].shape) != array.shape:
                raise IndexProblem(f"the encoder's tuning does not fit the model: {name}")
            parameters[name].copy_(torch.from_numpy(array.astype(np.float32)))


def recipe_record(recipe: Recipe = RECIPE) -> dict[str, Any]:
    """The recipe's part of a tuning record, to compare a stored tuning with."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(recipe).items()}
