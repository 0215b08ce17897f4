"""The benchmarks run on a tiny configuration and write a well-formed report (no speed is asserted),
and the references they are measured against compute the same thing as our code."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import harness, workloads  # noqa: E402
from dltheory import nets  # noqa: E402
from dltheory.grokking import models as gm  # noqa: E402

HAS_TORCH, WHY_NO_TORCH = workloads.torch_available()
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason=f"the PyTorch rows are skipped: {WHY_NO_TORCH}")


def _bench(*args, tmp_path, timeout=600):
    # Tiny figures mean nothing, and compilation is most of a tiny run (see book/performance.md): JAX's persistent
    # compilation cache makes the repeated compilations of train.train cheap, and XLA optimises less.
    flags = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(tmp_path / "jax-cache"), DLTHEORY_PROGRESS="0", XLA_FLAGS=flags)
    return subprocess.run([sys.executable, "-m", "benchmarks", *args, "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


def _well_formed(data, md):
    for row in data["rows"]:
        assert row["ours"] > 0 and row["unit"] and row["workload"]
        assert row["reference"] is None or row["ratio"] == row["ours"] / row["reference"]
    book_rows = data.get("book", {}).get("rows", [])
    assert md.count("\n| ") == len(data["rows"]) + 1 + (len(book_rows) + 1 + len(data["book"]["pages"]) + 1
                                                       + len({p["part"] for p in data["book"]["pages"]}) if book_rows else 0)


def test_tiny_benchmarks_write_a_report(tmp_path):
    proc = _bench("--tiny", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["matmul_peak_flops_per_s"] > 0 and data["config"] == "tiny"
    assert data["machine"]["jax"] and data["machine"]["devices"]
    assert data["rows"], "no workload was measured"
    md = (tmp_path / "results.md").read_text()
    assert "| # | ours |" in md and "GFLOP/s" in md
    _well_formed(data, md)
    names = " ".join(r["workload"] for r in data["rows"])
    for workload in ("sweep", "the book's sweep", "grokking transformer", "SGNS", "ridgeless", "random-features"):
        assert workload in names
    book_sweep = next(r for r in data["rows"] if r["workload"].startswith("the book's sweep"))
    assert book_sweep["details"]["k"] == 4 and 0 <= book_sweep["details"]["max_final_test_acc_gap"] <= 1
    grok = [r for r in data["rows"] if r["workload"].startswith("grokking")]
    if HAS_TORCH:
        assert len(grok) == 2 and all(r["reference"] > 0 and r["useful_flops_per_s"] > 0 for r in grok)
    else:
        assert len(grok) == 1 and "PyTorch skipped" in grok[0]["reference_name"]
    sgns = next(r for r in data["rows"] if r["workload"].startswith("SGNS"))
    assert set(sgns["details"]["accuracy"]) == {"ours", "gensim"} and sgns["details"]["threads"] >= 1


# --------------------------------------------------------------------------- the grokking references


def _tiny_problem():
    cfg = workloads.grok_config(workloads.Size.tiny())
    tokens, labels = workloads.grok_data(cfg)
    params = jax.jit(gm.init_model, static_argnums=1)(jax.random.key(3), cfg)
    return cfg, tokens, labels, params


@needs_torch
@pytest.mark.parametrize("kind", ["full", "last"])
def test_torch_references_compute_our_loss_and_gradients(kind):
    from benchmarks import grokking_torch

    cfg, tokens, labels, params = _tiny_problem()
    ours, our_grads = jax.jit(jax.value_and_grad(workloads.grok_loss))(params, (tokens, labels))
    model = grokking_torch.from_jax(kind, jax.device_get(params))
    theirs, their_grads = grokking_torch.grads(model, tokens, labels)
    assert theirs == pytest.approx(float(ours), rel=1e-5)
    for name in grokking_torch.NAMES:
        np.testing.assert_allclose(their_grads[name], np.asarray(our_grads[name]), rtol=1e-4, atol=1e-6, err_msg=name)


@needs_torch
@pytest.mark.parametrize("kind", ["full", "last"])
def test_torch_references_take_our_adamw_steps(kind):
    from benchmarks import grokking_torch

    cfg, tokens, labels, params = _tiny_problem()
    opt = workloads.grok_optimizer(cfg)

    @jax.jit
    def step(params, state):
        grads = jax.grad(workloads.grok_loss)(params, (tokens, labels))
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    ours, state = params, opt.init(params)
    for _ in range(3):
        ours, state = step(ours, state)
    model = grokking_torch.from_jax(kind, jax.device_get(params))
    grokking_torch.trainer(model, tokens, labels, lr=cfg.lr, weight_decay=cfg.weight_decay,
                           betas=(cfg.beta1, cfg.beta2))(3)
    theirs = grokking_torch.params_numpy(model)
    for name in grokking_torch.NAMES:
        np.testing.assert_allclose(theirs[name], np.asarray(ours[name]), rtol=1e-4, atol=1e-6, err_msg=name)


@needs_torch
def test_the_reference_check_can_fail():
    """A reference that computes something else (one weight changed) is caught by the comparison above."""
    from benchmarks import grokking_torch

    cfg, tokens, labels, params = _tiny_problem()
    ours, our_grads = jax.jit(jax.value_and_grad(workloads.grok_loss))(params, (tokens, labels))
    wrong = dict(jax.device_get(params))
    wrong["W_in"] = wrong["W_in"] * 1.01
    theirs, their_grads = grokking_torch.grads(grokking_torch.from_jax("last", wrong), tokens, labels)
    assert theirs != pytest.approx(float(ours), rel=1e-5) or not np.allclose(their_grads["W_out"], our_grads["W_out"],
                                                                             rtol=1e-4, atol=1e-6)


def _xla_flops(loss, params) -> float:
    analysis = jax.jit(jax.grad(loss)).lower(params).compile().cost_analysis()
    return float((analysis[0] if isinstance(analysis, list) else analysis)["flops"])


def test_flop_counts_agree_with_xla_cost_analysis():
    # The counts of the report, written from the model's shapes, against XLA's own count of the compiled
    # gradient (which also counts the elementwise work, hence the 5%): once for our reduced model and once
    # for the paper's every-position model.
    cfg = workloads.grok_config(workloads.Size.standard())
    tokens, labels = (jnp.asarray(a) for a in workloads.grok_data(cfg))
    params = gm.init_model(jax.random.key(0), cfg)
    ours = _xla_flops(lambda p: workloads.grok_loss(p, (tokens, labels)), params)
    paper = _xla_flops(lambda p: optax.softmax_cross_entropy_with_integer_labels(
        nets.transformer_apply_all(p, tokens)[:, -1], labels).mean(), params)
    assert workloads.grok_flops(cfg, reduced=True) == pytest.approx(ours, rel=0.05)
    assert workloads.grok_flops(cfg, reduced=False) == pytest.approx(paper, rel=0.05)
    assert paper / ours > 3  # the reduction is worth reporting


def test_sweeps_must_agree_with_their_reference():
    with pytest.raises(AssertionError, match="differ"):
        workloads._compare("x", np.array([1.0, 2.0]), np.array([1.0, 2.1]), 1e-6)
    assert workloads._compare("x", np.array([1.0, 2.0]), np.array([1.0, 2.0]), 1e-6) == 0.0


# --------------------------------------------------------------------------- the whole book


def _tiny_book(tmp_path):
    book = tmp_path / "tiny-book"
    book.mkdir()
    (book / "_config.yml").write_text("title: tiny\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: cache\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    (book / "index.md").write_text(textwrap.dedent("""\
        ---
        jupytext:
          text_representation:
            extension: .md
            format_name: myst
        kernelspec:
          display_name: Python 3
          language: python
          name: python3
        ---

        # A tiny book

        ```{code-cell} ipython3
        import jax.numpy as jnp
        print(int(jnp.arange(4).sum()) * 7)
        ```
        """))
    return book


def test_book_benchmark_on_a_one_page_book(tmp_path):
    book = _tiny_book(tmp_path)
    out = tmp_path / "report"
    proc = _bench("--book", "--book-source", str(book), tmp_path=out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((out / "results.json").read_text())
    assert data["rows"] == [] and data["config"] == "book only"
    cold, cached = data["book"]["rows"]
    assert cold["unit"] == "s" and cold["ours"] > 0 and cached["ours"] > 0
    assert [p["page"] for p in data["book"]["pages"]] == ["index.md"] and data["book"]["pages"][0]["seconds"] >= 0
    md = (out / "results.md").read_text()
    assert "## The whole book" in md and "| front matter | index.md |" in md
    _well_formed(data, md)
    # a later run of the other workloads keeps the book's rows (checked without running them: merge only)
    from benchmarks.__main__ import _previous

    assert _previous(out)["book"]["pages"] == data["book"]["pages"]


def test_book_times_read_from_a_build_already_made(tmp_path):
    from benchmarks import __main__ as cli
    from benchmarks import book as bench_book

    source = _tiny_book(tmp_path)
    built = tmp_path / "built"
    bench_book._build(source, built)
    rows, pages = bench_book.from_build(built, source)
    assert [p["page"] for p in pages] == ["index.md"] and rows[0].ours == pages[0]["seconds"] > 0
    out = tmp_path / "report"
    status = cli.main(["--book-from", str(built), "--book-source", str(source), "--out", str(out), "--tiny"])
    assert status == 0
    data = json.loads((out / "results.json").read_text())
    assert "--book-from built" in data["book"]["how"] and data["book"]["pages"][0]["page"] == "index.md"
    assert "--book-from built" in (out / "results.md").read_text()
    with pytest.raises(SystemExit):
        cli.main(["--book", "--book-from", str(built), "--out", str(out)])
    with pytest.raises(ValueError, match="out"):
        bench_book.from_build(tmp_path / "nothing", source)


def test_bad_book_source_is_a_value_error(tmp_path):
    from benchmarks import book

    with pytest.raises(ValueError, match="source"):
        book.run(tmp_path)
    with pytest.raises(ValueError, match="out"):
        book.page_times(tmp_path, tmp_path)


def test_a_run_without_book_keeps_the_book_rows(tmp_path, monkeypatch):
    from benchmarks import __main__ as cli

    book_row = harness.Row(workload="the whole book, cold build", unit="s", ours=600.0, reference=None,
                           reference_name="target: ≤ 15 min", ours_spread=0.0, reference_spread=None)
    pages = [{"page": "book/intro.md", "part": "front matter", "seconds": 1.5}]
    harness.write_report([], 1e9, harness.machine(), tmp_path, config="standard",
                         book={"machine": harness.machine(), "rows": [book_row], "pages": pages})
    monkeypatch.setattr(workloads, "WORKLOADS", [])
    assert cli.main(["--tiny", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["config"] == "tiny" and data["book"]["pages"] == pages
    assert data["book"]["rows"][0]["ours"] == 600.0 and "## The whole book" in (tmp_path / "results.md").read_text()


def test_profile_page_splits_compilation_from_running(tmp_path):
    from benchmarks import profile_page

    result = profile_page.profile(_tiny_book(tmp_path) / "index.md")
    assert result["wall_s"] > 0 and result["compile"] > 0 and 0 < result["compile_share"] < 1
    with pytest.raises(ValueError, match="page"):
        profile_page.profile(tmp_path / "missing.md")
