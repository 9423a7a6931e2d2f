"""Shown results in a real Jupyter kernel: stale banners, live outputs, what a saved notebook keeps.

nbclient applies ``update_display_data`` to earlier outputs, as JupyterLab does, so a cell's
outputs below are what the screen (and the saved notebook) shows after the whole run.
"""
from __future__ import annotations

import queue
import re

import nbformat
import pytest
from jupyter_client import KernelManager
from nbclient import NotebookClient

import hamilton_nb
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
    "%hamilton_execute kept scaled",             # 23: one current column, one that goes stale
    "FACTOR = 30",                               # 24
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


def test_only_the_stale_columns_of_a_table_are_dimmed(stale):
    page, text = shown(stale[23]), shown(stale[23], "text/plain")
    assert "`scaled` below is from before that change; the other columns are current" in text.splitlines()[0]
    dimmed = re.search(r"<style>(\.hamilton-old-\w+) tr > :nth-child\((\d+)\) \{ opacity: \.45; \}</style>", page)
    assert dimmed and dimmed.group(2) == "3", page  # index, kept, scaled: only `scaled`'s cells
    assert "opacity:0.5" not in page  # the current column `kept` is not dimmed
    assert "<td>1001.0</td>" in page and "<td>20.0</td>" in page  # both columns, as shown before


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
    printed = "".join(o.get("text", "") for o in live[10].outputs)  # the edit's receipt, then the live updates
    assert printed.splitlines()[1].startswith("2 recomputed by live outputs (doubled, ratio); 0 stale now")
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
    assert re.match(r"● live: updated after the edit of `fragile` \(cell \[\d+\]\): 1 recomputed: 1 changed "
                    r"\(fragile: 3 of 3 rows differ, max \|Δ\| 4\), 0 same", text)


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


# ---- what a live update says, and what it leaves for `-v`, `%hamilton_diff` and receipts -------------
from IPython.core.displaypub import DisplayPublisher  # noqa: E402


