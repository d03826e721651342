"""The index: what a build makes of the corpus, stored, and loaded verified.

``build`` (atomic, incremental), ``tables`` (everything no model makes), ``layout`` (the
folder's files and the declared ``PIPELINE_VERSION``), ``store`` (loading), the vectors
(``embed``: the models; ``cache``, ``reuse``: texts embedded once; ``ann``, ``vectors``,
``npzfile``), the torch-free query encoder (``onnx_export``, ``onnx_encoder``), BM25
(``lexical``), stored readings and speller words (``readings``, ``vocabulary``) and the
calibrated settings (``calibration``).
"""
