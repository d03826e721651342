"""kbqa: answers buyers' questions from an annotated guide, with a verdict and verbatim quotes."""

__version__ = "0.1.0"
