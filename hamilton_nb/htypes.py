"""``Parallelizable[T]`` and ``Collect[T]``: fan a generator's items out through branch nodes and
gather them again (Apache Hamilton's ``hamilton.htypes`` names work the same way)."""
from .graph.parallel import Collect, Parallelizable

__all__ = ["Collect", "Parallelizable"]
