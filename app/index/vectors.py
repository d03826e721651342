"""What each row of a dense index embeds: a passage's text, its rule, or its n-th sentence
or annotated question.

Built with the index (``app.index.store.vector_texts``) and stored beside the FAISS file as
``vectors.npz``; retrieval maps a row back to its passage and says what it matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np

from app.index.npzfile import read_npz, write_npz


@dataclass(frozen=True)
class VectorRef:
    """What one FAISS row embeds: a passage's text, rule, or n-th sentence or question."""

    passage: int
    kind: str
    ordinal: int = 0


VECTOR_KINDS = ("text", "rule", "sentence", "question")


class VectorRefs(Sequence[VectorRef]):
    """Every FAISS row's ``VectorRef``, held as three arrays and made one at a time when read.

    An index has about twelve rows a passage: at 100k passages, making 1.2M records (and
    parsing them as JSON) took a quarter of start-up. Stored as ``vectors.npz``: which
    passage (``passage``), what of it (``kind``, a code into ``kinds``) and which one
    (``ordinal``).
    """

    def __init__(
        self,
        passage: np.ndarray,
        kind: np.ndarray,
        ordinal: np.ndarray,
        kinds: tuple[str, ...] = VECTOR_KINDS,
    ):
        if not len(passage) == len(kind) == len(ordinal):
            raise ValueError(f"vector columns of {len(passage)}, {len(kind)}, {len(ordinal)} rows")
        if len(kind) and not 0 <= int(kind.min()) <= int(kind.max()) < len(kinds):
            raise ValueError(f"vector kinds outside {', '.join(kinds)}")
        self.passage = np.asarray(passage, dtype=np.int64)
        self.kind = np.asarray(kind, dtype=np.uint8)
        self.ordinal = np.asarray(ordinal, dtype=np.int64)
        self.kinds = tuple(kinds)
        for column in (self.passage, self.kind, self.ordinal):
            column.flags.writeable = False

    @classmethod
    def of(cls, refs: Sequence[VectorRef]) -> VectorRefs:
        code = {kind: n for n, kind in enumerate(VECTOR_KINDS)}
        return cls(
            np.fromiter((r.passage for r in refs), np.int64, len(refs)),
            np.fromiter((code[r.kind] for r in refs), np.uint8, len(refs)),
            np.fromiter((r.ordinal for r in refs), np.int64, len(refs)),
        )

    def __len__(self) -> int:
        return len(self.passage)

    @overload
    def __getitem__(self, row: int) -> VectorRef: ...
    @overload
    def __getitem__(self, row: slice) -> list[VectorRef]: ...
    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        return VectorRef(int(self.passage[row]), self.kinds[self.kind[row]], int(self.ordinal[row]))

    def save(self, path: Path) -> None:
        write_npz(
            path,
            {
                "passage": self.passage.astype(np.int32),
                "kind": self.kind,
                "ordinal": self.ordinal.astype(np.int32),
                "kinds": np.array(self.kinds),
            },
        )

    @classmethod
    def load(cls, path: Path) -> VectorRefs:
        """``ValueError`` when the file is not one of these."""
        data = read_npz(path, ("passage", "kind", "ordinal", "kinds"))
        kinds = tuple(str(k) for k in data["kinds"])
        return cls(data["passage"], data["kind"], data["ordinal"], kinds)
