import dataclasses

import jax
import numpy as np
import pytest

from dltheory import runtime, validate


def test_mode_default_and_env(monkeypatch):
    monkeypatch.delenv("DLTHEORY_MODE", raising=False)
    assert runtime.mode() == "fast"
    monkeypatch.setenv("DLTHEORY_MODE", " FULL ")
    assert runtime.mode() == "full"
    assert runtime.mode("fast") == "fast"


@pytest.mark.parametrize("bad", ["slow", "", "gpu"])
def test_mode_rejects_unknown(monkeypatch, bad):
    monkeypatch.setenv("DLTHEORY_MODE", bad)
    with pytest.raises(ValueError, match="DLTHEORY_MODE"):
        runtime.mode()
    with pytest.raises(ValueError, match="mode"):
        runtime.mode(bad or "x")


def test_seed_from_env(monkeypatch):
    monkeypatch.delenv("DLTHEORY_SEED", raising=False)
    assert runtime.base_seed() == 0
    monkeypatch.setenv("DLTHEORY_SEED", "7")
    assert runtime.base_seed() == 7
    assert runtime.seeds(3) == [7, 8, 9]
    assert runtime.seeds(2, offset=10) == [17, 18]
    k1, k2 = runtime.key(1), runtime.key(1)
    assert np.array_equal(jax.random.key_data(k1), jax.random.key_data(k2))
    monkeypatch.setenv("DLTHEORY_SEED", "8")
    assert not np.array_equal(jax.random.key_data(runtime.key(1)), jax.random.key_data(k1))


@pytest.mark.parametrize("bad", ["-1", "abc", "1.5", str(2**31)])
def test_seed_rejects_bad(monkeypatch, bad):
    monkeypatch.setenv("DLTHEORY_SEED", bad)
    with pytest.raises(ValueError, match="DLTHEORY_SEED"):
        runtime.base_seed()


@pytest.mark.parametrize("call", [lambda: runtime.seeds(0), lambda: runtime.seeds(2.0), lambda: runtime.seeds(1, offset=-1),
                                  lambda: runtime.key(-1), lambda: runtime.key(True)])
def test_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


def test_banner_names_mode_and_devices(capsys, monkeypatch):
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    line = runtime.banner()
    out = capsys.readouterr().out
    assert line in out
    assert "mode full" in line and "jax " in line and "cpu x" in line and len(line) < 100


def test_timeit_blocks_and_validates():
    calls = []

    def f(x):
        calls.append(1)
        return jax.numpy.sin(x)

    timing = runtime.timeit(f, jax.numpy.ones(3), repeats=3, warmup=2)
    assert len(calls) == 5 and len(timing.times) == 3
    assert timing.median > 0 and timing.spread >= 0 and "median of 3" in str(timing)
    with pytest.raises(ValueError, match="repeats"):
        runtime.timeit(f, 1.0, repeats=0)
    with pytest.raises(ValueError, match="callable"):
        runtime.timeit(3)


@dataclasses.dataclass(frozen=True)
class _Cfg(runtime.ModeConfig):
    n: int = validate.field(1, validate.integer, low=1)
    m: int = validate.field(1, validate.integer, low=1)

    @classmethod
    def fast(cls):
        return cls(n=1)

    @classmethod
    def full(cls):
        return cls(n=100)

    def check(self):
        if self.m > self.n:
            raise ValueError(f"m must be at most n = {self.n}, got {self.m}")


def test_mode_config(monkeypatch):
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    assert _Cfg.from_env().n == 100
    assert _Cfg.from_env("fast").n == 1
    assert _Cfg.fast().replace(n=5).n == 5
    with pytest.raises(ValueError, match=r"n must be an integer >= 1, got 0"):
        _Cfg.fast().replace(n=0)
    with pytest.raises(ValueError, match="m must be at most n = 1"):  # the relation between fields
        _Cfg.fast().replace(m=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        _Cfg.fast().n = 3  # type: ignore[misc]


def test_a_config_with_the_old_validate_hook_is_refused_when_defined():
    with pytest.raises(TypeError, match="validate.field"):
        @dataclasses.dataclass(frozen=True)
        class Old(runtime.ModeConfig):
            n: int = 1

            def validate(self):
                raise ValueError("never called")


def test_show_source_prints_code(capsys):
    assert runtime.show_source(runtime.base_seed) is None
    assert capsys.readouterr().out.startswith("def base_seed")
    with pytest.raises(ValueError, match="function"):
        runtime.show_source(3)


def test_matmul_precision_is_pinned_book_wide_and_validated(monkeypatch):
    import subprocess
    import sys

    monkeypatch.delenv("DLTHEORY_MATMUL_PRECISION", raising=False)
    assert runtime.matmul_precision() == "highest"
    assert runtime.matmul_precision(" High ") == "high"
    monkeypatch.setenv("DLTHEORY_MATMUL_PRECISION", "tf32")
    with pytest.raises(ValueError, match="DLTHEORY_MATMUL_PRECISION must be one of"):
        runtime.matmul_precision()
    with pytest.raises(ValueError, match="precision must be one of"):
        runtime.apply_matmul_precision("fastest")
    # importing the runtime sets JAX's default precision from the environment, in a fresh process
    code = "import jax, dltheory.runtime; print(jax.config.jax_default_matmul_precision)"
    for env_value, expected in (("", "highest"), ("default", "default")):
        env = {k: v for k, v in __import__("os").environ.items() if k != "DLTHEORY_MATMUL_PRECISION"}
        if env_value:
            env["DLTHEORY_MATMUL_PRECISION"] = env_value
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected


def test_compilation_cache_is_on_in_dltheory_cache_unless_turned_off(tmp_path):
    import os
    import subprocess
    import sys

    code = "import jax, dltheory.runtime; print(jax.config.jax_compilation_cache_dir or '')"
    base = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    on = subprocess.run([sys.executable, "-c", code], env={**base, "DLTHEORY_CACHE": str(tmp_path)},
                        capture_output=True, text=True, check=True)
    assert on.stdout.strip() == str(tmp_path / "jax")
    off = subprocess.run([sys.executable, "-c", code], env={**base, "DLTHEORY_CACHE": str(tmp_path),
                                                            "DLTHEORY_COMPILATION_CACHE": "0"},
                         capture_output=True, text=True, check=True)
    assert off.stdout.strip() == ""
