"""Shown results in a real Jupyter kernel: stale banners, live outputs, what a saved notebook keeps.

nbclient applies ``update_display_data`` to earlier outputs, as JupyterLab does, so a cell's
outputs below are what the screen (and the saved notebook) shows after the whole run.
"""
from __future__ import annotations

import queue

import nbformat
import pytest
from jupyter_client import KernelManager
from nbclient import NotebookClient

import test_result_stamp

SETUP = """
import pandas as pd
spend = pd.Series([1.0, 2, 3])
FACTOR = 10
"""
FEATURES = "%%hamilton features\n" + test_result_stamp.FEATURES.lstrip("\n") + '''
def fragile(spend: pd.Series) -> pd.Series:
    return spend - 1
'''
OTHER = '''%%hamilton other
import pandas as pd

def shifted(spend: pd.Series) -> pd.Series:
    return spend + 100
'''
KEEP = '''%%hamilton keep
import pandas as pd

def kept(spend: pd.Series) -> pd.Series:
    return spend + 1000
'''
START = ["%load_ext hamilton_nb", SETUP, FEATURES, OTHER, KEEP, "%hamilton_inputs spend=spend",
         "%hamilton_config rate=2.0"]


def run(cells: list[str]) -> list:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    return nb.cells


def shown(cell, mime: str = "text/html") -> str:
    """What a cell's displayed result shows now (its one output)."""
    results = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
    assert len(results) == 1, f"expected one displayed result, got {cell.outputs}"
    return results[0].data[mime]


def errors(cells) -> list:
    return [o for c in cells for o in c.outputs if o.output_type == "error"]


STALE = START + [
    "%hamilton_execute doubled",                 # 7: its function is edited below
    "%hamilton_execute scaled",                  # 8: reads FACTOR
    "%hamilton_execute with_rate",               # 9: reads config `rate`
    "%hamilton_execute shifted",                 # 10: its module is dropped
    "%hamilton_execute kept",                    # 11: nothing it shows changes
    "df = %hamilton_execute doubled",            # 12: a plain value, nothing shown
    "%hamilton_execute doubled --out kept_frame",  # 13
    "%hamilton_show doubled",                    # 14
    "print(type(df).__name__, type(kept_frame).__name__)",  # 15
    "FACTOR = 20",                               # 16
    FEATURES.replace("spend * 2", "spend * 3"),  # 17
    "%hamilton_config rate=3.0",                 # 18
    "%hamilton_drop other",                      # 19
    "%hamilton_live",                            # 20
    "%hamilton_execute with_rate -i rate=5.0",   # 21: its own rate
    "%hamilton_config rate=4.0",                 # 22: the session's rate changes, not the one it used
]


@pytest.fixture(scope="module")
def stale():
    return run(STALE)


def test_an_edited_function_marks_the_results_showing_it(stale):
    assert not errors(stale)
    for index in (7, 13):
        page, text = shown(stale[index]), shown(stale[index], "text/plain")
        assert "`doubled` changed in module `features`" in text.splitlines()[0]
        assert "⚠ stale" in page and "doubled</code> changed in module <code style='white-space:nowrap'>features" in page
        assert "<td>6.0</td>" in page and "<td>9.0</td>" not in page  # the old values, still there
    assert "`doubled` changed in module `features`" in shown(stale[14], "text/plain").splitlines()[0]


def test_globals_config_and_drops_are_named(stale):
    assert shown(stale[8], "text/plain").startswith(
        "⚠ stale: a global or helper that `scaled` reads (module `features`) changed")
    assert shown(stale[9], "text/plain").startswith("⚠ stale: config `rate` changed")
    assert shown(stale[10], "text/plain").startswith("⚠ stale: `shifted` was removed from module `other`")


def test_a_result_nothing_changed_stays_as_it_was(stale):
    page = shown(stale[11])
    assert "stale" not in page and "<td>1001.0</td>" in page


def test_a_result_computed_with_its_own_inputs_ignores_the_sessions(stale):
    page = shown(stale[21])
    assert "stale" not in page and "<td>15.0</td>" in page  # 3 * 5


def test_assigned_results_are_plain_values_shown_once(stale):
    assert stale[12].outputs == []  # `df = %hamilton_execute ...` shows nothing
    assert "DataFrame DataFrame" in "".join(o.get("text", "") for o in stale[15].outputs)
    assert len(stale[13].outputs) == 1  # --out: the value is shown once, not twice


def test_the_status_of_tracking(stale):
    text = "".join(o.get("text", "") for o in stale[20].outputs)
    assert "7 outputs on screen tracked, 0 live, 6 marked stale" in text  # all but `kept`


LIVE = START + [
    "%hamilton_execute ratio --live",                               # 7
    "import hamilton_nb\nhamilton_nb.get_session().execute(['doubled'], live=True)",  # 8: the Python twin
    "FACTOR = 20",                                                  # 9
    FEATURES.replace("spend * 2", "spend * 3"),                     # 10
    "%hamilton_live off",                                           # 11
    FEATURES.replace("spend * 2", "spend * 4"),                     # 12
]


@pytest.fixture(scope="module")
def live():
    return run(LIVE)


