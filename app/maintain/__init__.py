"""Maintaining a corpus: measuring it and turning buyers' questions into better annotations.

``evalset`` (validated question sets), ``evaluate`` and ``eval_report`` (metrics beside the
nearest-annotated-question baseline), ``evalstore`` (what changed since the last run),
``calibrate`` (fit the settings on the tuning sets), ``regress`` (the build's report of
answers that changed), ``review`` and ``review_output`` (logged answers that need a person).
"""
