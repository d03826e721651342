"""One question's passages in fused order, scored only as far as anyone reads.

A passage's dense score is its best vector's cosine with the question; its lexical score is
its normalised BM25 (``app.index.lexical``); the fused score is ``alpha * dense + (1 - alpha) *
lexical``, and the order is highest fused first, ties by dense score, then by corpus order.

Scoring every passage in Python costs ~105 ms a question at 20k passages, so a ``Ranking``
works on candidates: the passages of FAISS's ``DENSE_CANDIDATES`` nearest vectors (each at
its best vector among them) and the ``LEXICAL_CANDIDATES`` best lexical scores (cut with
``argpartition``). A lexical candidate FAISS did not return gets its exact dense score from
its own vectors (``reconstruct_batch`` and a small product), not the last neighbour's
similarity, which at a large corpus is near the top and would inflate word-only matches.
A passage that is neither scores at most ``alpha * floor + (1 - alpha) * (best lexical
score left out)``, with ``floor`` the last neighbour's similarity; when that bound could
reach the k-th candidate, the lexical candidates grow until it cannot, so the top k is the
same as scoring everything would give.

``Hit``s are made for the top k only; ``hit(position)`` makes one for any passage on demand
(the engine's conditional siblings), and reading past the top k (evaluation's rank of the
expected passage) scores every passage once, exactly, and goes on in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import faiss
import numpy as np

from app.corpus.records import Passage

DENSE_CANDIDATES = 512  # FAISS neighbours gathered per question, before grouping by passage
LEXICAL_CANDIDATES = 64  # best lexical scores considered beside them (grown when needed)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    position: int  # the passage's place in the corpus, the last tie-break
    score: float
    dense: float
    lexical: float
    dense_rank: int  # among the passages whose dense score was computed (see ``Ranking``)
    lexical_rank: int
    matched_kind: str  # what the best vector embeds: "question", "rule", "sentence" or "text"
    matched_text: str


@dataclass(frozen=True, eq=False)
class Rows:
    """Which FAISS rows belong to which passage (rows are stored passage by passage)."""

    dense: faiss.Index
    first: np.ndarray  # (passages + 1,) first row of each passage, then the row count
    describe: Callable[[int], tuple[str, str]]  # row -> (kind, text) of what it embeds

    @classmethod
    def of(cls, dense: faiss.Index, passage_of_row: np.ndarray, passages: int, describe):
        if len(passage_of_row) and np.any(np.diff(passage_of_row) < 0):
            raise ValueError("vector rows are not grouped by passage")
        first = np.searchsorted(passage_of_row, np.arange(passages + 1), side="left")
        return cls(dense, first.astype(np.int64), describe)

    def passage_of(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.first, rows, side="right") - 1


class Ranking(Sequence[Hit]):
    """The passages for one question, highest fused score first (a lazy sequence)."""

    def __init__(
        self,
        rows: Rows,
        passages: Sequence[Passage],
        vector: np.ndarray,
        lexical: np.ndarray,
        alpha: float,
        k: int | None,
    ):
        self._rows, self._passages, self._vector = rows, passages, vector
        self._lexical, self._alpha = lexical, alpha
        n = len(passages)
        self._dense = np.full(n, np.nan)  # nan: not computed
        self._best_row = np.full(n, -1, dtype=np.int64)
        self._floor = self._search()
        self._full: list[Hit] | None = None
        if k is None or k >= n:
            self._top = self._everything()
        else:
            self._top = [self.hit(int(p)) for p in self._top_positions(k)]

    # --- the sequence ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._passages)

    @overload
    def __getitem__(self, i: int) -> Hit: ...
    @overload
    def __getitem__(self, i: slice) -> list[Hit]: ...
    def __getitem__(self, i):
        if isinstance(i, slice):
            stop = i.stop if i.stop is not None else len(self)
            if i.step in (None, 1) and (i.start or 0) >= 0 and 0 <= stop <= len(self._top):
                return self._top[i]
            return self._everything()[i]
        if 0 <= i < len(self._top):
            return self._top[i]
        return self._everything()[i]

    def __iter__(self) -> Iterator[Hit]:
        yield from self._top
        yield from self._everything()[len(self._top) :]

    # --- hits --------------------------------------------------------------------------

    def hit(self, position: int, ranks: tuple[int, int] | None = None) -> Hit:
        """The ``Hit`` of any passage, its dense score computed exactly if not yet; its
        ranks count the passages ahead of it (or are given: ``(dense, lexical)``)."""
        self._exact(np.array([position]))
        dense, lexical = self._dense, self._lexical
        d, lex = float(dense[position]), float(lexical[position])
        if ranks is None:
            dense_rank = _rank(dense, d, position)
            lexical_rank = _rank(lexical, lex, position)
        else:
            dense_rank, lexical_rank = ranks
        row = int(self._best_row[position])
        passage = self._passages[position]
        kind, text = self._rows.describe(row) if row >= 0 else ("text", passage.text)
        return Hit(
            passage=passage,
            position=position,
            score=round(float(self._fused(np.array([position]))[0]), 6),
            dense=round(d, 6),
            lexical=round(lex, 6),
            dense_rank=dense_rank,
            lexical_rank=lexical_rank,
            matched_kind=kind,
            matched_text=text,
        )

    # --- scoring -----------------------------------------------------------------------

    def _search(self) -> float:
        """FAISS's nearest vectors, each passage at its best among them; the floor."""
        index = self._rows.dense
        k = min(DENSE_CANDIDATES, index.ntotal)
        if k == 0:
            return 0.0
        similarities, rows = index.search(self._vector.reshape(1, -1), k)
        found = rows[0] >= 0  # an IVF search may return fewer than k rows
        similarities, rows = similarities[0][found], rows[0][found].astype(np.int64)
        if not len(rows):
            return 0.0
        # Nearest first: a passage's first row is its best (the earlier of equal ones).
        passages, first = np.unique(self._rows.passage_of(rows), return_index=True)
        self._dense[passages] = similarities[first].astype(np.float64)
        self._best_row[passages] = rows[first]
        return float(similarities[-1])

    def _exact(self, positions: np.ndarray) -> None:
        """Dense scores of these passages from all their vectors, where not yet known."""
        todo = positions[np.isnan(self._dense[positions])]
        if not len(todo):
            return
        first = self._rows.first
        starts, ends = first[todo], first[todo + 1]
        rows = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
        if not len(rows):
            self._dense[todo] = self._floor
            return
        vectors = self._rows.dense.reconstruct_batch(rows)
        similarities = vectors @ self._vector.astype(np.float32)
        offset = 0
        for position, count in zip(todo, ends - starts, strict=True):
            if count == 0:
                self._dense[position] = self._floor
                continue
            best = int(np.argmax(similarities[offset : offset + count]))
            self._dense[position] = float(similarities[offset + best])
            self._best_row[position] = int(rows[offset + best])
            offset += count

    def _fused(self, positions: np.ndarray) -> np.ndarray:
        alpha = self._alpha
        return alpha * self._dense[positions] + (1 - alpha) * self._lexical[positions]

    def _order(self, positions: np.ndarray) -> np.ndarray:
        """``positions`` highest fused first, ties by dense score, then corpus order."""
        fused, dense = self._fused(positions), self._dense[positions]
        return positions[np.lexsort((positions, -dense, -fused))]

    def _top_positions(self, k: int) -> np.ndarray:
        n, lexical = len(self._passages), self._lexical
        found = np.flatnonzero(~np.isnan(self._dense))
        size = LEXICAL_CANDIDATES
        while True:
            if size >= n:
                self._exact(np.arange(n))
                return self._order(np.arange(n))[:k]
            cut = np.argpartition(-lexical, size)
            candidates = np.union1d(found, cut[:size])
            self._exact(candidates)
            order = self._order(candidates)
            # Everything else: dense at most the floor, lexical at most the best left out.
            bound = self._alpha * self._floor + (1 - self._alpha) * float(lexical[cut[size]])
            if len(order) >= k and self._fused(order[k - 1 : k])[0] > bound:
                return order[:k]
            size *= 4

    def _everything(self) -> list[Hit]:
        if self._full is None:
            n = len(self._passages)
            everything = np.arange(n)
            self._exact(everything)
            dense_rank, lexical_rank = np.empty(n, np.int64), np.empty(n, np.int64)
            dense_rank[np.lexsort((everything, -self._dense))] = everything + 1
            lexical_rank[np.lexsort((everything, -self._lexical))] = everything + 1
            self._full = [
                self.hit(int(p), (int(dense_rank[p]), int(lexical_rank[p])))
                for p in self._order(everything)
            ]
        return self._full


def _rank(values: np.ndarray, value: float, position: int) -> int:
    """1-based rank of ``values[position]``, highest first, ties by position; values not
    computed (nan) never count as ahead."""
    ahead = np.count_nonzero(values > value) + np.count_nonzero(values[:position] == value)
    return int(ahead) + 1
