"""Chapter 4, the exercises (``exercises/04-embedding-geometry.md``): self-checks and one helper."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import selfcheck, validate
from dltheory.embeddings import analogies, corpus, geometry, superposition, superposition_phase, wikipedia, word_senses

__all__ = [
    "relation_paraphrase_error",
    "check_sgns_optimum",
    "check_pmi_function",
    "check_planted_relation",
    "check_negatives_hypothesis",
    "check_polygon_dimensionality",
    "check_pmi_distance",
    "check_cspmi_hypothesis",
    "check_merged_pmi",
    "check_phase_boundary",
    "check_frequent_pmi_band",
    "check_smoothed_intercept",
]


def relation_paraphrase_error(pmi_matrix: Any, vocab: corpus.Vocabulary, relation: int) -> float:
    """Root-mean-square paraphrase error (:func:`dltheory.embeddings.analogies.paraphrase_error`) over the
    questions of one relation."""
    if not isinstance(vocab, corpus.Vocabulary):
        raise ValueError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
    relation = validate.integer("relation", relation, low=0, high=len(vocab.relation_names) - 1)
    q = vocab.questions[vocab.question_relation == relation]
    return float(np.sqrt(np.mean(analogies.paraphrase_error(pmi_matrix, q) ** 2)))


def check_sgns_optimum(value: Any, *, n_wc: float, n_w: float, n_c: float, total: float, negatives: int) -> float:
    """Exercise: the optimal SGNS dot product of one pair (Levy and Goldberg 2014, § 4.2)."""
    expected = math.log(n_wc * total / (n_w * n_c)) - math.log(negatives)
    return selfcheck.number(
        "x_star", value, expected, rtol=1e-3, atol=1e-3,
        hint="x* = PMI(w, c) − log k, with PMI = log(#(w,c)·D / (#(w)·#(c))); natural logarithms.",
        explain=f"x* = PMI − log k = {expected:.4f}.",
    )


def check_pmi_function(fn: Any) -> None:
    """Exercise: a function computing PMI from a co-occurrence matrix with positive entries."""
    rng = np.random.default_rng(0)
    cases = [(np.array([[4.0, 1.0], [1.0, 4.0]]),), (rng.integers(1, 50, size=(5, 5)).astype(float),),
             (np.outer([1.0, 2.0, 3.0], [3.0, 1.0, 2.0]),)]
    selfcheck.function("pmi_of", fn, corpus.pmi, cases, rtol=1e-6, atol=1e-9,
                       hint="PMI(w, c) = log #(w,c) + log D − log #(w) − log #(c), "
                            "with row sums, column sums and the total.")


def check_planted_relation(predicted_works: Any, *, vocab: Any, counts: Any, cfg: Any, relation: int) -> bool:
    """Exercise: the prediction, from PMI alone, of whether 3CosAdd analogies work along a planted relation.

    The check measures the truth itself: the accuracy of a rank-d SVD of PPMI on the relation's questions;
    analogies "work" when at least half are answered.
    """
    for name, value in (("cfg", cfg), ("vocab", vocab), ("counts", counts), ("predicted_works", predicted_works)):
        selfcheck.answered(name, value)
    if not isinstance(cfg, corpus.CorpusConfig):
        raise selfcheck.WrongAnswer(f"cfg should be a corpus.CorpusConfig, got {type(cfg).__name__}.")
    if cfg.n_relations != 7:
        raise selfcheck.WrongAnswer(f"cfg.relation_noise should have seven entries, got {cfg.relation_noise}.")
    if not isinstance(vocab, corpus.Vocabulary):
        raise selfcheck.WrongAnswer(
            f"vocab should be the Vocabulary returned by planted_corpus, got {type(vocab).__name__}.")
    if np.shape(counts) != (vocab.size, vocab.size):
        raise selfcheck.WrongAnswer(
            f"counts should be the ({vocab.size}, {vocab.size}) co-occurrence matrix, got shape {np.shape(counts)}.")
    relation = validate.integer("relation", relation, low=0, high=len(vocab.relation_names) - 1)
    emb = geometry.svd_embeddings(corpus.pmi(counts, positive=True), cfg.dim)
    q = vocab.questions[vocab.question_relation == relation]
    accuracy = geometry.analogy_accuracy(emb, q)
    works = accuracy >= 0.5
    return selfcheck.boolean(
        "predicted_works", predicted_works, works,
        why=f"along this relation 3CosAdd answers {accuracy:.0%} of the questions, so analogies "
            f"{'work' if works else 'do not work'} (the bar is 50%).",
    )


def check_negatives_hypothesis(changes_slope: Any, slopes: Any, intercepts: Any, *, negatives: Sequence[int]) -> bool:
    """Exercise: does the number of negatives k change the slope of w·c on PMI, or only the intercept?

    ``slopes`` and ``intercepts`` are the student's fits, one per entry of ``negatives``; the check first
    makes sure the intercepts track −log k (so the fits are real), then judges the yes/no answer.
    """
    for name, value in (("slopes", slopes), ("intercepts", intercepts), ("changes_slope", changes_slope)):
        selfcheck.answered(name, value)
    ks = [validate.integer("negatives[i]", k, low=1) for k in negatives]
    try:
        sl = np.asarray(slopes, dtype=float)
        ic = np.asarray(intercepts, dtype=float)
    except (TypeError, ValueError):
        raise selfcheck.WrongAnswer("slopes and intercepts should be lists of numbers, one per k.") from None
    if sl.shape != (len(ks),) or ic.shape != (len(ks),):
        raise selfcheck.WrongAnswer(f"slopes and intercepts should each hold {len(ks)} numbers, one per k in {ks}.")
    expected_ic = -np.log(ks)
    if np.any(np.abs(ic - expected_ic) > 0.3):
        raise selfcheck.WrongAnswer(
            f"your intercepts {np.round(ic, 2).tolist()} are far from −log k = {np.round(expected_ic, 2).tolist()}: "
            "fit w·c against PMI with shifted_pmi_fit on frequent pairs, after training long enough.")
    moved = bool(np.ptp(sl) > 0.1)
    return selfcheck.boolean(
        "changes_slope", changes_slope, moved,
        why="the theory says w·c = PMI − log k: k moves the intercept, not the slope"
            + (", and your slopes agree within 0.1." if not moved else ", yet your slopes differ by more than 0.1."),
    )


def check_polygon_dimensionality(value: Any, *, k: int) -> float:
    """Exercise: the feature dimensionality of k features evenly spread on a circle (§ 4.4)."""
    expected = float(superposition.derive_polygon_dimensionality(k))
    return selfcheck.number("D", value, expected, rtol=1e-6, atol=1e-6,
                            hint="D = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² with unit vectors at angles 2πj/k; "
                                 "use cos²θ = (1 + cos 2θ)/2.")


def _equals(value: Any, wrong: float) -> bool:
    """Whether an answer is (numerically) a known wrong answer, to say which mistake it is; never raises."""
    try:
        return bool(np.isclose(float(value), wrong, rtol=1e-6, atol=1e-6))
    except (TypeError, ValueError):
        return False


def check_pmi_distance(value: Any, *, counts: Any, x: int, y: int) -> float:
    """Exercise: the squared distance of two words under an exact factorisation of PMI (§ 4.8), the PMI distance
    D(x, y) = PMI(x, x) + PMI(y, y) − 2 PMI(x, y) (Ethayarajh et al. 2019, in the form of the page)."""
    P = corpus.pmi(validate.array("counts", counts, ndim=2, nonnegative=True))
    expected = float(P[x, x] + P[y, y] - 2 * P[x, y])
    log_p = np.log(np.asarray(counts, dtype=float).sum(1) / np.sum(counts))
    neg_cspmi = float(-(2 * P[x, y] + log_p[x] + log_p[y]))
    selfcheck.answered("distance", value)
    looks_like_cspmi = _equals(value, neg_cspmi)
    return selfcheck.number(
        "distance", value, expected, rtol=1e-6, atol=1e-6,
        hint=(f"That is −csPMI ({neg_cspmi:.4f}), which leaves out log p(x|x) + log p(y|y)." if looks_like_cspmi
              else "‖w_x − w_y‖² = ⟨w_x, w_x⟩ + ⟨w_y, w_y⟩ − 2⟨w_x, w_y⟩; each inner product is an entry of PMI."),
        explain=f"D = PMI(x, x) + PMI(y, y) − 2 PMI(x, y) = {expected:.4f}.",
    )


def check_cspmi_hypothesis(cspmi: Any, cspmi_equal: Any, *, counts: Any, pairs: Sequence[tuple[int, int]],
                           tol: float = 0.1) -> bool:
    """Exercise (a hypothesis test, § 4.8): do the pairs of an exact relation share one csPMI, as the csPMI theorem
    of Ethayarajh et al. (2019) reads when the self-co-occurrence terms are constant? ``cspmi`` is the student's
    csPMI(a, b) = PMI(a, b) + log p(a, b) for each pair; ``cspmi_equal`` their yes/no answer (equal within ``tol``)."""
    selfcheck.answered("cspmi", cspmi)
    selfcheck.answered("cspmi_equal", cspmi_equal)
    C = validate.array("counts", counts, ndim=2, nonnegative=True)
    P = corpus.pmi(C)
    log_p = np.log(C.sum(1) / C.sum())
    expected = np.array([2 * P[a, b] + log_p[a] + log_p[b] for a, b in pairs])
    try:
        got = np.asarray(cspmi, dtype=float)
    except (TypeError, ValueError):
        raise selfcheck.WrongAnswer("cspmi should be a list of numbers, one per pair.") from None
    if got.shape != expected.shape:
        raise selfcheck.WrongAnswer(f"cspmi should hold {expected.size} numbers, one per pair in {list(pairs)}.")
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-6):
        pmi_only = np.array([P[a, b] for a, b in pairs])
        raise selfcheck.WrongAnswer(
            "those are the PMIs: csPMI adds log p(a, b) = PMI(a, b) + log p(a) + log p(b)."
            if np.allclose(got, pmi_only, atol=1e-6) else
            "csPMI(a, b) = PMI(a, b) + log p(a, b), with p(a, b) = #(a, b)/D and PMI from corpus.pmi(counts).")
    equal = bool(np.ptp(expected) <= tol)
    return selfcheck.boolean(
        "cspmi_equal", cspmi_equal, equal,
        why=f"the csPMIs span {np.ptp(expected):.2f}, " + ("within" if equal else "more than") + f" {tol}; "
            "their PMI distances D, which keep log p(w | w), are what an exact relation makes equal.",
    )


def check_merged_pmi(value: Any, *, counts: Any) -> float:
    """Exercise: PMI(w, 2) after merging words 0 and 1 of ``counts`` into w (§ 4.9, prop-ch4-merged-pmi)."""
    C = validate.array("counts", counts, ndim=2, nonnegative=True)
    expected = float(corpus.pmi(word_senses.merge_words(C, 0, 1))[0, 1])
    P = corpus.pmi(C)
    share = C[0].sum() / (C[0].sum() + C[1].sum())
    first = float(share * P[0, 2] + (1 - share) * P[1, 2])
    selfcheck.answered("pmi_merged", value)
    is_first = _equals(value, first)
    return selfcheck.number(
        "pmi_merged", value, expected, rtol=1e-6, atol=1e-6,
        hint=("That is the first order, φ·PMI(0, 2) + (1 − φ)·PMI(1, 2); the exact row is a log of a weighted sum "
              "of exponentials." if is_first else
              "Add row 1 to row 0 and column 1 to column 0, drop row and column 1, and take the PMI of the result."),
        explain=f"PMI(w, 2) = log(φ e^PMI(0,2) + (1 − φ) e^PMI(1,2)) = {expected:.4f}, with φ = {share:.3f}.",
    )


def check_phase_boundary(value: Any, *, r: float) -> float:
    """Exercise: the largest q = 1 − S at which the antipodal pair beats feature 1 alone (§ 4.10, prop-ch4-phase)."""
    r = validate.real("r", r, low=0.0, high=1.0, low_open=True)
    expected = 4 * r / (2 + 5 * r)
    return selfcheck.number(
        "q_star", value, expected, rtol=1e-3, atol=1e-4,
        hint="Set r·q(4 − 3q)/12 equal to q²(1 + r)/6 and solve for q (not for S = 1 − q).",
        explain=f"q* = 4r/(2 + 5r) = {expected:.4f}: superposition needs S > {1 - expected:.3f}.",
    )


def check_weak_scaling_exponent(value: Any, *, n_features: int, exponent: float, dims: Sequence[int]) -> float:
    """Exercise: the exponent of L ∝ m^(−α) of the weak-superposition loss (§ 4.10), fitted over ``dims`` from the
    finite sum over the features left out; no training."""
    dims = [validate.integer(f"dims[{i}]", d, low=1, high=n_features) for i, d in enumerate(dims)]
    expected = float(superposition_phase.loss_exponents(
        dims, superposition_phase.weak_loss(n_features, exponent, dims)))
    tail = exponent - 1.0
    return selfcheck.number(
        "alpha_weak", value, expected, rtol=1e-3, atol=1e-3,
        hint=(f"That is the infinite-tail exponent a − 1 = {tail:g}; with only {n_features} features the sum over "
              "the features left out ends, and the fit over these m bends away from it." if _equals(value, tail)
              else "That is the strong-superposition exponent; compute the weak loss with weak_loss and fit "
              "loss_exponents." if _equals(value, 1.0) else
              "weak_loss(n_features, a, dims) gives L(m); loss_exponents(dims, L) fits its exponent."),
        explain=f"α = {expected:.3f} over m = {dims}: below 1, so the weak regime falls more slowly than 1/m.",
    )


def check_frequent_pmi_band(value: Any, *, counts: Any, min_count: int = 100, band: float = 1.0) -> float:
    """Exercise: the share of the pairs seen at least ``min_count`` times whose |PMI| is below ``band`` (§ 4.11),
    the pairs on which the Wikipedia page tests the shifted-PMI identity."""
    C = validate.array("counts", counts, ndim=2, nonnegative=True)
    min_count = validate.integer("min_count", min_count, low=1)
    band = validate.real("band", band, low=0.0, low_open=True)
    P = corpus.pmi(C)
    frequent = C >= min_count
    if not frequent.any():
        raise ValueError(f"no pair is seen {min_count} times or more")
    expected = float(np.mean(np.abs(P[frequent]) < band))
    over_all = float(np.mean(np.abs(P[C >= 1]) < band))
    selfcheck.answered("share", value)
    return selfcheck.number(
        "share", value, expected, rtol=1e-6, atol=1e-6,
        hint=(f"That is the share over every pair seen at least once ({over_all:.4f}); keep only the frequent ones."
              if _equals(value, over_all) else
              "Select the cells with counts >= min_count, take their PMI and count those with |PMI| < band."),
        explain=f"{expected:.1%} of the frequent pairs have |PMI| < {band:g}, against {over_all:.1%} of all seen pairs.",
    )


def check_smoothed_intercept(value: Any, *, counts: Any, power: float = 0.75, negatives: int = 5,
                             min_count: int = 100) -> float:
    """Exercise: the intercept of w·c fitted on the plain PMI when SGNS with noise ∝ #(c)^power sits at its optimum
    w·c = PMI_power − log k (§ 4.11): the least-squares line of PMI_power − log k on PMI over the frequent pairs."""
    C = validate.array("counts", counts, ndim=2, nonnegative=True)
    k = validate.integer("negatives", negatives, low=1)
    frequent = C >= validate.integer("min_count", min_count, low=1)
    if frequent.sum() < 3:
        raise ValueError(f"fewer than 3 pairs are seen {min_count} times or more")
    fit = geometry.linear_fit(corpus.pmi(C)[frequent], wikipedia.smoothed_pmi(C, power)[frequent] - math.log(k))
    expected, naive = fit["intercept"], -math.log(k)
    selfcheck.answered("intercept", value)
    return selfcheck.number(
        "intercept", value, expected, rtol=1e-6, atol=1e-6,
        hint=(f"That is −log k ({naive:.4f}), the intercept on the smoothed PMI; on the plain PMI each context c "
              "adds log P(c) − log P_α(c)." if _equals(value, naive) else
              "Regress PMI_α − log k (wikipedia.smoothed_pmi) on PMI over the frequent pairs and read the intercept."),
        explain=f"intercept {expected:.4f} (slope {fit['slope']:.3f}) against −log k = {naive:.4f}: fitted on the "
                "wrong target, the smoothed-noise run misses the shift.",
    )
