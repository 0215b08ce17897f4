"""Epilogue, *Compression without degradation: one test of understanding across the five puzzles*.

The claim under test: a network that has understood its task can be compressed drastically, in its weights,
its representations or its description of the data, without losing performance, and a network that has
memorised cannot. Each section takes one puzzle of the book, compresses what was learned, and holds the
understood network against its null (random labels, a memorising network, randomly chosen directions) with the
same code.

One module per section page of ``chapters/06-compression``; a page imports its own module.
The sections reuse the chapters' code (``dltheory.grokking``, ``dltheory.information``,
``dltheory.embeddings``, ``dltheory.scaling``, ``dltheory.overfitting``) rather than copying it.

* ``grokking`` (§1, ``01-grokking``): Chapter 3's grokked network cut to its key Fourier frequencies, against
  the memorising one, along training.
* ``weights`` (§2, ``02-weights``): bits per weight that a digits MLP needs, true against random labels, and the
  a two-part code of the rounded weights (after Hinton & van Camp's idea, not their variational code).
* ``data_compression`` (§3, ``03-data-compression``): online (prequential) codes of networks and of context
  models against gzip, bz2 and lzma, on documentation text and on a Markov source of known entropy, with their nulls.
* ``representations`` (§4, ``04-representations``): analogy accuracy of rank-k PPMI factorisations against the
  compression ratio, with the same number of randomly chosen singular directions as the null.
* ``benign_overfitting`` (§6, ``06-benign-overfitting``): Chapter 2's ridgeless interpolator cut to its top sample
  eigendirections, on the spiked covariance against the isotropic one.
* ``synthesis`` (§5, ``05-synthesis``): every section's compression ratio against the performance kept, the
  understood network and its null side by side, from the sections' cached runs.

Nothing is re-exported here: import the section's module.
"""
