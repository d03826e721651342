"""Rebuild the index: the same implementation as ``kbqa build``.

python scripts/build_index.py [--force] [--corpus-dir DIR] [--index-dir DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
