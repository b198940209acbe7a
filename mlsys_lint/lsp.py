"""`mlsys-lint server`: the Language Server Protocol over stdio (pygls), on a `Workspace`.

Diagnostics on open, change and save, for every chapter whose findings an edit changes (the
edited chapter's first, checked at once after a quiet spell, debounced while typing); go to
definition and find references for ``@label``, ``[^id]`` and glossary terms in every
chapter; hover (a float's kind, caption and place; a term's definition); document and
workspace symbols; rename a label across the book (refused for an invalid or taken label);
completion of labels after ``@`` and footnote ids after ``[^``; code actions for each
finding's fix (safe ones preferred) and a suppression comment.

Positions: the model counts characters from 1, LSP counts UTF-16 code units from 0; the
conversions below go through each line's text.
"""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from mlsys_lint import __version__, collector
from mlsys_lint.model import Diagnostic, Fix, Severity, Span
from mlsys_lint.workspace import RenameRefused, Workspace

DEBOUNCE_SECONDS = 0.05
"""How long typing must pause before the book is checked again."""
COLLECT_AFTER_SECONDS = 1.0
"""How long the editor must be quiet before the server collects its garbage."""
COLLECT_EVERY_CHECKS = 20
"""Checks after which the server collects even while the editor is never quiet for that long."""
_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
             Severity.INFO: lsp.DiagnosticSeverity.Information}
_SYMBOL_KINDS = {"fig": lsp.SymbolKind.Object, "tbl": lsp.SymbolKind.Struct, "lst": lsp.SymbolKind.Function,
                 "sec": lsp.SymbolKind.Namespace, "eq": lsp.SymbolKind.Constant}


def path_of(uri: str) -> str:
    return os.path.abspath(unquote(urlparse(uri).path))


def uri_of(path: str) -> str:
    return Path(path).as_uri()


class MlsysLanguageServer(LanguageServer):
    """The server: one `Workspace`, refreshed after edits, answering the editor's requests."""

    def __init__(self) -> None:
        super().__init__("mlsys-lint", __version__)
        self.book: Workspace | None = None
        self.published: set[str] = set()
        self.pending: asyncio.TimerHandle | None = None
        self.collection: asyncio.TimerHandle | None = None
        self.last_change = float("-inf")
        self.checks_since_collection = 0
        self.edited: set[str] | None = set()
        """Buffers edited since the last check (None: something else changed too)."""

    def line(self, path: str, line: int) -> str:
        doc = self.book.document(path) if self.book is not None else None
        if doc is not None and 1 <= line <= doc.source.line_count:
            return doc.source.line_text(line)
        try:
            return Path(path).read_text(encoding="utf-8").split("\n")[line - 1]
        except (OSError, UnicodeDecodeError, IndexError):
            return ""

    def position(self, path: str, line: int, column: int) -> lsp.Position:
        before = self.line(path, line)[: column - 1]
        return lsp.Position(line - 1, len(before.encode("utf-16-le")) // 2)

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(self.position(span.path, span.line, span.column),
                         self.position(span.path, span.end_line, span.end_column))

    def offset(self, path: str, position: lsp.Position) -> int | None:
        doc = self.book.document(path) if self.book is not None else None
        if doc is None or position.line >= doc.source.line_count:
            return None
        text = doc.source.line_text(position.line + 1)
        units = 0
        for index, char in enumerate(text):
            if units >= position.character:
                return doc.source.line_start(position.line + 1) + index
            units += 2 if ord(char) > 0xFFFF else 1
        return doc.source.line_start(position.line + 1) + len(text)

    def location(self, span: Span) -> lsp.Location:
        return lsp.Location(uri_of(span.path), self.range(span))

    def diagnostic(self, finding: Diagnostic) -> lsp.Diagnostic:
        return lsp.Diagnostic(range=self.range(finding.span), message=finding.message,
                              severity=_SEVERITY.get(finding.severity, lsp.DiagnosticSeverity.Information),
                              code=finding.code, source="mlsys-lint",
                              data={"fingerprint": finding.fingerprint, "line": finding.span.line,
                                    "column": finding.span.column, "code": finding.code})

    def edit(self, fix: Fix) -> lsp.WorkspaceEdit:
        start = self.position(fix.path, fix.start_line, fix.start_column)
        end = self.position(fix.path, fix.end_line, fix.end_column)
        return lsp.WorkspaceEdit(changes={uri_of(fix.path): [lsp.TextEdit(lsp.Range(start, end), fix.replacement)]})

    def refresh(self, focus: set[str] | None = None) -> None:
        """Check the book again and publish what changed (after a whole check, every open
        buffer's findings too).

        With `focus` (the buffers edited since the last check), their findings are checked and
        published first, then the rest of the book's (`Workspace.refresh_rest`)."""
        if self.book is None:
            return
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None
        self.edited = set()
        with collector.paused():  # turned back on, the collector would start on this check's garbage at once
            changed = self.book.refresh(focus)
            self.publish(changed, set(self.book.engine.overlays) if focus is None else focus)
            if focus is not None:
                self.publish(self.book.refresh_rest(), set())
        self.checks_since_collection += 1
        if self.checks_since_collection >= COLLECT_EVERY_CHECKS:
            self.collect()
        else:
            self.collect_when_idle()

    def publish(self, changed: set[str], always: set[str]) -> None:
        """Send the findings of the paths in `changed` and `always` (a path never published and
        without findings is left alone)."""
        for path in sorted(changed | always):
            findings = self.book.findings.get(path, [])
            if not findings and path not in self.published and path not in always:
                continue
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri=uri_of(path), diagnostics=[self.diagnostic(f) for f in findings]))
            self.published.add(path)

    def schedule(self, path: str | None = None) -> None:
        """Check soon: at once after a quiet spell, else once typing pauses for `DEBOUNCE_SECONDS`.
        `path` is the buffer edited (None: files changed on disk, the whole book is checked)."""
        loop = asyncio.get_event_loop()
        if self.collection is not None:
            self.collection.cancel()
        burst = self.pending is not None or loop.time() - self.last_change < DEBOUNCE_SECONDS
        self.last_change = loop.time()
        if self.pending is not None:
            self.pending.cancel()
        self.edited = None if path is None or self.edited is None else self.edited | {path}
        self.pending = loop.call_later(DEBOUNCE_SECONDS if burst else 0, self.refresh_edited)

    def refresh_edited(self) -> None:
        self.refresh(self.edited)

    def collect_when_idle(self) -> None:
        """Collect the garbage of the checks so far once the editor has been quiet for a while.
        The server never collects on its own (`serve`): a pass over a book's heap (~0.1 s at 39
        chapters) would otherwise start, at the allocation that triggers it, just as the next
        edit arrives."""
        if self.collection is not None:
            self.collection.cancel()
        self.collection = asyncio.get_event_loop().call_later(COLLECT_AFTER_SECONDS, self.collect)

    def collect(self) -> None:
        """Collect the garbage now (and not again when the editor falls quiet)."""
        if self.collection is not None:
            self.collection.cancel()
            self.collection = None
        self.checks_since_collection = 0
        gc.collect()


server = MlsysLanguageServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: MlsysLanguageServer, params: lsp.InitializeParams) -> None:
    folders = params.workspace_folders or []
    root = path_of(folders[0].uri) if folders else path_of(params.root_uri) if params.root_uri else os.getcwd()
    ls.book = Workspace(Path(root))


@server.feature(lsp.INITIALIZED)
def initialized(ls: MlsysLanguageServer, params: lsp.InitializedParams) -> None:
    ls.refresh()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: MlsysLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    path = path_of(params.text_document.uri)
    ls.book.set_text(path, params.text_document.text)
    ls.refresh({path})


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: MlsysLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    path = path_of(params.text_document.uri)
    ls.book.set_text(path, document.source)
    ls.schedule(path)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: MlsysLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.refresh()


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: MlsysLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.book.set_text(path_of(params.text_document.uri), None)
    ls.refresh()


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def files_changed(ls: MlsysLanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    ls.schedule()


def _target(ls: MlsysLanguageServer, uri: str, position: lsp.Position):
    path = path_of(uri)
    offset = ls.offset(path, position)
    return (path, ls.book.target_at(path, offset)) if offset is not None else (path, None)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: MlsysLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    path, target = _target(ls, params.text_document.uri, params.position)
    if target is None:
        return None
    return [ls.location(span) for span in ls.book.definitions(target, path)] or None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: MlsysLanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    path, target = _target(ls, params.text_document.uri, params.position)
    if target is None:
        return None
    return [ls.location(span) for span in ls.book.references(target, path, params.context.include_declaration)]


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: MlsysLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    path, target = _target(ls, params.text_document.uri, params.position)
    text = ls.book.hover(target, path) if target is not None else None
    if text is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=ls.range(target.span))


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: MlsysLanguageServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    path = path_of(params.text_document.uri)
    doc = ls.book.document(path)
    if doc is None:
        return []
    symbols = []
    for heading in doc.headings:
        span = doc.source.span(heading.start, heading.end)
        symbols.append(lsp.DocumentSymbol(name=heading.text.value or "(untitled)", kind=lsp.SymbolKind.Namespace,
                                          range=ls.range(span), selection_range=ls.range(span),
                                          detail=heading.id or ""))
    for item in doc.floats:
        if item.label:
            span = item.span
            caption = item.caption.value if item.caption is not None else ""
            symbols.append(lsp.DocumentSymbol(name=item.label, detail=caption[:80],
                                              kind=_SYMBOL_KINDS.get(item.type, lsp.SymbolKind.Object),
                                              range=ls.range(span), selection_range=ls.range(span)))
    return sorted(symbols, key=lambda s: (s.range.start.line, s.range.start.character))


