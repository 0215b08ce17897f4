"""Chapter 5, information-theoretic views of learning: estimators, bottlenecks, code lengths and bounds.

One module per section page of ``chapters/05-information-theory``; a page imports its own module,
e.g. ``from dltheory.information import estimating_mi as mi``.

==============================  =========================================================================
page                            module
==============================  =========================================================================
``01-estimating-mi``            :mod:`~dltheory.information.estimating_mi`: binning, KSG and InfoNCE
``02-information-plane``        :mod:`~dltheory.information.information_plane`: the 12-bit task, tanh
                                against ReLU, binned information planes
``03-gaussian-bottleneck``      :mod:`~dltheory.information.gaussian_bottleneck`: the Gaussian IB
``04-description-length``       :mod:`~dltheory.information.description_length`: prequential codes
``05-pac-bayes``                :mod:`~dltheory.information.pac_bayes`: PAC-Bayes and compression bounds
``06-coding-rate``              :mod:`~dltheory.information.coding_rate`: maximal coding rate reduction
==============================  =========================================================================

Shared by several sections: :mod:`~dltheory.information.digits` (scikit-learn's digits, §5.4-5.5),
:mod:`~dltheory.information.models` (the small ReLU network of §5.1, §5.4 and §5.5) and
:mod:`~dltheory.information.fields` (declared ranges of config fields: tuples, multiples).
The exercise self-checks live in the module of the section they check.

Probabilities that multiply are handled in log space and in float64 (numpy); log-determinants use
``slogdet``. Everything is a pure function of its arguments and of explicit seeds.
"""
