"""Loading and saving data: ``@load_from.csv(...)``, ``@save_to.parquet(...)``, ``@dataloader()``,
``@datasaver()`` — Apache Hamilton's names, node names and tags, for local csv, parquet, json
and pickle files.

Loaded data is versioned by its content: loader nodes (``<fn>.load_data.<param>``,
``<fn>.loader``) are re-read before each execute, so a file changed on disk makes exactly
the nodes that read it stale (see ``execution.sources``). Arguments are ``value(...)``
literals or ``source("node")`` inputs, as in Apache Hamilton.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import pickle
import typing
from typing import Any, Callable, Mapping

from ..graph import fingerprint as fp
from ..graph.build import function_node
from ..graph.node import Dependency, Node
from ..graph.types import describe
from .base import EXPAND, TRANSFORM, Context, InvalidDecoratorError, Modifier
from .parameterize import source, value

FORMATS = ("csv", "parquet", "json", "pickle")


def _is_frame(tp: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    return isinstance(origin, type) and any(k.__name__ == "DataFrame" and k.__module__.startswith("pandas")
                                            for k in origin.__mro__)


def _library_versions() -> str:
    import pandas as pd

    return f"pandas {pd.__version__}"


# ---- reading and writing ------------------------------------------------------------------------
def read(fmt: str, as_frame: bool, path: str, **options: Any) -> Any:
    import pandas as pd

    if fmt == "pickle":
        with open(path, "rb") as handle:
            return pickle.load(handle)
    if fmt == "json" and not as_frame:
        with open(path, encoding=options.pop("encoding", "utf-8")) as handle:
            return json.load(handle, **options)
    return getattr(pd, f"read_{fmt}")(path, **options)


def write(fmt: str, data: Any, path: str, **options: Any) -> None:
    if fmt == "pickle":
        with open(path, "wb") as handle:
            pickle.dump(data, handle)
    elif fmt == "json" and not hasattr(data, "to_json"):
        with open(path, "w", encoding=options.pop("encoding", "utf-8")) as handle:
            json.dump(data, handle, **options)
    elif fmt == "csv" and "index" not in options:
        data.to_csv(path, index=False, **options)
    else:
        getattr(data, f"to_{fmt}")(path, **options)


def _metadata(fmt: str, path: str, data: Any) -> dict[str, Any]:
    """What a loader/saver reports besides the data (no timestamps: values stay reproducible)."""
    found = {"path": str(path), "format": fmt}
    if hasattr(data, "shape"):
        found["rows"] = int(data.shape[0])
    if hasattr(data, "columns"):
        found["columns"] = [str(c) for c in data.columns]
    return found


# ---- arguments --------------------------------------------------------------------------------
def _bindings(decorator: str, kwargs: Mapping[str, Any]) -> dict[str, value | source]:
    found = {}
    for key, given in kwargs.items():
        found[key] = given if isinstance(given, (value, source)) else value(given)
    if "path" not in found:
        raise InvalidDecoratorError(f"{decorator}: no path given.\n"
                                    f"Fix: e.g. {decorator}(path=value(\"data/sales.csv\")) or "
                                    "path=source(\"sales_path\") to take it from an input.")
    return found


def _tokens(bindings: Mapping[str, value | source]) -> list[str]:
    return sorted(f"{k}={b.token()}" for k, b in bindings.items())


class _Load:
    """A load node's callable: read the file, return ``(data, metadata)``."""

    def __init__(self, fmt: str, as_frame: bool, literals: Mapping[str, Any], sources: Mapping[str, str]):
        self.fmt, self.as_frame, self.literals, self.sources = fmt, as_frame, dict(literals), dict(sources)

    def __call__(self, **kwargs: Any) -> tuple:
        options = {**self.literals, **{arg: kwargs[node] for arg, node in self.sources.items() if node in kwargs}}
        path = options.pop("path")
        data = read(self.fmt, self.as_frame, path, **options)
        return data, _metadata(self.fmt, path, data)

    def __repr__(self) -> str:
        return f"<load {self.fmt}>"


class _Save:
    """A save node's callable: write the value, return metadata."""

    def __init__(self, fmt: str, data_node: str, literals: Mapping[str, Any], sources: Mapping[str, str]):
        self.fmt, self.data_node, self.literals, self.sources = fmt, data_node, dict(literals), dict(sources)

    def __call__(self, **kwargs: Any) -> dict:
        options = {**self.literals, **{arg: kwargs[node] for arg, node in self.sources.items() if node in kwargs}}
        path = options.pop("path")
        data = kwargs[self.data_node]
        write(self.fmt, data, path, **options)
        return _metadata(self.fmt, path, data)

    def __repr__(self) -> str:
        return f"<save {self.fmt}>"


