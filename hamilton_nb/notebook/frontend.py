"""The notebook layer as the front end of the layers below (:mod:`hamilton_nb.session.frontends`):
shown results tracked for ``--live``, progress bars, graph pictures."""
from __future__ import annotations

from typing import Any, ContextManager, Sequence

from . import live as shown_outputs, progress as progress_bars, render


class NotebookFrontend:
    def offer(self, value: Any, outputs: Sequence[str], *, inputs: Any, overrides: Any, result: str,
              live: bool) -> None:
        shown_outputs.offer(value, list(outputs), inputs=inputs, overrides=overrides, result=result, live=live)

    def stop_live(self) -> int:
        return shown_outputs.stop_live()

    def progress(self, engine: Any) -> ContextManager:
        return progress_bars.attached(engine)

    def show_graph(self, session: Any, nodes: Sequence[str] | None) -> Any:
        picture = render.show(session, nodes=list(nodes) if nodes else None)
        render.display(picture)
        return picture


FRONTEND = NotebookFrontend()
