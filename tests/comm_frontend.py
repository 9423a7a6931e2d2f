"""A real kernel driven as a front end would: execute requests with cell ids, and (optionally)
the hamilton_nb extension's side of the comm — answering the kernel's comm with ``hello`` and
recording every message it sends. Used by the comm tests and the badge-latency benchmark.
"""
from __future__ import annotations

import dataclasses
import queue
import time
import uuid

from jupyter_client.manager import start_new_kernel

TARGET = "hamilton_nb"


@dataclasses.dataclass
class Reply:
    """What one executed cell produced: its outputs and the comm messages sent while it ran."""

    status: str
    outputs: list[dict]
    comm: list[dict]  # data of the kernel's comm messages, in order
    opened: list[dict]  # comm_open messages of the kernel
    seconds: float
    first_comm_seconds: float | None  # from the request to the first comm message

    @property
    def text(self) -> str:
        return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in self.outputs)

    def cells_messages(self) -> list[dict]:
        return [m for m in self.comm if m.get("kind") == "cells"]


class Kernel:
    """A kernel of this Python; ``extension=True`` answers the comm as the JupyterLab extension does."""

    def __init__(self, extension: bool = True, cwd: str | None = None) -> None:
        self.extension = extension
        kwargs = {"cwd": cwd} if cwd else {}
        self.manager, self.client = start_new_kernel(kernel_name="python3", **kwargs)
        self.comm_ids: list[str] = []

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def send_comm(self, data: dict, comm_id: str | None = None) -> None:
        """A message of the front end on its comm (the first one, by default)."""
        msg = self.client.session.msg("comm_msg", {"comm_id": comm_id or self.comm_ids[0], "data": data})
        self.client.shell_channel.send(msg)

    def open_comm(self) -> str:
        """Open a comm from the front end, as a reloaded page does, and say hello."""
        comm_id = uuid.uuid4().hex
        msg = self.client.session.msg("comm_open", {"comm_id": comm_id, "target_name": TARGET, "data": {}})
        self.client.shell_channel.send(msg)
        self.comm_ids.append(comm_id)
        self.send_comm({"kind": "hello"}, comm_id)
        return comm_id

    def run(self, code: str, cell_id: str | None = None, timeout: float = 60) -> Reply:
        """Execute ``code`` as the cell ``cell_id``; wait until the kernel is idle again and a
        moment more for messages sent after the cell (the comm's flush)."""
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        msg = self.client.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
        start = time.perf_counter()
        self.client.shell_channel.send(msg)
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            reply = self.client.get_shell_msg(timeout=timeout)
        found = self.drain(start, msg["header"]["msg_id"], timeout)
        outputs, comm, opened, first = found
        return Reply(reply["content"]["status"], outputs, comm, opened, time.perf_counter() - start, first)

    def drain(self, start: float, parent: str | None = None, timeout: float = 60, quiet: float = 0.3):
        """IOPub messages until the cell is idle and nothing came for ``quiet`` seconds."""
        outputs, comm, opened, first, idle = [], [], [], None, parent is None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.client.get_iopub_msg(timeout=quiet)
            except queue.Empty:
                if idle:
                    break
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle" and \
                    msg["parent_header"].get("msg_id") == parent:
                idle = True
            elif kind in ("stream", "execute_result", "display_data", "update_display_data", "error"):
                outputs.append({"type": kind, **content})
            elif kind == "comm_open" and content["target_name"] == TARGET:
                opened.append(content)
                if self.extension:
                    self.comm_ids.append(content["comm_id"])
                    self.send_comm({"kind": "hello"}, content["comm_id"])
            elif kind == "comm_msg" and content["comm_id"] in self.comm_ids:
                comm.append(content["data"])
                if first is None:
                    first = time.perf_counter() - start
        return outputs, comm, opened, first
