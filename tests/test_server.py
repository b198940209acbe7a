"""The language server, driven as an editor drives it: a real process, JSON-RPC over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintkit import book

pytest.importorskip("pygls", reason="the language server needs pygls (pip install 'mlsys-lint[lsp]')")

from lspclient import LspClient  # noqa: E402

CHAPTERS = {
    "index.qmd": "# Preface {.unnumbered}\n\nSee @fig-roofline in the next chapter.[^fn-a]\n\n[^fn-a]: A note.\n",
    "ch1.qmd": ("# Compute {#sec-compute}\n\n"
                "Ünïcödé 🚀 text, then @fig-roofline.\n\n"
                "![The roofline model.](roofline.png){#fig-roofline fig-alt=\"Two lines meeting.\"}\n\n"
                "Also @fig-gone and [-@fig-roofline].\n"),
}


@pytest.fixture
def client(tmp_path: Path):
    root = book(tmp_path / "book", CHAPTERS, extra={"roofline.png": ""})
    client = LspClient(root)
    client.initialize()
    yield client
    client.close()


def codes(found: list[dict]) -> list[tuple[str, int, int]]:
    return sorted((d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in found)


def test_open_a_chapter_and_receive_its_diagnostics_with_utf16_positions(client: LspClient) -> None:
    uri = client.open(client.root / "ch1.qmd")
    found = client.diagnostics(uri, lambda d: bool(d))
    # `@fig-gone` on line 6 (0-based 6), after "Also " (5 UTF-16 units)
    assert ("XR001", 6, 5) in codes(found)
    assert all(d["source"] == "mlsys-lint" for d in found)


def test_break_and_fix_a_reference_by_edits_and_other_chapters_follow(client: LspClient) -> None:
    root = client.root
    index = client.open(root / "index.qmd")
    assert client.diagnostics(index) == []
    ch1 = client.open(root / "ch1.qmd")
    client.diagnostics(ch1, lambda d: bool(d))
    text = (root / "ch1.qmd").read_text(encoding="utf-8")
    client.change(ch1, text.replace("{#fig-roofline ", "{#fig-ceiling "), 2)  # the label is gone
    broken = client.diagnostics(index, lambda d: any(x["code"] == "XR001" for x in d))
    assert ("XR001", 2, 4) in codes(broken)  # `@fig-roofline` in index.qmd, published for the other chapter
    client.change(ch1, text, 3)
    assert client.diagnostics(index, lambda d: not d) == []


def test_the_edited_chapter_is_published_first(tmp_path: Path) -> None:
    # z.qmd sorts after a.qmd: a check of the whole book would publish a.qmd first.
    root = book(tmp_path / "book", {"a.qmd": "# A\n\nSee @sec-z.\n", "z.qmd": "# Z {#sec-z}\n\nText.\n"})
    client = LspClient(root)
    try:
        client.initialize()
        z = client.open(root / "z.qmd")
        assert client.diagnostics(z) == []
        before = len(client.seen)
        client.change(z, "# Z\n\nText, @fig-gone.\n", 2)
        client.diagnostics(root.joinpath("a.qmd").as_uri(), lambda d: bool(d))
        published = [m["params"]["uri"] for m in client.seen[before:]
                     if m.get("method") == "textDocument/publishDiagnostics"]
        assert published == [z, root.joinpath("a.qmd").as_uri()]
    finally:
        client.close()


def test_definition_in_another_chapter_references_and_hover(client: LspClient) -> None:
    root = client.root
    index = client.open(root / "index.qmd")
    client.diagnostics(index)
    at = {"textDocument": {"uri": index}, "position": {"line": 2, "character": 6}}  # inside @fig-roofline
    [location] = client.request("textDocument/definition", at)["result"]
    assert location["uri"] == (root / "ch1.qmd").as_uri()
    assert location["range"]["start"] == {"line": 4, "character": 38}  # after `![The roofline model.](roofline.png){#`
    refs = client.request("textDocument/references", {**at, "context": {"includeDeclaration": False}})["result"]
    assert sorted((r["uri"].rsplit("/", 1)[1], r["range"]["start"]["line"]) for r in refs) == [
        ("ch1.qmd", 2), ("ch1.qmd", 6), ("index.qmd", 2)]
    hover = client.request("textDocument/hover", at)["result"]["contents"]["value"]
    assert "Figure" in hover and "fig-roofline" in hover and "The roofline model." in hover and "ch1.qmd:5" in hover
    note = {"textDocument": {"uri": index}, "position": {"line": 2, "character": 42}}  # on [^fn-a]
    [definition] = client.request("textDocument/definition", note)["result"]
    assert definition["range"]["start"]["line"] == 4


def test_rename_a_label_everywhere_and_refuse_bad_names(client: LspClient) -> None:
    root = client.root
    ch1 = client.open(root / "ch1.qmd")
    client.diagnostics(ch1, lambda d: bool(d))
    at = {"textDocument": {"uri": ch1}, "position": {"line": 4, "character": 40}}  # inside {#fig-roofline}
    edit = client.request("textDocument/rename", {**at, "newName": "fig-ceiling"})["result"]["changes"]
    assert {uri.rsplit("/", 1)[1]: len(edits) for uri, edits in edit.items()} == {"ch1.qmd": 3, "index.qmd": 1}
    for uri, edits in edit.items():
        path = Path(uri[len("file://"):])
        lines = path.read_text(encoding="utf-8").split("\n")
        for item in sorted(edits, key=lambda e: -e["range"]["start"]["character"]):
            start, end = item["range"]["start"], item["range"]["end"]
            line = lines[start["line"]]
            units = line.encode("utf-16-le")
            lines[start["line"]] = (units[: start["character"] * 2].decode("utf-16-le") + item["newText"]
                                    + units[end["character"] * 2:].decode("utf-16-le"))
        path.write_text("\n".join(lines), encoding="utf-8")
    assert "@fig-ceiling in the next chapter" in (root / "index.qmd").read_text(encoding="utf-8")
    ch1_text = (root / "ch1.qmd").read_text(encoding="utf-8")
    assert "{#fig-ceiling " in ch1_text and "🚀 text, then @fig-ceiling." in ch1_text and "[-@fig-ceiling]" in ch1_text
    assert "roofline" not in ch1_text.replace("The roofline model", "").replace("roofline.png", "")
    refused = client.request("textDocument/rename", {**at, "newName": "fig ceiling"})
    assert "error" in refused and "not a valid label" in refused["error"]["message"]
    clash = client.request("textDocument/rename", {**at, "newName": "sec-compute"})
    assert "error" in clash


def test_completion_after_at_and_footnote_marker(client: LspClient) -> None:
    root = client.root
    index = client.open(root / "index.qmd")
    client.diagnostics(index)
    text = (root / "index.qmd").read_text(encoding="utf-8") + "\nMore: @fig-ro and [^fn"
    client.change(index, text, 2)
    items = client.request("textDocument/completion", {"textDocument": {"uri": index},
                                                       "position": {"line": 6, "character": 13}})["result"]
    labels = [item["label"] for item in (items["items"] if isinstance(items, dict) else items)]
    assert labels == ["fig-roofline"]
    detail = (items["items"] if isinstance(items, dict) else items)[0]
    assert detail["documentation"] == "The roofline model." and "ch1.qmd" in detail["detail"]
    notes = client.request("textDocument/completion", {"textDocument": {"uri": index},
                                                       "position": {"line": 6, "character": 22}})["result"]
    assert [item["label"] for item in (notes["items"] if isinstance(notes, dict) else notes)] == ["fn-a"]


def test_symbols_and_code_actions(client: LspClient) -> None:
    root = client.root
    ch1 = client.open(root / "ch1.qmd")
    found = client.diagnostics(ch1, lambda d: bool(d))
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": ch1}})["result"]
    assert [s["name"] for s in symbols] == ["Compute", "fig-roofline"]
    workspace = client.request("workspace/symbol", {"query": "roof"})["result"]
    assert [s["name"] for s in workspace] == ["fig-roofline"]
    unresolved = next(d for d in found if d["code"] == "XR001")
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": ch1}, "range": unresolved["range"], "context": {"diagnostics": [unresolved]}})["result"]
    suppress = [a for a in actions if "Suppress" in a["title"]]
    assert suppress and "mlsys-lint: disable-next-line XR001" in str(suppress[0]["edit"])


def test_server_without_pygls_says_how_to_install(tmp_path: Path) -> None:
    import subprocess
    import sys

    blocker = tmp_path / "block" / "pygls"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "mlsys_lint", "server"], capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "PYTHONPATH": str(blocker.parent)})
    assert proc.returncode == 2
    assert proc.stderr.strip() == "mlsys-lint: error: the language server needs pygls: pip install 'mlsys-lint[lsp]'"


def test_the_server_collects_when_quiet_or_every_few_checks(tmp_path: Path, monkeypatch) -> None:
    """The server's collector never starts by itself (a pass over a book's heap would meet the
    next edit): it collects once the editor is quiet, and every `COLLECT_EVERY_CHECKS` checks
    when it never is."""
    import asyncio

    from mlsys_lint import lsp as server_module
    from mlsys_lint.workspace import Workspace

    root = book(tmp_path / "book", {"index.qmd": "# A\n\nSee @fig-gone.\n"})
    collected: list[int] = []
    monkeypatch.setattr(server_module.gc, "collect", lambda *args: collected.append(1) or 0)
    monkeypatch.setattr(server_module, "COLLECT_AFTER_SECONDS", 0.01)

    async def editing() -> None:
        ls = server_module.MlsysLanguageServer()
        ls.book = Workspace(root)
        monkeypatch.setattr(ls, "text_document_publish_diagnostics", lambda params: None)
        for _ in range(server_module.COLLECT_EVERY_CHECKS * 2 + 1):
            ls.refresh()  # busy: no quiet spell between checks
        assert len(collected) == 2
        await asyncio.sleep(0.05)  # quiet: the pending collection runs
        assert len(collected) == 3

    asyncio.run(editing())


def test_a_burst_of_changes_ends_with_the_last_text_checked(client: LspClient) -> None:
    ch1 = client.open(client.root / "ch1.qmd")
    client.diagnostics(ch1, lambda d: bool(d))
    text = (client.root / "ch1.qmd").read_text(encoding="utf-8")
    for version in range(2, 8):  # typed one after another, without waiting for diagnostics
        client.change(ch1, text + f"\nAnd @fig-typed{version}.\n", version)
    final = client.diagnostics(ch1, lambda d: any("fig-typed7" in x["message"] for x in d))
    assert not any("fig-typed6" in x["message"] for x in final)
