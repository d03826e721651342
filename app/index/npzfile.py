"""Numeric arrays stored as ``.npz``: written byte for byte the same, read without pickle.

``np.savez`` stamps each member with the time it was written, so the same corpus would
give another file, and the manifest another hash, at every build. This writes the
archive by hand with a fixed timestamp; ``np.load(..., allow_pickle=False)`` reads it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import numpy as np

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_npz(path: Path | IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """``arrays`` to ``path``, uncompressed, in the order given, with no timestamps."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", FIXED_TIME), buffer.getvalue())


def read_npz(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named arrays of the archive at ``path``; ``ValueError`` naming the file when it
    is unreadable, not an archive, or lacks one of them."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{Path(path).name} is unreadable ({err})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{Path(path).name} is one array, not an archive of {', '.join(names)}")
    with data:
        missing = [name for name in names if name not in data.files]
        if missing:
            raise ValueError(f"{Path(path).name} lacks {', '.join(missing)}")
        return {name: data[name] for name in names}
