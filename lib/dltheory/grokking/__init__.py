"""Chapter 3, grokking: generalisation long after memorisation (``chapters/03-grokking``).

One module per section page; a page imports its own, ``from dltheory.grokking import fourier_circuit as fc``:

* ``01-memorise-then-generalise`` (3.1): ``memorise_then_generalise``, the phase diagram and the
  weight-decay exercise check;
* ``02-fourier-circuit`` (3.2): ``fourier_circuit``, the Fourier spectrum, the progress measures, the
  chapter's explorer and the spectrum exercise checks;
* ``03-analytic-solution`` (3.3): ``analytic_solution``, Gromov's weights, the neuron form, the width
  exercise;
* ``04-acceleration-and-sign-flips`` (3.4): ``acceleration_and_sign_flips``, the Grokfast filter's gain
  and the sign flips;
* ``05-omnigrok-digits`` (3.5): ``omnigrok_digits``, Omnigrok on the digits (its config, data, constrained
  weight norm, runs, and the U and L shapes);
* ``06-softmax-collapse`` (3.6): ``softmax_collapse``, StableMax, ⊥Grad (both switched on in ``training.run``),
  the float32 collapse margin and the share of exactly zero losses;
* ``07-ungrokking`` (3.7): ``ungrokking``, grokked networks trained on with less data (Varma et al. 2023);
* ``08-lazy-to-rich`` (3.8): ``lazy_to_rich``, the delay against the initial scale on the digits (Lyu et al.
  2024), and ``lazy_rich_modular``, Kumar et al.'s (2024) laziness control (centred output, loss ÷ α², gradient
  descent) on modular addition.

Shared by Sections 3.1–3.4, all on addition modulo a prime ``p`` (Power et al. 2022; Nanda et al. 2023):

* ``models``: :class:`~dltheory.grokking.models.GrokConfig` (task, model and optimiser), ``init_model``,
  ``apply_model`` (an MLP on learned embeddings, the one-layer transformer of :mod:`dltheory.nets`, or
  Gromov's quadratic network ``quadratic_mlp``);
* ``data``: the table ``modular_addition`` and its train/test split (``split_rank``, ``train_mask``);
* ``training``: ``run`` (AdamW, full batch, optional Grokfast filter ``grokfast_ema``, coupled L2, ⊥Grad,
  StableMax and momentum switch) and the chapter's cached run ``shared_run``;
* ``results``: what a run returns, ``GrokResult``, the phases ``first_step`` and ``delays``, ``join``, and
  ``save_result`` / ``load_result`` for the saved full-mode run (``dltheory/data/03-grokking-full-run.npz``);
  ``training`` re-exports these names.

The exercise checks of ``exercises/03-grokking`` live in the section module they check. Nothing is
re-exported here: import the module you read.
"""
