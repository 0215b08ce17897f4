"""Self-check primitives, and every check of the warm-up exercises rejects wrong answers and placeholders."""

import numpy as np
import pytest

from dltheory import selfcheck, warmup


def test_number():
    assert selfcheck.number("x", 1.004, 1.0, rtol=1e-2) == pytest.approx(1.004)
    with pytest.raises(selfcheck.WrongAnswer, match="too large"):
        selfcheck.number("x", 1.5, 1.0)
    with pytest.raises(selfcheck.NotAnswered, match="placeholder"):
        selfcheck.number("x", ..., 1.0)
    for bad, message in [(True, "number"), (np.ones(2), "single number"), (float("nan"), "nan"), ("one", "single number")]:
        with pytest.raises(selfcheck.WrongAnswer, match=message):
            selfcheck.number("x", bad, 1.0)


def test_array_boolean_function():
    selfcheck.array("a", [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(selfcheck.WrongAnswer, match="shape"):
        selfcheck.array("a", [1.0], [1.0, 2.0])
    with pytest.raises(selfcheck.WrongAnswer, match="1 of 2 entries"):
        selfcheck.array("a", [1.0, 3.0], [1.0, 2.0])
    selfcheck.boolean("b", False, False, why="because")
    with pytest.raises(selfcheck.WrongAnswer, match="because"):
        selfcheck.boolean("b", True, False, why="because")
    with pytest.raises(selfcheck.WrongAnswer, match="True or False"):
        selfcheck.boolean("b", "no", False, why="because")
    selfcheck.function("f", np.square, lambda x: x * x, [(2.0,), (3.0,)])
    with pytest.raises(selfcheck.WrongAnswer, match="expected 9"):
        selfcheck.function("f", lambda x: 2 * x, lambda x: x * x, [(3.0,)])
    with pytest.raises(selfcheck.WrongAnswer, match="raised ZeroDivisionError"):
        selfcheck.function("f", lambda x: 1 / 0, lambda x: x, [(3.0,)])
    with pytest.raises(selfcheck.NotAnswered, match="returns None"):
        selfcheck.function("f", lambda x: None, lambda x: x, [(3.0,)])
    with pytest.raises(selfcheck.NotAnswered):
        selfcheck.answered("xs", [1, ...])


def test_time_exponent_is_derived():
    assert warmup.time_exponent(1.5, 2.0) == pytest.approx(2 / 3)
    assert warmup.time_exponent(2.0, 5.0) == pytest.approx(2.0)
    t = np.array([10.0, 100.0])
    law = warmup.time_law(t, 0.5, 1.5, 2.0)
    assert law[0] / law[1] == pytest.approx(10 ** (2 / 3))
    with pytest.raises(ValueError, match="c must be"):
        warmup.time_exponent(1.5, 1.0)
    with pytest.raises(ValueError, match="b must be"):
        warmup.time_exponent(0.0, 2.0)


def test_fit_exponent_recovers_and_validates():
    t, loss = warmup.noisy_power_law(0, alpha=0.9, noise=0.0)
    assert warmup.fit_exponent(t, loss) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="loss must be strictly positive"):
        warmup.fit_exponent([1, 2, 3], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        warmup.fit_exponent([1, 2, 3], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least 3 points"):
        warmup.fit_exponent([1, 2, 3], [1.0, 2.0, 3.0], t_min=2.5)


def test_sgd_powerlaw_follows_the_law_and_validates():
    h = warmup.sgd_powerlaw(dim=2000, b=1.5, c=2.0, steps=300, batch_size=16, learning_rate=0.5, seeds=[0])
    fitted = warmup.fit_exponent(h.steps[1:], h["loss"][0, 0, 1:], t_min=20)
    assert abs(fitted - 2 / 3) < 0.1
    with pytest.raises(ValueError, match="learning_rate must be < 2"):
        warmup.sgd_powerlaw(dim=10, b=1.5, c=2.0, steps=10, batch_size=4, learning_rate=2.5, seeds=[0])
    with pytest.raises(ValueError, match="dim"):
        warmup.sgd_powerlaw(dim=0, b=1.5, c=2.0, steps=10, batch_size=4, learning_rate=0.5, seeds=[0])


def test_exercise_checks_accept_right_and_reject_wrong():
    warmup.check_exponent(1.0, b=2, c=3)
    for wrong in (0.5, 1.5, 2.0):
        with pytest.raises(selfcheck.WrongAnswer):
            warmup.check_exponent(wrong, b=2, c=3)

    def good_fit(t, loss):
        return -np.polyfit(np.log(t), np.log(loss), 1)[0]

    warmup.check_fit_function(good_fit)
    with pytest.raises(selfcheck.WrongAnswer):
        warmup.check_fit_function(lambda t, loss: np.polyfit(np.log(t), np.log(loss), 1)[0])  # sign forgotten
    with pytest.raises(selfcheck.WrongAnswer):
        warmup.check_fit_function(lambda t, loss: -np.polyfit(t, np.log(loss), 1)[0])  # not log-log

    same = [0.67, 0.68, 0.66]
    warmup.check_batch_hypothesis(False, same, same, b=1.5, c=2.0)
    with pytest.raises(selfcheck.WrongAnswer, match="is not right"):
        warmup.check_batch_hypothesis(True, same, same, b=1.5, c=2.0)
    with pytest.raises(selfcheck.WrongAnswer, match="differ by more"):
        warmup.check_batch_hypothesis(False, same, [0.9, 0.9, 0.9], b=1.5, c=2.0)

    warmup.check_truncation_step(1000**1.5 / 50 / (2 * 0.5), dim=1000, b=1.5, learning_rate=0.5)
    for wrong in (1000**1.5 / 50 / 0.5, 1000**1.5 / 50 / 2, 1000 / 50):  # factor 2 forgotten, η and 2 mixed up, b forgotten
        with pytest.raises(selfcheck.WrongAnswer):
            warmup.check_truncation_step(wrong, dim=1000, b=1.5, learning_rate=0.5)


@pytest.mark.parametrize(
    "check",
    [
        lambda: warmup.check_exponent(..., b=2, c=3),
        lambda: warmup.check_fit_function(...),
        lambda: warmup.check_batch_hypothesis(..., ..., ..., b=1.5, c=2.0),
        lambda: warmup.check_truncation_step(..., dim=1000, b=1.5, learning_rate=0.5),
    ],
)
def test_exercise_checks_reject_placeholders(check):
    with pytest.raises(selfcheck.NotAnswered):
        check()
