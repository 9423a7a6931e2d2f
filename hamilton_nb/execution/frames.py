"""Result frames remembered per request, so an execute returns the last frame with only the
changed columns replaced (and a no-op execute returns it as it is)."""
from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any, Iterable

from .plans import Step
from .results import build_dataframe, pandas_outputs, update_dataframe

MAX_FRAMES = 4  # result frames remembered (by requested columns)


@dataclasses.dataclass
class Frame:
    """A result DataFrame with its columns' versions; ``plan``: the plan key it was last synced by;
    ``pandas``: the outputs that were Series or DataFrames (they set its rows).

    While ``plan`` is set, only the steps that plan looks at can have changed a column.
    """

    versions: dict[str, str]
    plan: tuple | None
    frame: Any
    pandas: set[str]


class FrameMemory:
    """The last result frame of the most recent requests (least recently used go)."""

    def __init__(self) -> None:
        self._frames: OrderedDict[tuple, Frame] = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def get(self, outputs: list[str], key: tuple) -> Frame | None:
        """The frame of ``outputs``; frames of other requests through plan ``key`` stop trusting it."""
        record = self._frames.get(tuple(outputs))
        for other in self._frames.values():  # they miss what this plan looks at now
            if other.plan == key and other is not record:
                other.plan = None
        return record

    def unsync(self, key: tuple) -> None:
        for record in self._frames.values():
            if record.plan == key:
                record.plan = None

    def used(self, outputs: list[str]) -> None:
        self._frames.move_to_end(tuple(outputs))

    @staticmethod
    def changed_columns(record: Frame, key: tuple, outputs: list[str], check: list[Step], extra: list[str],
                        memo: dict) -> list[str]:
        """Requested columns whose version differs from the frame's. Only the looked-at steps (and
        passed-through or overridden columns) can differ when the frame was last synced by this plan."""
        versions = record.versions
        if record.plan != key:
            return [n for n in outputs if versions[n] != memo.get(n)]
        candidates = [s.name for s in check if s.name in versions] + extra
        return [n for n in dict.fromkeys(candidates) if versions[n] != memo.get(n)]

    def updated(self, record: Frame, key: tuple, outputs: list[str], changed: list[str], values: dict,
                memo: dict):
        """The remembered frame with only the changed columns replaced (None: build anew)."""
        pandas = (record.pandas - set(changed)) | pandas_outputs(values, changed)
        frame = update_dataframe(record.frame, values, changed, outputs, bool(pandas))
        if frame is None:
            del self._frames[tuple(outputs)]  # release the old frame before a new one is built
            return None
        for name in changed:
            record.versions[name] = memo[name]
        record.plan, record.frame, record.pandas = key, frame, pandas
        self.used(outputs)
        return frame.copy(deep=False)

    def new(self, key: tuple, outputs: list[str], values: dict, memo: dict):
        frame = build_dataframe(values, outputs)
        self._frames[tuple(outputs)] = Frame({name: memo[name] for name in outputs}, key, frame,
                                               pandas_outputs(values, outputs))
        self.used(outputs)
        while len(self._frames) > MAX_FRAMES:
            self._frames.popitem(last=False)
        return frame.copy(deep=False)

    def drop_holding(self, names: Iterable[str]) -> None:
        """Forget frames showing any of ``names`` (their values are gone from the cache)."""
        names = list(names)
        for key, record in list(self._frames.items()):
            if any(n in record.versions for n in names):
                del self._frames[key]

    def clear(self) -> None:
        self._frames.clear()
