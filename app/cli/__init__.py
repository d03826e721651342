"""The ``kbqa`` command: ``main`` parses, each command's module (``ask``, ``build``,
``evaluate``, ``serve``, ``review``) runs its command over the library and prints."""
