"""The kernel's side of the JupyterLab/Notebook 7 extension, in a real kernel: the comm opened by
``%load_ext hamilton_nb``, one coalesced message per cell, badges that follow edits, the stale
results' cells, jump-to-definition answers, and a kernel with no extension listening."""
from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from comm_frontend import Kernel
from test_graph_view import FEATURES, MODEL

pytestmark = pytest.mark.timeout(180)

EDITED = FEATURES.replace("spend.rolling(3)", "spend.rolling(4)")
SETUP = ("%load_ext hamilton_nb\nimport pandas as pd\n"
         "spend_series = pd.Series([10.0, 10, 20, 40, 40, 50])\n"
         "signups_series = pd.Series([1.0, 10, 50, 100, 200, 400])")


@pytest.fixture(scope="module")
def kernel():
    found = Kernel()
    yield found
    found.close()


def badges(reply) -> dict[str, tuple[str, str]]:
    last = reply.cells_messages()[-1]
    return {cell: (summary["badge"], summary["text"]) for cell, summary in last["cells"].items()}


def test_badges_follow_an_edit_and_an_execute_one_message_per_cell(kernel):
    loaded = kernel.run(SETUP, "setup")
    assert loaded.status == "ok" and len(loaded.opened) == 1, loaded
    assert loaded.cells_messages() == [{"kind": "cells", "cells": {}, "stale_outputs": []}]

    features = kernel.run("%%hamilton features" + FEATURES, "c-features")
    model = kernel.run("%%hamilton model" + MODEL, "c-model")
    assert len(features.cells_messages()) == 1 and len(model.comm) == 1, (features.comm, model.comm)
    assert badges(model) == {"c-features": ("not computed", "2 not computed"),
                             "c-model": ("not computed", "3 not computed")}

    kernel.run("%hamilton_inputs spend=spend_series signups=signups_series", "c-inputs")
    executed = kernel.run("%hamilton_execute score signups_norm", "c-exec")
    assert [m["kind"] for m in executed.comm].count("cells") == 1, executed.comm
    assert len(executed.comm) <= 4, executed.comm  # running cells change per module, never per node
    assert badges(executed) == {"c-features": ("fresh", "fresh"), "c-model": ("fresh", "fresh")}

    edited = kernel.run("%%hamilton features" + EDITED, "c-features")
    assert len(edited.comm) == 1, edited.comm
    assert badges(edited) == {"c-features": ("stale", "1 stale"), "c-model": ("stale", "2 stale")}
    message = edited.cells_messages()[0]
    assert message["stale_outputs"] == ["c-exec"]
    why = message["cells"]["c-model"]["why"]
    assert "stale: `avg_3wk_spend` changed in cell [" in why and "`spend_zscore`, `score`" in why, why

    rebound = kernel.run("%hamilton_inputs signups=signups_series*2", "c-rebind")
    assert "`signups` rebound in cell [" in rebound.cells_messages()[0]["cells"]["c-model"]["why"]

    again = kernel.run("%hamilton_execute score signups_norm", "c-exec")  # the same cell run again
    assert badges(again) == {"c-features": ("fresh", "fresh"), "c-model": ("fresh", "fresh")}
    assert again.cells_messages()[-1]["stale_outputs"] == []

    nothing = kernel.run("x = 1", "c-other")
    assert nothing.comm == []  # nothing changed: nothing sent

    broken = kernel.run("%%hamilton features" + EDITED.replace("def spend_per_signup", "def spend_per_signup("),
                        "c-features")
    assert broken.status == "error"
    summary = broken.cells_messages()[0]["cells"]["c-features"]
    assert (summary["badge"], summary["text"]) == ("error", "failed")
    assert summary["why"].startswith("the last run of this cell failed: ") and \
        "the graph keeps module `features` as it was" in summary["why"], summary["why"]
    fixed = kernel.run("%%hamilton features" + EDITED, "c-features")
    assert badges(fixed)["c-features"] == ("fresh", "fresh")


def test_a_change_outside_a_cell_is_sent_once_when_it_is_done(kernel):
    """A widget button runs outside any cell: its changes go out once its handler returns."""
    kernel.run("%%hamilton features" + FEATURES, "c-features")  # avg_3wk_spend stale again
    later = ("from hamilton_nb import get_session\n"
             "get_ipython().kernel.io_loop.call_later(1.5, lambda: get_session().execute(['score']))")
    reply = kernel.run(later, "c-timer")
    assert reply.comm == [], reply.comm
    import time
    sent = kernel.drain(time.perf_counter(), timeout=10, quiet=3.0)[1]
    assert [m["kind"] for m in sent if m["kind"] == "cells"] == ["cells"], sent
    cells = [m for m in sent if m["kind"] == "cells"][0]["cells"]
    assert (cells["c-features"]["badge"], cells["c-model"]["badge"]) == ("fresh", "fresh")


def test_shown_results_follow_a_change_outside_a_cell(kernel):
    """An input rebound by a widget's callback (a slider): the shown result that read it gets its
    stale banner at once (one redraw), and the one ``cells`` message after it marks that result."""
    shown = kernel.run("%hamilton_execute score", "c-shown")
    display_id = shown.outputs[0]["transient"]["display_id"]
    later = ("from hamilton_nb import get_session\n"
             "get_ipython().kernel.io_loop.call_later(1.5, lambda: get_session().set_inputs(signups=signups_series * 3))")
    assert kernel.run(later, "c-timer").comm == []
    import time
    outputs, sent = kernel.drain(time.perf_counter(), timeout=10, quiet=3.0)[:2]
    redrawn = [o for o in outputs if o["type"] == "update_display_data"
               and o["transient"]["display_id"] == display_id]
    assert len(redrawn) == 1 and "⚠ stale" in redrawn[0]["data"]["text/plain"], outputs
    assert "input `signups` changed" in redrawn[0]["data"]["text/plain"], redrawn
    cells = [m for m in sent if m["kind"] == "cells"]
    assert len(cells) == 1 and "c-shown" in cells[0]["stale_outputs"], sent
    kernel.run("%hamilton_inputs signups=signups_series*2", "c-rebind")  # as the first test left it


