"""Chapter 1, *Scaling laws*: fitting power laws, compute-optimal allocation, and where the exponents come from.

One module per section page of ``chapters/01-scaling-laws``; a page imports its own module
(``from dltheory.scaling import spectrum``) and calls ``spectrum.spectrum_experiment(...)``.

``01-fitting``          → ``fitting``: §1 the Approach-3 fit of Hoffmann et al. (2022), Huber loss on log-loss
                          minimised by L-BFGS, bootstrap intervals, against the naive straight line; also the
                          two-variable fit ``fit_chinchilla`` that §5 and the exercises use; ``fit_precision``:
                          its asymptotic standard error and the studies its spread claims fit
``02-compute-optimal``  → ``compute_optimal``: §2 the published fits, ``N_opt ∝ C^{β/(α+β)}`` derived with
                          sympy, isoFLOP curves
``03-spectrum``         → ``spectrum``: §3 ridgeless regression on a power-law spectrum and its dual, random
                          features, against the eigenlearning theory
``04-quanta``           → ``quanta``: §4 the quantization model of Michaud et al. (2023)
``05-mini-chinchilla``  → ``isoflop_sgd``: §5 the trained task (one-pass SGD on a power-law linear model) and
                          its exact expected loss; ``mini_chinchilla``: the isoFLOP pipeline, its positive
                          control, and the first edition's MLPs on a random teacher
``06-quanta-network``   → ``quanta_network``: §6 MLPs on multitask sparse parity
``07-kaplan-chinchilla`` → ``kaplan_chinchilla``: §7 Kaplan's and Hoffmann's exponents recounted on the published
                          fits (non-embedding parameters and compute, Pearce and Song 2024)
``08-manifold``         → ``manifold``: §8 the resolution-limited exponent 4/d of a piecewise-linear model on a
                          d-dimensional manifold (Sharma and Kaplan 2022)
``09-sgd``              → ``sgd``: §9 one-pass SGD on sketched features of a power-law spectrum (Lin et al. 2024):
                          model, data and compute-optimal exponents

Shared by several sections: ``common`` (``fit_exponent``, the least-squares exponent that §3, §4, §6 and the
exercises read off). The self-checks of
``exercises/01-scaling-laws`` and the data of its Kaplan-versus-Chinchilla exercise are in ``exercises``.

Nothing is re-exported here: import the section's module.
"""
