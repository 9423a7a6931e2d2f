"""What an edit changed, in one place: how two values compare (:mod:`.compare`), what the
executes since the last edit changed (:mod:`.log`), why each recompute happened (:mod:`.why`),
and a node's value before and after its last recompute, side by side (:mod:`.side_by_side`,
what ``%hamilton_diff`` shows)."""
from .compare import SAME, Comparison, compare
from .log import ChangeLog
from .side_by_side import ValueDiff

__all__ = ["SAME", "ChangeLog", "Comparison", "ValueDiff", "compare"]
