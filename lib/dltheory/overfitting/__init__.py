"""Chapter 2 · Benign overfitting: one module per section page of ``chapters/02-benign-overfitting``.

==================================  ===================================================================
page                                module
==================================  ===================================================================
``01-ridgeless.md``                 :mod:`~dltheory.overfitting.ridgeless`: the exact ridge(less) risk on
                                    isotropic data (Hastie, Montanari, Rosset and Tibshirani 2022), its
                                    simulation, the experiment across γ = p/n
``02-optimal-ridge.md``             :mod:`~dltheory.overfitting.optimal_ridge`: the optimal penalty, more
                                    data can hurt (Nakkiran et al. 2021), the chapter's explorer
``03-random-features.md``           :mod:`~dltheory.overfitting.random_features`: double descent of
                                    random-features regression on digits (Belkin, Hsu, Ma and Mandal 2019)
``04-benign-linear.md``             :mod:`~dltheory.overfitting.benign_linear`: effective ranks and the
                                    min-norm interpolator (Bartlett, Long, Lugosi and Tsigler 2020)
``05-nearest-neighbours.md``        :mod:`~dltheory.overfitting.nearest_neighbours`: 1-NN (Cover and Hart
                                    1967) against an interpolating singular-kernel rule
``06-deep-double-descent.md``       :mod:`~dltheory.overfitting.deep_double_descent`: width-wise double
                                    descent of a two-layer network (Nakkiran et al. 2020)
``07-tempered.md``                  :mod:`~dltheory.overfitting.tempered`: the noise multiple of
                                    interpolators, eigenlearning for power laws (Mallinar et al. 2022;
                                    Simon et al. 2023) and 1-D piecewise-linear interpolation
``08-trained-networks.md``          :mod:`~dltheory.overfitting.trained_networks`: two-layer networks
                                    trained on flipped labels across dimensions (Frei, Chatterji and
                                    Bartlett 2022), and tuned ridge against the interpolator (its
                                    penalty paths in :mod:`~dltheory.overfitting.ridge_paths`; a network
                                    with biases in d = 1 in :mod:`~dltheory.overfitting.low_dimension`,
                                    the linear-spline interpolant in :mod:`~dltheory.overfitting.spline_1d`,
                                    the max-margin interpolant in :mod:`~dltheory.overfitting.max_margin_1d`)
==================================  ===================================================================

Shared by several sections: :mod:`~dltheory.overfitting.common` (seed checks, one BLAS thread, the digits,
:func:`~dltheory.overfitting.common.max_relative_increase`). The exercise self-checks of
``exercises/02-benign-overfitting.md`` live in the module of the section they check.

The linear-algebra experiments use numpy in float64 with explicit integer seeds
(``numpy.random.default_rng(seed)``); the network experiment trains through :func:`dltheory.train.train`.
A page imports the module of its section: ``from dltheory.overfitting import ridgeless as rl``.
"""
