"""The corpus: the guide as annotated markdown, parsed and validated into records.

``records`` (passages, glossary, scope, topics, a language folder's ``Locale``), ``files``
(which files make a corpus, its hash), and one reader per kind of file: ``passages``,
``side_files`` (glossary, scope, out-of-scope), ``conditions_file``, ``actions_file``,
``language_file``, ``locales`` (a second language's folder); ``load`` strings them together
and raises one ``CorpusError`` listing every problem as ``path:line: message``.
"""
