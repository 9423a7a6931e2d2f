"""Tracebacks of failing nodes in IPython's own terms: ``Cell In[23], line 11``.

Code typed into a cell runs from a file the kernel makes up (``/tmp/ipykernel_812/2741.py``);
IPython remembers which execution count each such file belongs to. Frames from those files
are relabelled the way IPython labels them; other files keep their paths. Frames inside
installed libraries (pandas, numpy) below the user's last frame are folded into one line
naming them, so the user's own frames are what a failing node shows.
"""
from __future__ import annotations

import re
import sysconfig

from .. import errors

_FRAME = re.compile(r'^(?P<indent>[ \t]*)File "(?P<file>[^"]+)", line (?P<line>\d+)')
_LIBRARIES = tuple({sysconfig.get_path(kind) for kind in ("stdlib", "platstdlib", "purelib", "platlib")})


def in_cells(text: str) -> str:
    """``text`` with each frame in a notebook cell written as IPython writes it."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return text
    name_of = getattr(getattr(get_ipython(), "compile", None), "format_code_name", None)
    if name_of is None:
        return text
    out: list[str] = []
    folded: list[str] = []  # library files of the frames being folded
    for line in text.splitlines():
        match = _FRAME.match(line)
        if match is not None:
            found = name_of(match["file"])
            if found:
                _fold(out, folded)
                out.append(f"{match['indent']}{found[0]} {found[1]}, line {match['line']}{line[match.end():]}")
                continue
            if match["file"].startswith(_LIBRARIES) and _after_user_frame(out):
                folded.append(match["file"])
                continue
        elif folded and line.startswith("    "):
            continue  # the source lines of a folded frame
        _fold(out, folded)
        out.append(line)
    _fold(out, folded)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _after_user_frame(out: list[str]) -> bool:
    """Is there a cell frame in the current run of frames (library frames under it are folded)?"""
    for line in reversed(out):
        if line.lstrip().startswith("Cell In["):
            return True
        if not line.startswith("  "):
            return False
    return False


def _fold(out: list[str], folded: list[str]) -> None:
    if not folded:
        return
    packages = dict.fromkeys(_package(path) for path in folded)
    count = len(folded)
    out.append(f"  … {count} frame{'' if count == 1 else 's'} in {', '.join(packages)}")
    folded.clear()


def _package(path: str) -> str:
    for root in sorted(_LIBRARIES, key=len, reverse=True):
        if path.startswith(root):
            return path[len(root):].lstrip("/\\").replace("\\", "/").split("/")[0].removesuffix(".py")
    return path


def install() -> None:
    errors.traceback_labels = in_cells