class _First:
    """Select the data from a ``(data, metadata)`` pair."""

    def __init__(self, node: str):
        self.node = node

    def __call__(self, **kwargs: Any) -> Any:
        return kwargs[self.node][0]


def _split(bindings: Mapping[str, value | source]) -> tuple[dict[str, Any], dict[str, str]]:
    return ({k: b.value for k, b in bindings.items() if isinstance(b, value)},
            {k: b.source for k, b in bindings.items() if isinstance(b, source)})


# ---- @load_from ---------------------------------------------------------------------------------
class _LoadFrom(Modifier):
    stage = TRANSFORM
    target = ...

    def __init__(self, fmt: str, inject_: str | None = None, **kwargs: Any):
        self.fmt = fmt
        self.decorator = f"@load_from.{fmt}"
        self.bindings = _bindings(self.decorator, kwargs)
        self.inject = inject_

    def __repr__(self) -> str:
        return f"{self.decorator}({', '.join(_tokens(self.bindings))})"

    def _parameter(self, node: Node, ctx: Context) -> str | None:
        """The parameter that receives the data, if ``node`` still takes it from the graph."""
        params = list(inspect.signature(ctx.fn).parameters)
        if self.inject is None and len(params) != 1:
            raise ctx.error(self.decorator, f"`{ctx.fn.__name__}` takes {len(params)} parameters, so which one "
                            "receives the loaded data is ambiguous.", "name it: inject_=\"param\".")
        if self.inject is not None and self.inject not in params:
            raise ctx.error(self.decorator, f"inject_={self.inject!r} is not a parameter of `{ctx.fn.__name__}`.",
                            f"name one of its parameters ({', '.join(params)}).")
        param = self.inject or params[0]
        dep = node.dependencies.get(param)
        return param if dep is not None and dep.node == param else None

    def transform(self, node: Node, ctx: Context) -> list[Node]:
        param = self._parameter(node, ctx)
        if param is None:
            return [node]
        data_type = node.dependencies[param].type
        as_frame = _is_frame(data_type)
        if self.fmt in ("csv", "parquet") and not as_frame:
            raise ctx.error(self.decorator, f"parameter `{param}` is a {describe(data_type)}; {self.fmt} files "
                            "load into a pandas DataFrame.", f"annotate `{param}` as pd.DataFrame.")
        load_name, select_name = f"{ctx.name}.load_data.{param}", f"{ctx.name}.select_data.{param}"
        literals, sources = _split(self.bindings)
        tags = {"hamilton.data_loader": True, "hamilton.data_loader.source": self.fmt,
                "hamilton.data_loader.classname": f"{self.fmt} file", "hamilton.data_loader.node": param}
        load = Node(name=load_name, callable=_Load(self.fmt, as_frame, literals, sources),
                    type=tuple[data_type, dict], module=ctx.module, function=ctx.fn,
                    dependencies={s: Dependency(node=s, type=Any) for s in sources.values()},
                    doc=f"Loads `{param}` of `{ctx.name}` from a {self.fmt} file.",
                    tags={**tags, "hamilton.data_loader.has_metadata": True},
                    fingerprint=fp.digest("load_from", self.fmt, str(as_frame), _library_versions(),
                                          *_tokens(self.bindings)))
        select = Node(name=select_name, callable=_First(load_name), type=data_type, module=ctx.module,
                      function=ctx.fn, dependencies={load_name: Dependency(node=load_name, type=load.type)},
                      doc=load.doc, tags={**tags, "hamilton.data_loader.has_metadata": False},
                      fingerprint=fp.digest("select_data"))
        deps = {**node.dependencies, param: Dependency(node=select_name, type=data_type)}
        return [dataclasses.replace(node, dependencies=deps), load, select]


class _Formats:
    """``load_from.csv(...)``, ``save_to.parquet(...)``: one decorator factory per format."""

    def __init__(self, make: Callable[..., Modifier]):
        self._make = make

    def __getattr__(self, fmt: str) -> Callable[..., Modifier]:
        if fmt not in FORMATS:
            raise AttributeError(f"no {fmt!r} format; hamilton_nb reads and writes {', '.join(FORMATS)} "
                                 "(for other formats, write a @dataloader/@datasaver function, or install "
                                 "Apache Hamilton and use its decorators)")
        return lambda **kwargs: self._make(fmt, **kwargs)

    def __dir__(self):
        return list(FORMATS)


