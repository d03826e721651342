"""Serving: the shells a question arrives through, all over one path.

``ask`` (the one path from a question to a logged answer, and the ``{error, status}`` of
everything that is not one), ``api`` (REST), ``replies`` and ``page`` (the Gradio page and
its ``/ask``), ``render`` (terminal text and HTML), ``server`` (``kbqa serve``), and the
logs (``querylog``, ``feedback``).
"""
