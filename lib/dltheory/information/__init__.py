"""Chapter 5, *Information-theoretic learning: compression, bottlenecks and bounds*.

One module per section page of ``chapters/05-information-theory``; a page imports its own module
(``from dltheory.information import estimating_mi as mi``) and calls ``mi.estimator_sweep(...)``.

``01-estimating-mi``        → ``estimating_mi``: §5.1 mutual information of correlated Gaussians by binning, by
                              KSG and by InfoNCE, against the closed form
``02-information-plane``    → ``information_plane``: §5.2 the 12-bit task, tanh against ReLU networks, binned
                              information planes (Shwartz-Ziv and Tishby 2017; Saxe et al. 2018)
``03-gaussian-bottleneck``  → ``gaussian_bottleneck``: §5.3 the Gaussian information bottleneck in closed form
                              and a learned linear encoder (Chechik et al. 2005)
``04-description-length``   → ``description_length``: §5.4 prequential code lengths (Blier and Ollivier 2018)
``05-pac-bayes``            → ``pac_bayes``: §5.5 PAC-Bayes and compression bounds (Dziugaite and Roy 2017)
``06-coding-rate``          → ``coding_rate``: §5.6 maximal coding rate reduction (Yu et al. 2020)
``07-estimator-limits``     → ``estimator_limits``: §5.7 KSG, InfoNCE and NWJ on the same problems: the k-NN cap and
                              the variance of NWJ (Gao et al. 2015; Song and Ermon 2020)
``08-cmi-bounds``           → ``cmi_bounds``: §5.8 the sample-wise functional-CMI bound against the measured gap
                              (Steinke and Zakynthinou 2020; Harutyunyan et al. 2021)
``09-compression-measured`` → ``compression_measured``: §5.9 two-part codes of digit labels by subspace
                              networks, true and random labels, against gzip/bz2/lzma (Blier and Ollivier 2018;
                              Delétang et al. 2024)

Shared by several sections: ``digits`` (scikit-learn's digits, §5.4 and §5.5), ``models`` (the small ReLU
network of §5.1, §5.4 and §5.5), ``full_runs`` (the saved full-mode runs that §5.1–§5.3 show in fast mode),
``claims_table`` (one table of a page's claims, computed from their verdicts: §5.2 and §5.3).
The self-checks of ``exercises/05-information-theory`` live in the module of the section they check.

Probabilities that multiply are handled in log space and in float64 (numpy); log-determinants use
``slogdet``. Everything is a pure function of its arguments and of explicit seeds.

Nothing is re-exported here: import the section's module.
"""