@server.feature(lsp.WORKSPACE_SYMBOL)
def workspace_symbols(ls: MlsysLanguageServer, params: lsp.WorkspaceSymbolParams) -> list[lsp.WorkspaceSymbol]:
    if ls.book is None or ls.book.project is None:
        return []
    query = params.query.lower()
    found = []
    for unit in ls.book.project.all_units:
        for definition in ls.book.labels(unit.path):
            if query in definition.id.lower() and definition.unit is unit:
                found.append(lsp.WorkspaceSymbol(name=definition.id,
                                                 kind=_SYMBOL_KINDS.get(definition.type, lsp.SymbolKind.Key),
                                                 location=ls.location(definition.span)))
    return found


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
def prepare_rename(ls: MlsysLanguageServer, params: lsp.PrepareRenameParams):
    path, target = _target(ls, params.text_document.uri, params.position)
    if target is None or target.kind != "label":
        return None
    return lsp.PrepareRenamePlaceholder(range=ls.range(target.span), placeholder=target.name)


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def rename(ls: MlsysLanguageServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit:
    path = path_of(params.text_document.uri)
    offset = ls.offset(path, params.position)
    try:
        edits = ls.book.rename(path, offset if offset is not None else -1, params.new_name)
    except RenameRefused as refused:
        raise lsp_error(str(refused)) from None
    changes: dict[str, list[lsp.TextEdit]] = {}
    for item in edits:
        changes.setdefault(uri_of(item.span.path), []).append(lsp.TextEdit(ls.range(item.span), item.text))
    return lsp.WorkspaceEdit(changes=changes)


def lsp_error(message: str) -> Exception:
    """An error the editor shows the user (a refused rename): LSP's RequestFailed."""
    from pygls.exceptions import JsonRpcException

    return JsonRpcException(message, code=-32803)


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["@", "^"]))
def completion(ls: MlsysLanguageServer, params: lsp.CompletionParams) -> list[lsp.CompletionItem]:
    path = path_of(params.text_document.uri)
    document = ls.workspace.get_text_document(params.text_document.uri)
    lines = document.lines
    line = lines[params.position.line] if params.position.line < len(lines) else ""
    before = line.encode("utf-16-le")[: params.position.character * 2].decode("utf-16-le", "ignore")
    context = ls.book.completion_context(path, before)
    if context is None:
        return []
    kind, prefix = context
    if kind == "footnote":
        return [lsp.CompletionItem(label=ident, kind=lsp.CompletionItemKind.Reference, detail=text[:80])
                for ident, text in ls.book.footnote_ids(path) if ident.startswith(prefix)]
    items = []
    for definition in ls.book.labels(path):
        if definition.id.startswith(prefix):
            caption = definition.float.caption.value if definition.float is not None and definition.float.caption else ""
            items.append(lsp.CompletionItem(label=definition.id, kind=lsp.CompletionItemKind.Reference,
                                            detail=f"{definition.type} · {Path(definition.path).name}:"
                                                   f"{definition.span.line}",
                                            documentation=caption or None))
    return items


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION)
def code_actions(ls: MlsysLanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    path = path_of(params.text_document.uri)
    wanted = {(d.code, d.range.start.line) for d in params.context.diagnostics}
    actions = []
    for finding in ls.book.findings.get(path, []) if ls.book is not None else []:
        if (finding.code, finding.span.line - 1) not in wanted:
            continue
        shown = ls.diagnostic(finding)
        for fix in ls.book.fixes(finding):
            own = fix is finding.fix
            title = f"{finding.code}: {fix.title}" + ("" if fix.safe else " (unsafe: review)")
            actions.append(lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[shown],
                                          edit=ls.edit(fix), is_preferred=own and fix.safe))
    return actions


def serve() -> None:
    """Speak LSP on standard input and output until the editor says exit."""
    gc.disable()  # the server collects when the editor is quiet (`MlsysLanguageServer.collect_when_idle`)
    server.start_io()
