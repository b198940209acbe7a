"""A small Language Server Protocol client for tests: the real server process, real JSON-RPC.

`LspClient` starts ``python -m mlsys_lint server`` and speaks to it over its standard input
and output with LSP's ``Content-Length`` framing; a thread reads every message, so a test can
wait for a response or for a notification (published diagnostics) with a timeout.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

TIMEOUT = 60.0


class LspClient:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.process = subprocess.Popen([sys.executable, "-m", "mlsys_lint", "server"], cwd=root,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.ids = itertools.count(1)
        self.responses: dict[int, Any] = {}
        self.notifications: "queue.Queue[dict]" = queue.Queue()
        self.seen: list[dict] = []
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                headers[name.lower()] = value.strip()
            message = json.loads(stream.read(int(headers["content-length"])))
            if "id" in message and "method" not in message:
                with self.lock:
                    self.responses[message["id"]] = message
                    self.lock.notify_all()
            elif "id" in message:  # a request from the server (e.g. registerCapability): say yes
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.notifications.put(message)

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method: str, params: Any) -> dict:
        """The whole response (``result`` or ``error``)."""
        ident = next(self.ids)
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + TIMEOUT
        with self.lock:
            while ident not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to {method}")
                self.lock.wait(left)
            return self.responses.pop(ident)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri: str, until: Callable[[list[dict]], bool] = lambda _found: True) -> list[dict]:
        """The next diagnostics published for `uri` that satisfy `until`."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no diagnostics for {uri} matched")
            message = self.notifications.get(timeout=left)
            self.seen.append(message)
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                if until(message["params"]["diagnostics"]):
                    return message["params"]["diagnostics"]

    def initialize(self) -> dict:
        result = self.request("initialize", {"processId": None, "rootUri": self.root.as_uri(), "capabilities": {},
                                             "workspaceFolders": [{"uri": self.root.as_uri(), "name": "book"}]})
        self.notify("initialized", {})
        return result["result"]

    def open(self, path: Path, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "quarto", "version": version,
                                                              "text": path.read_text(encoding="utf-8")}})
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.stdout.close()
            self.process.stdin.close()
            self.process.stderr.close()
