"""Answering: from a question to a composed ``Answer``, with no language model.

``engine`` (load once, lazily; the one function from a question to an answer), ``retrieve``
and ``ranking`` (dense + BM25, fused), ``evidence``, ``verdict`` (the verdict a passage
gives and the risky-answer checks), ``conditional`` (decide by the buyer's situation, or
ask), ``quotes`` and ``compose`` (the headline, quotes and everything around them), and
``records`` (the answer's one schema).
"""
