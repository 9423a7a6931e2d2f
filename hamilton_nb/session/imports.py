"""Reading a module afresh for ``%hamilton_import``: by name or by path, packages included.

:func:`load_module` runs the module's current source every time (never cached bytecode) in a
new module object that replaces the old one in ``sys.modules``. A module inside a package is
imported under its dotted name (``proj/features.py`` is ``proj.features``, its package root
found by walking up the ``__init__.py`` files), so its relative imports work.

What the module imports from its own project — the other modules of its package, and plain
modules beside it — is checked too: each one whose file changed since it last ran (or that
ran before we could see its source) runs again in dependency order, in place, so the new
module sees the code on disk, as a fresh kernel would. Anything that cannot be read again is
an error that names it. On any failure every module is put back as it was.
Session layer: no IPython here.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.machinery
import importlib.util
import linecache
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Callable, Iterator

from ..errors import InputError

# module name -> (file, digest of the source that last ran in it, as far as we saw it run)
_ran: dict[str, tuple[str, str]] = {}
_KEPT = ("__name__", "__file__", "__path__", "__package__", "__loader__", "__spec__", "__cached__",
         "__builtins__")
_UNCHANGED_FIX = "Fix: correct the file and import it again; the session is unchanged."


def _digest(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()


def _stat_digest(path: str) -> str:
    stat = os.stat(path)
    return f"stat:{stat.st_mtime_ns}:{stat.st_size}"


class _FreshLoader(importlib.machinery.SourceFileLoader):
    """Compiles the source file every time (cached bytecode can miss a same-second edit)."""

    def get_code(self, fullname: str) -> types.CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        _ran[fullname] = (path, _digest(source))
        return compile(source, path, "exec", dont_inherit=True)


class _FreshFinder:
    """While a module loads: its project's modules that are imported for the first time load through
    :class:`_FreshLoader`, so what they ran is known exactly."""

    def __init__(self, wants: Callable[[str, str], bool]):
        self.wants = wants

    def find_spec(self, fullname, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader \
                or not self.wants(fullname, spec.origin):
            return None
        spec.loader = _FreshLoader(fullname, spec.origin)
        return spec


@contextlib.contextmanager
def _fresh_imports(wants: Callable[[str, str], bool]) -> Iterator[None]:
    finder = _FreshFinder(wants)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


# ---- where the module is, and under which name --------------------------------------------------------
class _Target:
    """The module to load: its dotted name, its file, and the project around it."""

    def __init__(self, name: str, path: str | None, root: Path | None):
        self.name, self.path, self.root = name, path, root
        self.top = name.split(".")[0]
        self.packaged = "." in name or (path is not None and Path(path).name == "__init__.py")

    def owns(self, name: str, file: str | None) -> bool:
        """Is module ``name`` (from ``file``) part of this project: re-read when it changes?"""
        first = name.split(".")[0]
        if first == "hamilton_nb" or not file:
            return False
        if self.packaged and first == self.top:
            return True
        return "." not in name and self.root is not None and Path(file).resolve().parent == self.root


def _package_root(file: Path) -> tuple[str, Path]:
    """``proj/sub/mod.py`` → (``proj.sub.mod``, the directory holding ``proj``)."""
    parts = [] if file.name == "__init__.py" else [file.stem]
    folder = file.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def _same_dir(entry: str, folder: Path) -> bool:
    try:
        return Path(entry or os.getcwd()).resolve() == folder
    except OSError:
        return False


def _importable_from(top: str, root: Path, file: Path) -> None:
    """Make package ``top`` importable from ``root`` (as a name-based import would find it)."""
    wanted = (root / top).resolve()
    existing = sys.modules.get(top)
    if existing is not None:
        homes = [Path(p).resolve() for p in getattr(existing, "__path__", None) or []]
        if wanted not in homes:
            where = ", ".join(map(str, homes)) or getattr(existing, "__file__", None) or "elsewhere"
            raise InputError(f"Cannot import {file} as `{top}…`: a different package `{top}` is already "
                             f"imported (from {where}).\nFix: import the module by its name, rename one of the "
                             "two packages, or restart the kernel.")
        return
    if not any(_same_dir(entry, root) for entry in sys.path):
        sys.path.append(str(root))
    spec = importlib.util.find_spec(top)
    found = [Path(p).resolve() for p in (spec.submodule_search_locations or [])] if spec else []
    if wanted not in found:
        raise InputError(f"Cannot import {file} as a module of package `{top}`: `import {top}` finds "
                         f"{spec.origin if spec else 'nothing'} instead of {wanted}.\n"
                         f"Fix: rename the package, or put {root} first on sys.path.")


def _locate(target: str | os.PathLike | types.ModuleType) -> _Target:
    if isinstance(target, types.ModuleType):
        path = getattr(target, "__file__", None)
        path = path if path and path.endswith(".py") else None
        if path is None:
            return _Target(target.__name__, None, None)
        file = Path(path).resolve()
        packaged = "." in target.__name__ or file.name == "__init__.py"
        return _Target(target.__name__, path, _package_root(file)[1] if packaged else file.parent)
    text = os.fspath(target)
    candidate = Path(text).expanduser()
    if text.endswith(".py") or os.sep in text or "/" in text:
        if not candidate.is_file():
            raise InputError(f"There is no Python file {candidate}.\n"
                             "Fix: check the path (relative paths start at the notebook's directory).")
        file = candidate.resolve()
        if not (file.parent / "__init__.py").is_file():
            return _Target(file.stem, str(file), file.parent)
        name, root = _package_root(file)
        _importable_from(name.split(".")[0], root, file)
        return _Target(name, str(file), root)
    top = text.split(".")[0]
    try:
        with _fresh_imports(lambda name, origin: name.split(".")[0] == top):
            spec = importlib.util.find_spec(text)  # runs the parent packages, as an import does
    except ModuleNotFoundError as exc:
        spec, problem = None, str(exc)
    except (ImportError, ValueError) as exc:
        spec, problem = None, str(exc)
    except Exception as exc:
        raise _failure(exc, text, None) from None
    else:
        problem = "not found"
    if spec is None:
        raise InputError(f"Cannot import `{text}`: {problem}.\n"
                         "Fix: give a path to a .py file, or make the module importable (sys.path).")
    origin = spec.origin if spec.origin and spec.origin.endswith(".py") else None
    if origin is None:
        return _Target(text, None, None)
    file = Path(origin).resolve()
    root = _package_root(file)[1] if "." in text or file.name == "__init__.py" else file.parent
    return _Target(text, str(file), root)


# ---- errors --------------------------------------------------------------------------------------------
def _user_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``exc`` without this module's or importlib's."""
    return [frame for frame in traceback.extract_tb(exc.__traceback__)
            if frame.filename != __file__ and not frame.filename.startswith("<frozen")]