load_from = _Formats(_LoadFrom)


# ---- @save_to -----------------------------------------------------------------------------------
class _SaveTo(Modifier):
    stage = TRANSFORM

    def __init__(self, fmt: str, output_name_: str | None = None, target_: str | None = None, **kwargs: Any):
        self.fmt = fmt
        self.decorator = f"@save_to.{fmt}"
        self.bindings = _bindings(self.decorator, kwargs)
        if not (isinstance(output_name_, str) and output_name_.isidentifier()):
            raise InvalidDecoratorError(f"{self.decorator}: output_name_ names the node that saves, and is "
                                        f"required (got {output_name_!r}).\n"
                                        f"Fix: e.g. {self.decorator}(path=value(\"out.{fmt}\"), "
                                        "output_name_=\"save_features\"), then execute that node to save.")
        self.output_name = output_name_
        self.target = target_

    def __repr__(self) -> str:
        return f"{self.decorator}({', '.join(_tokens(self.bindings))})"

    def transform(self, node: Node, ctx: Context) -> list[Node]:
        literals, sources = _split(self.bindings)
        deps = {node.name: Dependency(node=node.name, type=node.type),
                **{s: Dependency(node=s, type=Any) for s in sources.values()}}
        saver = Node(name=self.output_name, callable=_Save(self.fmt, node.name, literals, sources), type=dict,
                     dependencies=deps, module=ctx.module, function=ctx.fn,
                     doc=f"Saves `{node.name}` to a {self.fmt} file.",
                     tags={"hamilton.data_saver": True, "hamilton.data_saver.sink": self.fmt,
                           "hamilton.data_saver.classname": f"{self.fmt} file"},
                     fingerprint=fp.digest("save_to", self.fmt, _library_versions(), *_tokens(self.bindings)))
        return [node, saver]


save_to = _Formats(_SaveTo)


# ---- @dataloader / @datasaver -----------------------------------------------------------------
class dataloader(Modifier):
    """``@dataloader()`` on ``def name(...) -> tuple[Data, dict]``: your own loading code.

    Makes ``name.loader`` (the function: data and metadata, re-read before each execute) and
    ``name`` (the data), as Apache Hamilton does.
    """

    stage = EXPAND
    decorator = "@dataloader()"

    def expand(self, ctx: Context) -> list[Node]:
        base = function_node(ctx.fn, ctx.module, name=f"{ctx.name}.loader")
        args = typing.get_args(base.type)
        if (typing.get_origin(base.type) or base.type) is not tuple or len(args) != 2:
            raise ctx.error(self.decorator, f"`{ctx.fn.__name__}` returns {describe(base.type)}; a data loader "
                            "returns (data, metadata).",
                            "annotate the return type as tuple[pd.DataFrame, dict] and return (data, {...}).")
        tags = {"hamilton.data_loader": True, "hamilton.data_loader.node": ctx.name,
                "hamilton.data_loader.classname": f"{ctx.fn.__name__}()"}
        loader = dataclasses.replace(base, tags={**base.tags, **tags, "hamilton.data_loader.has_metadata": True,
                                                 "hamilton.data_loader.source": "loader"})
        data = Node(name=ctx.name, callable=_First(loader.name), type=args[0], module=ctx.module,
                    function=ctx.fn, doc=base.doc, dependencies={loader.name: Dependency(loader.name, base.type)},
                    tags={**base.tags, **tags, "hamilton.data_loader.has_metadata": False,
                          "hamilton.data_loader.source": ctx.name},
                    fingerprint=fp.digest("select_data"))
        return [loader, data]


class datasaver(Modifier):
    """``@datasaver()`` on ``def name(data, path) -> dict``: your own saving code; the node runs
    when what it saves changed (or when asked for after an edit), and returns metadata."""

    stage = EXPAND
    decorator = "@datasaver()"

    def expand(self, ctx: Context) -> list[Node]:
        base = function_node(ctx.fn, ctx.module, name=ctx.name)
        if (typing.get_origin(base.type) or base.type) not in (dict, Mapping):
            raise ctx.error(self.decorator, f"`{ctx.fn.__name__}` returns {describe(base.type)}; a data saver "
                            "returns metadata about what it saved.",
                            "annotate the return type as dict and return e.g. {\"path\": path}.")
        return [dataclasses.replace(base, tags={**base.tags, "hamilton.data_saver": True,
                                                "hamilton.data_saver.sink": ctx.name,
                                                "hamilton.data_saver.classname": f"{ctx.fn.__name__}()"})]


__all__ = ["dataloader", "datasaver", "load_from", "save_to"]