def test_live_outputs_follow_edits_until_stopped(live):
    assert not errors(live)
    page, text = shown(live[7]), shown(live[7], "text/plain")
    assert "<td>0.15</td>" in page  # recomputed after the edits: (spend * 3) / (spend * 20)
    assert "<td>9.0</td>" in shown(live[8])  # the twin's output followed too
    assert "Stopped 2 live outputs." in "".join(o.get("text", "") for o in live[11].outputs)
    assert text.startswith("⚠ stale: `doubled` changed")  # after `off`, the last edit only marks it
    assert "● live" not in page


# ---- one output's messages, as a front end receives them --------------------------------------------
class Kernel:
    """A real kernel spoken to message by message, with the cell ids front ends send."""

    def __init__(self) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel()
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, cell_id: str) -> list[dict]:
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        msg = self.client.session.msg("execute_request", content, metadata={"cellId": cell_id})
        self.client.shell_channel.send(msg)
        found = []
        while True:
            try:
                reply = self.client.get_iopub_msg(timeout=60)
            except queue.Empty:
                raise AssertionError(f"no reply to {code!r}") from None
            if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                continue
            if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                return found
            found.append(reply)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def display_ids(messages, kind: str) -> list[str]:
    return [m["content"]["transient"]["display_id"] for m in messages if m["msg_type"] == kind]


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    yield k
    k.close()


def test_a_re_run_cell_replaces_its_tracked_output_and_updates_come_once(kernel):
    for index, code in enumerate(START):
        assert not [m for m in kernel.run(code, f"setup{index}") if m["msg_type"] == "error"]
    first = display_ids(kernel.run("%hamilton_execute doubled", "A"), "display_data")
    again = display_ids(kernel.run("%hamilton_execute doubled", "A"), "display_data")  # re-run: new output
    assert len(first) == len(again) == 1 and first != again
    assert not [m for m in kernel.run("%hamilton_execute doubled", "B") if m["msg_type"] == "execute_result"]
    edit = kernel.run(FEATURES.replace("spend * 2", "spend * 3"), "F")
    updated = display_ids(edit, "update_display_data")
    assert again[0] in updated and first[0] not in updated and len(updated) == 2
    assert not display_ids(kernel.run("x = 1", "C"), "update_display_data")  # nothing new: no redraw
    reverted = kernel.run(FEATURES, "F")  # the edit undone: the values shown are right again
    messages = [m for m in reverted if m["msg_type"] == "update_display_data"]
    assert len(messages) == 2 and not any("stale" in m["content"]["data"]["text/plain"] for m in messages)


def test_a_failing_live_update_shows_in_its_output_not_in_the_cell_that_caused_it(kernel):
    for index, code in enumerate(START):
        kernel.run(code, f"setup{index}")
    [output] = display_ids(kernel.run("%hamilton_execute fragile --live", "L"), "display_data")
    broken = kernel.run(FEATURES.replace("return spend - 1", "raise ValueError('boom')"), "F")
    assert not [m for m in broken if m["msg_type"] == "error"]
    [update] = [m for m in broken if m["msg_type"] == "update_display_data"]
    assert update["content"]["transient"]["display_id"] == output
    text = update["content"]["data"]["text/plain"]
    assert "could not update" in text and "ValueError: boom" in text and "0.0" in text  # old values kept
    assert not display_ids(kernel.run("y = 2", "C"), "update_display_data")  # not retried for nothing
    [update] = [m for m in kernel.run(FEATURES, "F") if m["msg_type"] == "update_display_data"]  # undone
    text = update["content"]["data"]["text/plain"]
    assert text.startswith("● live") and "could not update" not in text and "0.0" in text
    kernel.run(FEATURES.replace("return spend - 1", "raise ValueError('boom')"), "F")
    fixed = kernel.run(FEATURES.replace("return spend - 1", "return spend - 5"), "F")
    [update] = [m for m in fixed if m["msg_type"] == "update_display_data"]
    text = update["content"]["data"]["text/plain"]
    assert text.startswith("● live") and "-4.0" in text and "stale" not in text


# ---- a terminal IPython (no kernel): plain results, nothing tracked ---------------------------------
from ipython_shell import ip  # noqa: E402,F401  (the fixture)


def test_in_a_terminal_results_are_plain_and_nothing_is_tracked(ip):
    ip.ok("spend = pd.Series([1.0, 2, 3])")
    ip.ok(FEATURES)
    ip.ok("%hamilton_inputs spend=spend")
    ran = ip.ok("%hamilton_execute doubled --live")
    assert type(ran.value) is __import__("pandas").DataFrame and ran.out.strip().startswith("Out")
    assert ran.value["doubled"].tolist() == [2.0, 4.0, 6.0]
    assert "only" in ip.ok("%hamilton_live").out  # says where tracking happens
    assert "Stopped 0 live outputs." in ip.ok("%hamilton_live off").out


def test_hamilton_live_documents_itself(ip):
    magic = ip.shell.find_line_magic("hamilton_live")
    assert "off" in magic.__doc__ and "stop_live()" in magic.__doc__
    assert "--live" in ip.shell.find_line_magic("hamilton_execute").__doc__
    assert "stale" in ip.ok("%hamilton_execute?").out


def test_unloading_the_extension_stops_watching(ip):
    from hamilton_nb.notebook import live

    assert live.tracker(ip.shell).post_run_cell in ip.shell.events.callbacks["post_run_cell"]
    ip.ok("%unload_ext hamilton_nb")
    try:
        assert not any(getattr(c, "__self__", None).__class__ is live.Tracker
                       for c in ip.shell.events.callbacks["post_run_cell"])
    finally:
        ip.ok("%load_ext hamilton_nb")
