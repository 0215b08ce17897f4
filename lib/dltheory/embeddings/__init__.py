"""Chapter 4, embedding geometry: why king − man + woman ≈ queen.

One module per section page of ``chapters/04-embedding-geometry``, and the pieces several sections share:

=====================================  ========================================================================
page                                   module
=====================================  ========================================================================
``01-rand-walk.md`` (§ 4.1)            :mod:`dltheory.embeddings.rand_walk`: the PMI law of RAND-WALK
``02-sgns-factorises-pmi.md`` (§ 4.2)  :mod:`dltheory.embeddings.sgns_factorises_pmi`: shifted PMI, anisotropy
``03-analogies.md`` (§ 4.3)            :mod:`dltheory.embeddings.analogies`: paraphrases and parallelograms
``04-superposition.md`` (§ 4.4)        :mod:`dltheory.embeddings.superposition`: the toy model of superposition
``05-solvable-word2vec.md`` (§ 4.5)    :mod:`dltheory.embeddings.solvable_word2vec`: QWEM and its step times
``06-attribute-model.md`` (§ 4.6)      :mod:`dltheory.embeddings.attribute_model`: words made of attributes
``07-real-text.md`` (§ 4.7)            :mod:`dltheory.embeddings.real_text`: gensim's corpus and benchmarks
``08-linear-analogies.md`` (§ 4.8)     :mod:`dltheory.embeddings.linear_analogies`: csPMI and linear analogies
``09-word-senses.md`` (§ 4.9)          :mod:`dltheory.embeddings.word_senses`: senses in superposition
``10-superposition-phase.md`` (§ 4.10) :mod:`dltheory.embeddings.superposition_phase`: the phase diagram
``11-wikipedia.md`` (§ 4.11)           :mod:`dltheory.embeddings.wikipedia`: a larger real text
``exercises/04-embedding-geometry.md`` :mod:`dltheory.embeddings.exercises`: the self-checks
=====================================  ========================================================================

Shared: :mod:`dltheory.embeddings.corpus` (the planted RAND-WALK corpus, co-occurrence counts, PMI),
:mod:`dltheory.embeddings.sgns` (skip-gram with negative sampling, the alias sampler) and
:mod:`dltheory.embeddings.geometry` (SVD embeddings, the least-squares line, 3CosAdd and 3CosMul).

A page imports its own module, ``from dltheory.embeddings import rand_walk as rw``; this package re-exports
nothing. Everything is a pure function of explicit PRNG keys or seeds.
"""