class ZMQDisplayPublisher(DisplayPublisher):
    """Stands in for a kernel's publisher (the tracker redraws outputs only behind a kernel):
    keeps every output by display id as a front end would, updates applied."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outputs: dict[str, dict] = {}

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:
        display_id = (transient or {}).get("display_id")
        if display_id is not None and (update or display_id not in self.outputs):
            self.outputs[display_id] = data


@pytest.fixture
def front_end(ip):
    """The ``ip`` notebook, its outputs redrawn as in Jupyter; ``front_end.screen()`` is the text
    of every tracked output, oldest first."""
    shell, saved = ip.shell, ip.shell.display_pub
    publisher = shell.display_pub = ZMQDisplayPublisher(shell=shell)
    ip.screen = lambda: [data["text/plain"] for data in publisher.outputs.values()]
    try:
        yield ip
    finally:
        from hamilton_nb.notebook import live

        live.tracker(shell).shown.clear()
        shell.display_pub = saved


SIGNUPS = '''
%%hamilton features
def spend_per_signup(spend: pd.Series, signups: pd.Series) -> pd.Series:
    return spend / signups

def double_spend(spend: pd.Series) -> pd.Series:
    return spend * 2
'''
SIGNUP_INPUTS = ("spend = pd.Series([10.0, 10, 20, 40, 40, 50])\nsignups = pd.Series([1.0, 10, 50, 100, 200, 400])\n"
                 "%hamilton_inputs spend=spend signups=signups")


def edited_signups(front_end) -> str:
    """Show ``spend_per_signup`` live, then edit it; returns what the editing cell printed."""
    front_end.ok(SIGNUPS)
    front_end.ok(SIGNUP_INPUTS)
    front_end.ok("%hamilton_execute spend_per_signup double_spend -v --live")
    [before] = front_end.screen()
    assert before.startswith("● live: follows edits")
    return front_end.ok(SIGNUPS.replace("spend / signups", "spend / signups * 100")).out


def test_a_live_update_says_which_edit_it_followed_and_what_changed(front_end):
    edited_signups(front_end)
    [text] = front_end.screen()
    count = front_end.shell.execution_count  # the editing cell's (kept: this shell stores no history)
    assert text.splitlines()[0] == (
        f"● live: updated after the edit of `spend_per_signup` (cell [{count}]): 1 recomputed: 1 changed "
        "(spend_per_signup: 6 of 6 rows differ, max |Δ| 990), 0 same (follows edits; `%hamilton_live off` stops)")
    assert "1000.0" in text  # the new values: 10 / 1 * 100


def test_the_next_verbose_execute_reports_what_the_live_output_recomputed(front_end):
    edited_signups(front_end)
    out = front_end.ok("%hamilton_execute spend_per_signup double_spend -v").out
    lines = out.splitlines()
    assert lines[0].startswith("0 computed, 2 from cache")  # true of this execute
    assert lines[1] == ("  1 recomputed: 1 changed (spend_per_signup: 6 of 6 rows differ, max |Δ| 990), 0 same"
                        " — by a live output, since the last edit")
    assert hamilton_nb.get_session().changed == {"spend_per_signup": "6 of 6 rows differ, max |Δ| 990"}
    # only the nodes a request needs: `double_spend` alone was not recomputed
    assert "recomputed" not in front_end.ok("%hamilton_execute double_spend -v").out
    front_end.ok("spend2 = spend + 1\n%hamilton_inputs spend=spend2")  # the next change supersedes them
    assert front_end.screen()[0].startswith("● live: updated after input `spend` changed")
    lines = front_end.ok("%hamilton_execute spend_per_signup -v").out.splitlines()
    assert lines[1] == ("  1 recomputed: 1 changed (spend_per_signup: 6 of 6 rows differ, max |Δ| 100), 0 same"
                        " — by a live output, since the last edit")


def test_diff_shows_the_change_a_live_output_recomputed(front_end):
    edited_signups(front_end)
    diff = front_end.ok("%hamilton_diff spend_per_signup").value
    assert diff.detail == "6 of 6 rows differ, max |Δ| 990"
    assert diff.rows.loc[0].tolist() == [10.0, 1000.0, 990.0]


def test_the_receipt_and_the_states_agree_after_live_outputs_recompute(front_end):
    out = edited_signups(front_end).splitlines()
    assert out[0] == "features: 2 functions; changed: spend_per_signup; now stale: spend_per_signup"
    assert out[1] == "1 recomputed by live outputs (spend_per_signup); 0 stale now"
    assert "stale" not in set(front_end.states().values())


def test_live_outputs_recompute_part_of_what_an_edit_made_stale(front_end):
    wide = "%%hamilton big\n" + "\n".join(
        f"def f_{i}(x: pd.Series) -> pd.Series:\n    return x * {{factor}} + {i}\n" for i in range(30))
    front_end.ok(wide.format(factor=2))
    front_end.ok("%hamilton_inputs x=pd.Series([1.0, 2.0])")
    front_end.ok("%hamilton_execute --all")
    front_end.ok("%hamilton_execute f_0 f_1 f_2 --live")
    out = front_end.ok(wide.format(factor=3)).out.splitlines()
    assert out[0].endswith("now stale 30: f_0, f_1, f_2 … f_29")
    assert out[1] == "3 recomputed by live outputs (f_0, f_1, f_2); 27 stale now (f_3, f_4, f_5 … f_29)"
    states = list(front_end.states().values())
    assert states.count("stale") == 27 and states.count("fresh") == 3


def test_after_live_off_the_banner_says_re_running_the_cell_makes_it_live_again(front_end):
    edited_signups(front_end)
    assert "Stopped 1 live output." in front_end.ok("%hamilton_live off").out
    front_end.ok(SIGNUPS.replace("spend / signups", "spend / signups * 10"))
    [text] = front_end.screen()
    first = text.splitlines()[0]
    assert first.startswith("⚠ stale: `spend_per_signup` changed")
    assert "add `--live`" not in first and "it has `--live`, so it follows edits again" in first
    assert "updated after" not in text


def test_a_changed_global_supersedes_the_facts_of_the_executes_before_it(ip):
    ip.ok("FACTOR = 10")
    ip.ok("%%hamilton features\n" + test_result_stamp.FEATURES)
    ip.ok("%hamilton_inputs spend=pd.Series([1.0, 2, 3])")
    ip.ok("%hamilton_execute doubled scaled")
    ip.ok("%%hamilton features\n" + test_result_stamp.FEATURES.replace("spend * 2", "spend * 3"))
    ip.ok("%hamilton_execute doubled")
    assert set(hamilton_nb.get_session().changed) == {"doubled"}
    ip.ok("FACTOR = 20")  # an edit too: what the execute before changed is no longer news
    out = ip.ok("%hamilton_execute doubled scaled -v").out
    assert hamilton_nb.get_session().changed == {"scaled": "3 of 3 rows differ, max |Δ| 30"}
    assert "1 recomputed: 1 changed (scaled: 3 of 3 rows differ, max |Δ| 30), 0 same" in out
    assert "since the last edit" not in out
