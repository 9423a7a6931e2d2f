"""hamilton_nb: dataframes from functions, live in a notebook.

``from hamilton_nb import driver`` (or ``hamilton_nb.Driver``) for scripts; ``%load_ext hamilton_nb`` in IPython.
"""
from __future__ import annotations

from .session import frontends as _frontends

__version__ = "0.1.0"


def _notebook_frontend():
    """The notebook layer, front end of sessions and drivers (imported when first needed): the
    root wires it in, so the layers below never import it."""
    from .notebook.frontend import FRONTEND

    return FRONTEND


_frontends.use(_notebook_frontend)


def __getattr__(name: str):
    """``hamilton_nb.Driver``, as Apache Hamilton code spells it (imported on first use)."""
    if name == "Driver":
        from .driver import Driver

        return Driver
    raise AttributeError(f"module 'hamilton_nb' has no attribute {name!r}")


def get_session():
    """The process-wide live session (the Python twin of the magics)."""
    from .session import get_session as _get

    return _get()


def _jupyter_labextension_paths():
    """Where the prebuilt frontend extension lies in the package (read by ``jupyter-builder develop``)."""
    return [{"src": "labextension", "dest": "hamilton-nb"}]


def load_ipython_extension(ipython) -> None:
    from .notebook.magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython) -> None:
    from .notebook.magics import unload_ipython_extension as _unload

    _unload(ipython)
