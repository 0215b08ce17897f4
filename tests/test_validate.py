import numpy as np
import pytest

from dltheory import validate


def test_integer():
    assert validate.integer("n", 3, low=1) == 3
    assert validate.integer("n", np.int64(4)) == 4
    for bad in (True, 2.0, "3", None, 0):
        with pytest.raises(ValueError, match="n must be an integer"):
            validate.integer("n", bad, low=1)
    with pytest.raises(ValueError, match=r"in \[1, 5\]"):
        validate.integer("n", 6, low=1, high=5)


def test_real():
    assert validate.real("x", 0.5, low=0, high=1) == 0.5
    with pytest.raises(ValueError, match=r"x must be in \(0"):
        validate.real("x", 0.0, low=0, low_open=True)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="finite"):
            validate.real("x", bad)
    for bad in ("a", None, True):
        with pytest.raises(ValueError, match="real number"):
            validate.real("x", bad)
    with pytest.raises(ValueError, match="scalar"):
        validate.real("x", np.ones(2))
    assert validate.probability("p", 1.0) == 1.0
    with pytest.raises(ValueError):
        validate.probability("p", 1.0, open_high=True)


def test_array():
    a = validate.array("a", [[1, 2], [3, 4]], ndim=2, shape=(None, 2), positive=True)
    assert a.shape == (2, 2)
    with pytest.raises(ValueError, match="ndim"):
        validate.array("a", [1, 2], ndim=2)
    with pytest.raises(ValueError, match=r"shape \(\*, 3\)"):
        validate.array("a", np.ones((2, 2)), shape=(None, 3))
    with pytest.raises(ValueError, match="finite"):
        validate.array("a", [1.0, np.nan])
    with pytest.raises(ValueError, match="strictly positive"):
        validate.array("a", [1.0, 0.0], positive=True)
    with pytest.raises(ValueError, match="non-negative"):
        validate.array("a", [1.0, -1.0], nonnegative=True)
    with pytest.raises(ValueError, match="at least 1"):
        validate.array("a", [])
    with pytest.raises(ValueError, match="array of numbers"):
        validate.array("a", ["x", "y"])


def test_prime_and_choice():
    assert [n for n in range(30) if validate.is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    assert validate.prime("p", 113) == 113
    with pytest.raises(ValueError, match="p must be a prime"):
        validate.prime("p", 91)
    assert validate.choice("k", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="k must be one of"):
        validate.choice("k", "c", ("a", "b"))


def test_increasing_integers_and_schedule():
    import numpy as np

    np.testing.assert_array_equal(validate.increasing_integers("widths", [2, 4, 8]), [2, 4, 8])
    for bad in ([4, 2], [2, 2], [1.5, 3], [0, 1], []):
        with pytest.raises(ValueError, match="widths"):
            validate.increasing_integers("widths", bad)
    assert validate.schedule(100, 10) == (100, 10)
    for steps, every, name in ((100, 30, "multiple"), (0, 1, "steps"), (10, 20, "eval_every"), (10, 0, "eval_every")):
        with pytest.raises(ValueError, match=name):
            validate.schedule(steps, every)


# --------------------------------------------------------------------------- declared config fields


def test_field_declares_a_range_that_construction_checks():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Cfg:
        n: int = validate.field(3, validate.integer, low=1, high=10)
        frac: float = validate.field(0.5, validate.real, low=0.0, high=1.0, low_open=True)
        model: str = validate.field("mlp", validate.choice, options=("mlp", "transformer"))
        batch: int | None = validate.field(None, validate.integer, low=1, optional=True)
        widths: tuple[int, ...] = validate.field((1, 2, 4), validate.increasing_integers, min_size=2)

        def __post_init__(self):
            validate.check_fields(self)

    Cfg()
    Cfg(batch=8, widths=(3, 5))
    bad = {"n": 0, "frac": 0.0, "model": "cnn", "batch": 0, "widths": (4, 2)}
    for name, value in bad.items():
        with pytest.raises(ValueError, match=name):
            Cfg(**{name: value})
    with pytest.raises(ValueError, match="n must be an integer in \\[1, 10\\], got 11"):
        Cfg(n=11)
    spec = next(f for f in dataclasses.fields(Cfg) if f.name == "batch").metadata["check"]
    assert spec.describe() == "integer, low=1, or None"


def test_field_rejects_a_default_outside_its_own_range_and_mutable_defaults():
    with pytest.raises(ValueError, match="default must be an integer >= 1"):
        validate.field(0, validate.integer, low=1)
    with pytest.raises(ValueError, match="immutable"):
        validate.field([1, 2], validate.increasing_integers)
    with pytest.raises(ValueError, match="check must be a function"):
        validate.field(1, "integer")


def test_tuple_and_multiple_checks_name_the_field_the_entry_and_the_range():
    assert validate.multiple("steps", 1500, low=10, of=10) == 1500
    assert validate.reals("rhos", (0.0, 0.5), low=-1.0, high=1.0, low_open=True, high_open=True) == (0.0, 0.5)
    assert validate.integers("boundaries", [1, 5, 9], low=1, high=9, min_size=2, increasing=True) == (1, 5, 9)
    assert validate.reals("betas", np.array([1.5, 2.0]), low=1.0) == (1.5, 2.0)
    bad = [
        (lambda: validate.multiple("steps", 15, low=10, of=10), "steps must be a multiple of 10"),
        (lambda: validate.multiple("steps", 0, low=10, of=10), r"steps must be an integer >= 10"),
        (lambda: validate.reals("rhos", (0.5, 1.0), low=-1.0, high=1.0, low_open=True, high_open=True),
         r"rhos\[1\] must be in \(-1.0, 1.0\)"),
        (lambda: validate.reals("rhos", 0.5), "rhos must be a sequence of numbers"),
        (lambda: validate.reals("rhos", "0.5"), "rhos must be a sequence of numbers"),
        (lambda: validate.reals("rhos", ()), "rhos must have at least 1 entries"),
        (lambda: validate.reals("eta", (1.0, 2.0, 3.0), max_size=2), "eta must have 1 to 2 entries"),
        (lambda: validate.integers("bins", (8, 1), low=2), r"bins\[1\] must be an integer >= 2"),
        (lambda: validate.integers("boundaries", (5,), min_size=2), "boundaries must have at least 2 entries"),
        (lambda: validate.integers("boundaries", (50, 20), increasing=True), "boundaries must be increasing"),
    ]
    for call, message in bad:
        with pytest.raises(ValueError, match=message):
            call()


def test_seeds_refuses_a_bare_integer_an_empty_list_negatives_and_repeats_when_asked():
    assert validate.seeds([0, 1, 2]) == (0, 1, 2)
    assert validate.seeds(np.arange(3)) == (0, 1, 2)
    assert validate.seeds([3, 3]) == (3, 3)
    for bad, message in [(3, "non-empty sequence"), ([], "non-empty sequence"), ("01", "non-empty sequence"),
                         ([0, -1], r"seeds\[1\] must be an integer in \[0, 2147483647\]"),
                         ([2**31], r"seeds\[0\] must be an integer in \[0, 2147483647\]"), ([0, 1.5], r"seeds\[1\]")]:
        with pytest.raises(ValueError, match=message):
            validate.seeds(bad)
    with pytest.raises(ValueError, match="seeds must be distinct"):
        validate.seeds([3, 3], distinct=True)
    assert validate.seed("seed", validate.SEED_MAX) == 2**31 - 1
    with pytest.raises(ValueError, match="seed must be an integer"):
        validate.seed("seed", 1.0)
