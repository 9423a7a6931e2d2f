"""``driver.Builder``: Apache Hamilton's common way to make a driver, over :class:`Driver`.

``driver.Builder().with_modules(m).with_config(c).build()`` ports by changing the import.
Each option either maps onto what hamilton_nb does (a result adapter picks the result type,
``with_cache`` the persistent cache) or is refused with the reason and the way to do it here.
"""
from __future__ import annotations

import types
from typing import Any, Mapping

_RESULT_BUILDERS = {"DictResult": "dict", "PandasDataFrameResult": "dataframe",
                    "StrictIndexTypePandasDataFrameResult": "dataframe", "PolarsDataFrameResult": "polars"}


def _result_of(adapter: Any) -> str:
    """The result type an Apache Hamilton adapter (or bare result builder) asks for."""
    builder = getattr(adapter, "result_builder", adapter)
    name = type(builder).__name__
    if name in _RESULT_BUILDERS:
        return _RESULT_BUILDERS[name]
    raise ValueError(
        f"with_adapters({type(adapter).__name__}): hamilton_nb builds DataFrames, dicts or polars frames and "
        f"runs nodes with its own executors, so it can't honour this adapter.\n"
        "Fix: drop the adapter; pass result=\"dict\"/\"polars\" or executor=\"threads\"/\"dask\" to "
        "hamilton_nb.driver.Driver instead.")


class Builder:
    """Collects modules, config and options; :meth:`build` makes the :class:`Driver`."""

    def __init__(self) -> None:
        self._modules: list[types.ModuleType] = []
        self._config: dict[str, Any] = {}
        self._result = "dict"  # as Apache Hamilton's Builder: a dict unless a result adapter says otherwise
        self._cache: str | None = None

    def with_modules(self, *modules: types.ModuleType) -> "Builder":
        self._modules.extend(modules)
        return self

    def with_config(self, config: Mapping[str, Any]) -> "Builder":
        self._config.update(config)
        return self

    def with_adapters(self, *adapters: Any) -> "Builder":
        """Result adapters (``base.DictResult``, ``PandasDataFrameResult``, a
        ``SimplePythonGraphAdapter`` around one) choose the result type; others are refused."""
        for adapter in adapters:
            self._result = _result_of(adapter)
        return self

    with_adapter = with_adapters

    def with_cache(self, path: str = ".hamilton_cache", **options: Any) -> "Builder":
        """Values are kept on disk under ``path``, keyed by node version (hamilton_nb's persistent
        cache); Apache Hamilton's other cache options have no counterpart and are refused."""
        if options:
            raise ValueError(f"with_cache({', '.join(options)}=...): hamilton_nb's persistent cache is keyed "
                             "by node versions and takes only a directory.\nFix: with_cache(path=...).")
        self._cache = str(path)
        return self

    def enable_dynamic_execution(self, *, allow_experimental_mode: bool = False) -> "Builder":
        """Accepted: every graph hamilton_nb can build runs the same way."""
        return self

    def _executor_refused(self, *args: Any, **kwargs: Any) -> "Builder":
        raise ValueError("Apache Hamilton's task executors have no meaning in hamilton_nb, which schedules "
                         "nodes itself.\nFix: pass executor=\"threads\" or executor=\"dask\" (or "
                         "DaskExecutor(client)) to hamilton_nb.driver.Driver.")

    with_local_executor = with_remote_executor = with_execution_manager = _executor_refused

    def build(self):
        from .facade import Driver

        built = Driver(self._config, *self._modules, result=self._result)
        if self._cache is not None:
            built.session.enable_persistent_cache(self._cache)
        return built
