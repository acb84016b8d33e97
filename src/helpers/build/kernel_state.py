"""A warm kernel's state, kept and restored between two notebooks.

The pack build runs every section notebook of every council in one warm
kernel (:class:`helpers.build.kernels.WarmKernel`). So that nothing one notebook
changes reaches the next, the kernel calls :func:`snapshot` once it has
imported what notebooks use, and :func:`restore` after each notebook (with
IPython's ``%reset -f`` for the notebook's own names). Restored:

- matplotlib's rcParams (so seaborn's theme and palette) and open figures;
- the figure display set-up (:func:`helpers.figures.enable`);
- warning filters, pandas options, numpy print and error settings;
- environment variables, the working folder and ``sys.path``;
- the module-level names of every ``helpers`` module (a notebook that
  rebinds ``helpers.report.HEADLINE_INDICATORS`` or edits
  ``helpers.charts.SOURCE_NAMES`` changes its own section only);
- modules the notebook imported from outside the installed packages (an
  analyst's own ``mycharts.py``), which the next notebook imports afresh.

Caches keyed by content are kept (:data:`KEPT`): the loaded stores (each
checked unchanged, and dropped if a notebook changed one in place), the
comparisons (handed out as copies) and text measurements.
"""

from __future__ import annotations

import copy
import os
import sys
import sysconfig
import warnings

__all__ = ["snapshot", "restore", "remember_stores", "KEPT"]

#: (module, name) of caches that stay from one notebook to the next, each
#: named in its own module (a package that re-exports one keeps it too).
KEPT = {("helpers.store", "_MEMO"), ("helpers.report", "_COMPARISONS"), ("helpers.charts.base", "_TEXT_METRICS"),
        ("helpers.stats.layout", "_CACHE"), ("helpers.build.kernel_state", "_SAVED"), ("helpers.report", "_DRAWN"),
        ("helpers.charts.layers", "_BACKGROUNDS")}
_CONTAINERS = (dict, list, set)
_SAVED: dict = {}


def snapshot() -> None:
    """Remember the kernel's state as it is now (after the start-up imports)."""
    import matplotlib
    import numpy as np
    import pandas as pd
    _SAVED.clear()
    _SAVED.update(
        rc={k: v for k, v in matplotlib.rcParams.items() if k != "backend"},
        filters=list(warnings.filters), pandas=copy.deepcopy(pd._config.config._global_config),
        printoptions=np.get_printoptions(), seterr=np.geterr(), environ=dict(os.environ), cwd=os.getcwd(),
        path=list(sys.path), modules=set(sys.modules), helpers=_helpers_state(), stores=_store_digests())


def restore() -> list[str]:
    """Put the kernel back as :func:`snapshot` found it; returns what a
    notebook had changed in place that had to be undone (for the build log)."""
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    if not _SAVED:
        return []
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_SAVED["rc"])
    warnings.filters[:] = _SAVED["filters"]
    config = pd._config.config._global_config
    config.clear()
    config.update(copy.deepcopy(_SAVED["pandas"]))
    np.set_printoptions(**_SAVED["printoptions"])
    np.seterr(**_SAVED["seterr"])
    _restore_environ(_SAVED["environ"])
    os.chdir(_SAVED["cwd"])
    sys.path[:] = _SAVED["path"]
    _forget_own_modules(_SAVED["modules"])
    _restore_helpers(_SAVED["helpers"])
    for name, names in _helpers_state().items():  # helpers modules first imported since: kept from now on
        _SAVED["helpers"].setdefault(name, names)
    changed = _drop_changed_stores(_SAVED["stores"])
    from helpers import figures
    figures.enable()
    return changed


def remember_stores() -> None:
    """Note the state of stores loaded since the snapshot (the build loads a
    store before the first notebook that uses it)."""
    if _SAVED:
        from helpers import store
        for key, s in store._MEMO.items():
            _SAVED["stores"].setdefault(key, (id(s), _digest(s)))


def _restore_environ(saved: dict) -> None:
    for key in [k for k in os.environ if k not in saved]:
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _installed_roots() -> tuple[str, ...]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    roots.update(p for p in sysconfig.get_paths().values() if p)
    return tuple(os.path.realpath(r) for r in roots)


def _forget_own_modules(before: set) -> None:
    """Remove modules imported since the snapshot from files outside the
    installed packages (an analyst's own), so the next notebook reads them anew."""
    roots = _installed_roots()
    helpers_root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    for name in [m for m in sys.modules if m not in before]:
        path = getattr(sys.modules[name], "__file__", None)
        if not path:
            continue
        real = os.path.realpath(path)
        if real.startswith(helpers_root) or real.startswith(roots):
            continue
        del sys.modules[name]


def _kept_ids() -> set[int]:
    """The objects :data:`KEPT` names, under whatever name a module holds them."""
    out = set()
    for module, name in KEPT:
        if module in sys.modules and hasattr(sys.modules[module], name):
            out.add(id(getattr(sys.modules[module], name)))
    return out


def _helpers_state() -> dict:
    """Each helpers module's names, with a copy of each container's contents."""
    out = {}
    kept = _kept_ids()
    for name, module in list(sys.modules.items()):
        if not (name == "helpers" or name.startswith("helpers.")) or module is None:
            continue
        names = {}
        for key, value in vars(module).items():
            if (name, key) in KEPT or id(value) in kept:
                continue
            names[key] = (value, copy.copy(value) if type(value) in _CONTAINERS else None)
        out[name] = names
    return out


def _restore_helpers(saved: dict) -> None:
    import types
    kept = _kept_ids()
    for name, names in saved.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        space = vars(module)
        for key in [k for k, v in space.items() if k not in names and (name, k) not in KEPT and id(v) not in kept
                    and not isinstance(v, types.ModuleType) and not k.startswith("__")]:
            del space[key]
        for key, (value, contents) in names.items():
            if space.get(key) is not value:
                space[key] = value
            if contents is not None and value != contents:
                value.clear()
                if isinstance(value, list):
                    value.extend(contents)
                else:
                    value.update(contents)


def _digest(store) -> int:
    import pandas as pd
    total = 0
    for frame in (store.indicators, store.areas, store.neighbours):
        if frame is not None:
            total ^= int(pd.util.hash_pandas_object(frame, index=True).sum()) ^ hash(tuple(frame.columns))
    return total


def _store_digests() -> dict:
    from helpers import store
    return {key: (id(s), _digest(s)) for key, s in store._MEMO.items()}


def _drop_changed_stores(saved: dict) -> list[str]:
    """Forget a loaded store a notebook changed in place (the next notebook
    reads it again from its snapshot); checks stores loaded since, too."""
    from helpers import store
    changed = []
    for key, s in list(store._MEMO.items()):
        known = saved.get(key)
        if known is None:
            saved[key] = (id(s), _digest(s))  # loaded by a notebook itself: checked from now on
            continue
        if known != (id(s), _digest(s)):
            del store._MEMO[key]
            saved.pop(key, None)
            changed.append(f"a notebook changed the loaded figures of {key} in place; they were read again")
    return changed
