"""Reading: what a language knows and how a buyer's question is read with it.

A language (``language``: its letters, question words, labels; ``actions``, ``conditions``:
the records of what a guide rules on and what its verdicts depend on), a question's form
and direction (``form``, ``question``), the days and situations it states (``situation``),
and input hygiene (``sanitize``, ``input``: one rule for every shell). Plain text helpers
(``text``, ``stemmers``, ``speller``, ``wordlist``) serve the corpus checks and retrieval
too. Nothing here knows any one language or guide: that is data, read by ``app.corpus``.
"""