def _failure(exc: BaseException, name: str, file: str | None) -> InputError:
    """The error a failed import shows: which module, which file, the fix, the user's frames."""
    if isinstance(exc, SyntaxError):
        return InputError(f"Syntax error in {exc.filename or file}, line {exc.lineno}: {exc.msg}\n"
                          f"    {(exc.text or '').rstrip()}\n{_UNCHANGED_FIX}")
    frames = _user_frames(exc)
    where = frames[-1].filename if frames else file
    fix = _UNCHANGED_FIX
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] == name.split(".")[0]:
        fix = (f"Fix: correct the import in {where} (or create `{exc.name}`), then import it again; "
               "the session is unchanged.")
    elif isinstance(exc, ModuleNotFoundError):
        fix = (f"Fix: install `{exc.name}` or correct the import in {where}, then import it again; "
               "the session is unchanged.")
    shown = "".join(traceback.format_list(frames))
    shown = ("Traceback (most recent call last):\n" + shown if shown else "") + \
        "".join(traceback.format_exception_only(type(exc), exc))
    return InputError(f"Importing `{name}` raised {type(exc).__name__} in {where}: {exc}\n{fix}\n\n"
                      + shown.rstrip())


# ---- what the module depends on, and what changed --------------------------------------------------------
def _imported_names(source: bytes, name: str, is_package: bool, file: str = "<unknown>") -> list[str]:
    """Modules the source imports (anywhere in it), relative imports resolved, parents included."""
    package = name if is_package else name.rpartition(".")[0]
    found: dict[str, None] = {}
    for node in ast.walk(ast.parse(source, file)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            try:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            except (ImportError, ValueError):
                continue
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for dotted in names:
            parts = dotted.split(".")
            for i in range(1, len(parts) + 1):
                found[".".join(parts[:i])] = None
    return list(found)


def _read(name: str, file: str, importer: str) -> bytes:
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise InputError(f"`{name}` ({file}), which `{importer}` imports, cannot be read again: {exc}.\n"
                         "Fix: restore the file (or remove the import), then import again; the session is "
                         "unchanged. If it was removed on purpose, restart the kernel.") from None


def _dependencies(target: _Target, source: bytes) -> list[tuple[str, bytes | None]]:
    """The project's modules the target reaches through imports, each after what it imports, with
    their current source (None for a compiled module)."""
    order: list[tuple[str, bytes | None]] = []
    seen = {target.name}

    def visit(name: str, file: str, source: bytes, is_package: bool) -> None:
        parts = name.split(".")
        parents = [".".join(parts[:i]) for i in range(1, len(parts))]
        for dep in [*parents, *_imported_names(source, name, is_package, file)]:
            module = sys.modules.get(dep)
            dep_file = getattr(module, "__file__", None) if module is not None else None
            if dep in seen or module is None or not target.owns(dep, dep_file):
                continue
            seen.add(dep)
            if not dep_file.endswith(".py"):
                order.append((dep, None))
                continue
            text = _read(dep, dep_file, name)
            try:
                visit(dep, dep_file, text, hasattr(module, "__path__"))
            except SyntaxError as exc:
                raise _failure(exc, dep, dep_file) from None
            order.append((dep, text))

    visit(target.name, target.path, source, Path(target.path).name == "__init__.py")
    return order


def _rerun_in_place(module: types.ModuleType, source: bytes, saved: dict[str, dict]) -> None:
    """Run the module's new source in its own namespace (so references to the module see it)."""
    name, file = module.__name__, module.__file__
    code = compile(source, file, "exec", dont_inherit=True)
    namespace = module.__dict__
    saved[name] = dict(namespace)
    keep = {key: namespace[key] for key in _KEPT if key in namespace}
    keep.update({key: value for key, value in namespace.items()  # a package keeps its loaded submodules
                 if isinstance(value, types.ModuleType) and value.__name__ == f"{name}.{key}"})
    namespace.clear()
    namespace.update(keep, __doc__=None)
    exec(code, namespace)
    _ran[name] = (file, _digest(source))
    linecache.checkcache(file)


def _refresh(target: _Target, source: bytes, saved: dict[str, dict]) -> None:
    """Run again, in dependency order, each project module the target reaches that changed on disk
    since it last ran (or whose run we did not see), and each module that imports one of those."""
    rerun: set[str] = set()
    for name, text in _dependencies(target, source):
        module = sys.modules[name]
        if text is None:  # compiled: its file can be watched, not re-run
            stamp = _stat_digest(module.__file__)
            if _ran.setdefault(name, (module.__file__, stamp))[1] != stamp:
                raise InputError(f"`{name}` ({module.__file__}) is compiled and changed on disk; it cannot be "
                                 "loaded again in this process.\nFix: restart the kernel; the session is "
                                 "unchanged.")
            continue
        changed = _ran.get(name) != (module.__file__, _digest(text))
        depends = any(dep in rerun for dep in _imported_names(text, name, hasattr(module, "__path__")))
        if changed or depends:
            try:
                _rerun_in_place(module, text, saved)
            except Exception as exc:
                raise _failure(exc, name, module.__file__) from None
            rerun.add(name)


def _restore(saved: dict[str, dict], before: dict[str, types.ModuleType | None]) -> None:
    for name, namespace in saved.items():
        module = sys.modules.get(name)
        if module is not None:
            module.__dict__.clear()
            module.__dict__.update(namespace)
        _ran.pop(name, None)  # what ran is no longer known: the next import runs it again
    for name, previous in before.items():
        if previous is None:
            sys.modules.pop(name, None)
            _ran.pop(name, None)
        else:
            sys.modules[name] = previous


# ---- loading -----------------------------------------------------------------------------------------------
def load_module(module_or_path: str | os.PathLike | types.ModuleType) -> types.ModuleType:
    """A fresh module object built from the current source file.

    Accepts a module object, an importable module name (``features`` or ``pkg.features``)
    or a path to a ``.py`` file (in a package: imported under its dotted name). The source
    is read and executed anew every time — no cached bytecode — and the new module replaces
    the old one in ``sys.modules``; the project modules it imports are re-read first when
    their files changed. On failure nothing is replaced.
    """
    before = set(sys.modules)
    saved: dict[str, dict] = {}
    target = None
    try:
        target = _locate(module_or_path)
        if target.path is None:  # built-in or compiled: nothing to re-read
            if isinstance(module_or_path, types.ModuleType):
                return module_or_path
            return importlib.import_module(target.name)
        return _load(target, saved)
    except BaseException:
        # The project's modules this attempt imported go too (the next attempt reads them afresh);
        # other libraries it imported stay, as after any failed import.
        new = {name: None for name, module in list(sys.modules.items()) if name not in before
               and target is not None and target.owns(name, getattr(module, "__file__", None))}
        _restore(saved, new)
        raise


def _load(target: _Target, saved: dict[str, dict]) -> types.ModuleType:
    name, path = target.name, target.path
    try:
        source = Path(path).read_bytes()
        code = compile(source, path, "exec", dont_inherit=True)
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc}.") from None
    except SyntaxError as exc:
        raise _failure(exc, name, path) from None
    parent, _, last = name.rpartition(".")
    with _fresh_imports(lambda dotted, origin: target.owns(dotted, origin)):
        if parent and parent not in sys.modules:
            try:
                importlib.import_module(parent)
            except Exception as exc:
                raise _failure(exc, name, None) from None
        _refresh(target, source, saved)
        is_package = Path(path).name == "__init__.py"
        spec = importlib.util.spec_from_file_location(
            name, path, submodule_search_locations=[str(Path(path).parent)] if is_package else None)
        module = importlib.util.module_from_spec(spec)
        previous = sys.modules.get(name)
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        except Exception as exc:
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
            raise _failure(exc, name, path) from None
    if parent in sys.modules:
        setattr(sys.modules[parent], last, module)
    _ran[name] = (path, _digest(source))
    linecache.checkcache(path)
    return module
