"""A saved graph picture wider than the output fits the output: JupyterLab, headless Chromium.

Skips (with the reason) when Playwright or /usr/bin/chromium is missing.
"""
from __future__ import annotations

import nbformat
import pytest

from browser_support import ARTIFACTS, assert_no_widget_errors, lab, page  # noqa: F401 (fixtures)

def wide(count: int) -> str:
    return "import pandas as pd\n" + "".join(
        f"def a_rather_long_node_name_{i}(x: pd.Series) -> pd.Series:\n    return x + {i}\n\n" for i in range(count))


@pytest.mark.parametrize("count, much_wider", [(20, True), (6, False)])
def test_a_wide_saved_picture_shrinks_to_the_output_width_and_then_scrolls(page, lab, count, much_wider):
    from hamilton_nb.notebook.widget import GraphWidget
    from hamilton_nb.session import Session

    session = Session()
    session.register_cell(wide(count), "wide", {})
    widget = GraphWidget(session)
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("%hamilton_graph", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data=widget._repr_mimebundle_())]
    notebook.cells = [cell]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, lab["root"] / f"wide_graph_{count}.ipynb")
    widget.close()
    page.goto(f"{lab['base']}/lab/tree/wide_graph_{count}.ipynb?token={lab['token']}")
    picture = page.locator(".jp-OutputArea-output img.hamilton-graph-svg")
    picture.wait_for(timeout=60_000)
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=picture.element_handle(),
                           timeout=10_000)
    natural = picture.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    shown = picture.bounding_box()
    room = picture.evaluate("img => img.parentElement.clientWidth")
    scrolls = picture.evaluate("img => img.parentElement.scrollWidth > img.parentElement.clientWidth")
    assert (natural[0] > 2 * room) == much_wider
    if much_wider:  # more than twice the output's width: shrunk to half, and it scrolls
        assert abs(shown["width"] - natural[0] / 2) <= 1 and scrolls
    else:  # wider than the output, less than twice: shrunk to fit
        assert natural[0] > room and abs(shown["width"] - room) <= 1 and not scrolls
    assert abs(shown["height"] / shown["width"] - natural[1] / natural[0]) < 0.01  # its proportions kept
    assert_no_widget_errors(page)
    page.locator(".jp-OutputArea-output").first.screenshot(path=str(ARTIFACTS / f"saved_graph_wide_{count}.png"))
