"""Atheris fuzz harness for the document parser, the rules and the configuration loaders.

Usage (from the repository root; needs ``pip install atheris``)::

    python tests/fuzz/build_corpus.py .fuzz/corpus          # seeds from the shared books
    python tests/fuzz/fuzz.py parser .fuzz/corpus/parser -max_total_time=600
    python tests/fuzz/fuzz.py config .fuzz/corpus/config -max_total_time=600
    python tests/fuzz/fuzz.py lint   .fuzz/corpus/parser -max_total_time=600

Every argument after the target name goes to libFuzzer (``-max_total_time``,
``-timeout``, ``-runs``, ``-artifact_prefix``, ``-max_len``).  Targets:

* ``parser``: bytes → `decode` → `parse`; must not raise (other than `UnreadableFile`
  from decoding) and the document must satisfy `invariants.check_document`; parsing
  twice gives the same model.
* ``lint``: the parsed document as a one-file project, every registered rule run by the
  engine; no rule may raise, every finding must lie inside the file.
* ``config``: bytes as a ``_quarto.yml`` (then a ``.mlsys-lint.yml``); only
  `ProjectError`/`ConfigError` may come out, and building the project from a broken
  configuration must not crash.

A crash writes the input to ``<artifact_prefix>crash-…``; replay it with
``python tests/fuzz/fuzz.py parser crash-…``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent.parent))  # the repository, unless PYTHONPATH names another copy
sys.setrecursionlimit(1000)  # a recursion bug shows up early, not at Python's default depth

try:
    import atheris
except ImportError:  # pragma: no cover - the pytest wrapper skips instead
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["mlsys_lint", "mlsys_lint_rules"]):
        from mlsys_lint.config import ConfigError, read_config_file, settings_from_mapping
        from mlsys_lint.document import parse
        from mlsys_lint.engine import Engine
        from mlsys_lint.registry import load_rules
        from mlsys_lint.config import Settings
        from mlsys_lint.project import Project, ProjectError, Unit, build_project
        from mlsys_lint.reading import UnreadableFile, decode

        load_rules()  # import (and so instrument) the rule modules the entry points name
else:
    from mlsys_lint.config import ConfigError, Settings, read_config_file, settings_from_mapping
    from mlsys_lint.document import parse
    from mlsys_lint.engine import Engine
    from mlsys_lint.registry import load_rules
    from mlsys_lint.project import Project, ProjectError, Unit, build_project
    from mlsys_lint.reading import UnreadableFile, decode

from invariants import check_diagnostic, check_document  # noqa: E402

_ENGINE: Engine | None = None
_TMP = Path(tempfile.mkdtemp(prefix="mlsys-lint-fuzz-"))


def _engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        rules = load_rules()
        _ENGINE = Engine(Settings(), dict(rules), base=_TMP)
    return _ENGINE


def _document(data: bytes):
    try:
        source = decode(data, str(_TMP / "chapter.qmd"))
    except UnreadableFile:
        return None
    return parse(source)


def _summary(doc) -> tuple:
    return (
        [(l.id, l.form, l.start, l.end) for l in doc.labels],
        [(r.key, r.start, r.end, r.in_caption_of, r.context) for r in doc.references],
        [(f.type, f.form, f.label, f.start, f.end) for f in doc.floats],
        [(n.id, n.start) for n in doc.footnote_refs],
        [(n.id, n.start) for n in doc.footnote_defs],
        [(p.kind, p.start, p.end) for p in doc.problems],
        doc.masked,
    )


def target_parser(data: bytes) -> None:
    doc = _document(data)
    if doc is None:
        return
    check_document(doc)
    again = parse(doc.source)
    if _summary(doc) != _summary(again):
        raise AssertionError("parsing the same text twice gave different models")


def target_lint(data: bytes) -> None:
    doc = _document(data)
    if doc is None:
        return
    check_document(doc)
    project = Project(root=_TMP, kind="default", config={}, config_path=None, units=[], documents={doc.path: doc})
    project.units.append(Unit(doc.path, 0, doc))
    project.options = {"settings": Settings()}
    diagnostics = _engine().check(project)
    for diagnostic in diagnostics:
        check_diagnostic(diagnostic, {doc.path: doc.source})


def target_config(data: bytes) -> None:
    folder = Path(tempfile.mkdtemp(dir=_TMP))
    try:
        config = folder / "_quarto.yml"
        config.write_bytes(data)
        try:
            project = build_project(folder, load_document=lambda p: None, config_path=config)
        except ProjectError:
            project = None
        if project is not None:
            project.file_order()
            project.namespaces()
            project.builds_non_html()
        for name in (".mlsys-lint.yml", "mlsys-lint.toml"):
            settings_file = folder / name
            os.replace(config, settings_file)
            try:
                settings_from_mapping(read_config_file(settings_file), str(settings_file), settings_file)
            except ConfigError:
                pass
            config = settings_file
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


TARGETS = {"parser": target_parser, "lint": target_lint, "config": target_config}


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{'|'.join(TARGETS)}}} [libFuzzer options] [corpus dirs or files]")
    if atheris is None:
        sys.exit("atheris is not installed (pip install atheris)")
    target = TARGETS[argv[1]]

    def one_input(data: bytes) -> None:
        target(data)

    atheris.Setup([argv[0], *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