def test_a_node_is_revealed_at_its_cell_and_found_by_search(kernel):
    kernel.send_comm({"kind": "reveal", "node": "spend_zscore"})
    sent = kernel.drain(0, timeout=5)[1]
    assert sent == [{"kind": "reveal", "node": "spend_zscore", "module": "model", "cell": "c-model"}]
    kernel.send_comm({"kind": "search", "text": "rolling"})
    found = kernel.drain(0, timeout=5)[1]
    assert [n["node"] for n in found[0]["nodes"]] == ["avg_3wk_spend", "spend_zscore"], found  # by their docs
    kernel.send_comm({"kind": "search", "text": "owner=ds"})
    found = kernel.drain(0, timeout=5)[1]
    assert sorted(n["node"] for n in found[0]["nodes"]) == ["score", "signups_norm"], found


def test_a_live_output_recomputes_before_the_badges_are_sent(kernel):
    kernel.run("%hamilton_execute score --live", "c-live")
    edited = kernel.run("%%hamilton features" + FEATURES.replace("spend.rolling(3)", "spend.rolling(5)"),
                        "c-features")
    assert "recomputed by live outputs" in edited.text
    message = edited.cells_messages()
    assert len(message) == 1, edited.comm
    assert {c: s["badge"] for c, s in message[0]["cells"].items()} == {"c-features": "fresh", "c-model": "fresh"}
    assert "c-live" not in message[0]["stale_outputs"] and "c-exec" in message[0]["stale_outputs"]
    kernel.run("%hamilton_live off", "c-off")


def test_a_function_imported_from_a_file_is_revealed_at_its_line(tmp_path):
    (tmp_path / "shop.py").write_text("import pandas as pd\n\n\ndef total(spend: pd.Series) -> pd.Series:\n"
                                      "    return spend.cumsum()\n")
    kernel = Kernel(cwd=str(tmp_path))
    try:
        kernel.run("%load_ext hamilton_nb", "a")
        kernel.run("%hamilton_import shop.py", "b")
        kernel.send_comm({"kind": "reveal", "node": "total"})
        sent = kernel.drain(0, timeout=5)[1]
        assert sent == [{"kind": "reveal", "node": "total", "module": "shop", "file": "shop.py", "line": 4}]
    finally:
        kernel.close()


def test_a_reloaded_page_opens_its_own_comm():
    kernel = Kernel(extension=False)  # the page that saw `%load_ext` is gone
    try:
        kernel.run(SETUP, "setup")
        kernel.run("%%hamilton features" + FEATURES, "c-features")
        kernel.extension = True
        kernel.open_comm()  # the reloaded page
        sent = kernel.drain(0, timeout=5)[1]
        assert [m["kind"] for m in sent] == ["cells"], sent
        assert sent[0]["cells"]["c-features"]["text"] == "2 not computed"
    finally:
        kernel.close()


def test_without_the_extension_the_comm_stays_silent():
    kernel = Kernel(extension=False)
    try:
        loaded = kernel.run(SETUP, "setup")
        assert len(loaded.opened) == 1 and loaded.outputs == [], loaded
        cells = [kernel.run("%%hamilton features" + FEATURES, "f"), kernel.run("%%hamilton model" + MODEL, "m"),
                 kernel.run("%hamilton_inputs spend=spend_series signups=signups_series", "i"),
                 kernel.run("%hamilton_execute score", "e"), kernel.run("%%hamilton features" + EDITED, "f")]
        assert all(reply.status == "ok" for reply in cells)
        assert all(reply.comm == [] for reply in cells)  # nobody said hello: nothing is sent
        assert cells[-1].outputs[0]["text"] == "features: 2 functions; changed: avg_3wk_spend; " \
                                               "now stale: avg_3wk_spend, spend_zscore, score\n"
        assert cells[-1].outputs[1]["type"] == "update_display_data"  # the shown result's banner, as before
        assert not [o for o in sum((c.outputs for c in cells), []) if o["type"] == "error" or
                    o.get("name") == "stderr"]
    finally:
        kernel.close()


def test_nbclient_runs_the_notebook_as_before(tmp_path):
    """No front end at all: the comm's open goes unanswered, the outputs are the magics' own."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        SETUP, "%%hamilton features" + FEATURES, "%%hamilton model" + MODEL,
        "%hamilton_inputs spend=spend_series signups=signups_series", "%hamilton_execute score",
        "%%hamilton features" + EDITED, "%hamilton_status --state stale")]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[0] == []
    assert [o["text"] for o in outputs[1]] == ["features: 2 functions; added: avg_3wk_spend, spend_per_signup\n"]
    assert "⚠ stale" in outputs[4][0]["data"]["text/plain"]  # the shown result's banner, as before
    assert "spend_zscore" in outputs[6][0]["data"]["text/plain"]
    assert not [o for cell in outputs for o in cell if o["output_type"] == "error" or o.get("name") == "stderr"]
