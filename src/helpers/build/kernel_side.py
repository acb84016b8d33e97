"""What a warm kernel runs between notebooks (imported in the kernel, not
in the build process).

* :func:`prepare` imports everything a section notebook imports, once,
  sets figures to show as JupyterLab shows them (:mod:`helpers.figures`)
  and takes the state every notebook starts from
  (:mod:`helpers.build.kernel_state`).
* :func:`settle` is run once the store is loaded: one full garbage
  collection, then everything alive is moved out of the collector's sight
  (``gc.freeze``). The modules, the store and the chart style live as long
  as the kernel; without this every automatic full collection walks them
  again (about a fifth of a pack's time in the kernel went to the
  collector).
* :func:`reset` gives the next notebook a clean namespace: IPython's own
  reset (``%reset -f``) without the two full collections it runs each
  time, which cost more than the smaller section notebooks themselves (the
  cycles left go at the next automatic collection); then the kernel's
  state as :func:`prepare` left it (:func:`helpers.build.kernel_state.restore`),
  printing what a notebook had changed in place, for the build log.
"""

from __future__ import annotations

import gc
import os

#: Modules a section notebook imports (those missing are skipped).
MODULES = ("numpy", "pandas", "matplotlib.pyplot", "seaborn", "IPython.display", "helpers", "helpers.store",
           "helpers.catalogue", "helpers.stats", "helpers.charts", "helpers.words", "helpers.report",
           "helpers.members", "helpers.local")


def prepare() -> None:
    import importlib
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a notebook that needs it says why
            pass
    from helpers import figures
    from helpers.build import kernel_state
    figures.enable()
    kernel_state.snapshot()


def settle() -> None:
    from helpers.build import kernel_state
    kernel_state.remember_stores()
    gc.collect()
    gc.freeze()


def reset() -> None:
    from IPython import get_ipython
    from helpers.build import kernel_state
    shell = get_ipython()
    collect = gc.collect
    gc.collect = lambda generation=2: 0   # IPython's reset calls it; the next automatic collection will do
    try:
        shell.reset(new_session=False)
    finally:
        gc.collect = collect
    for line in kernel_state.restore():
        print(line)
