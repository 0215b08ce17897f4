"""Epilogue, *Compression without degradation: one test of understanding across the five puzzles*.

The claim under test: a network that has understood its task can be compressed drastically, in its weights,
its representations or its description of the data, without losing performance, and a network that has
memorised cannot. Each section takes one puzzle of the book, compresses what was learned, and holds the
understood network against its null (random labels, a memorising network, random vectors) with the same code.

One module per section page of ``chapters/06-compression``; a page imports its own module.
The sections reuse the chapters' code (``dltheory.grokking``, ``dltheory.information``,
``dltheory.embeddings``, ``dltheory.scaling``) rather than copying it.

Nothing is re-exported here: import the section's module.
"""
