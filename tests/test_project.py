"""The project model: which files, in which order, includes, namespaces, configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lintkit import found, lint, write_files
from mlsys_lint.project import ProjectError, build_project, load_config
from mlsys_lint.document import parse
from mlsys_lint.reading import read_source


def build(root: Path, **kwargs):
    return build_project(root, load_document=lambda p: parse(read_source(p)), **kwargs)


BOOK = """\
project:
  type: book
book:
  chapters:
    - index.qmd
    - part: "Part one"
      chapters:
        - b.qmd
    - part: p2.qmd
      chapters:
        - a.qmd
  appendices:
    - z.qmd
"""


def test_book_order_parts_and_appendices(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": BOOK, "index.qmd": "# I\n", "a.qmd": "# A\n", "b.qmd": "# B\n",
                           "p2.qmd": "# Part two\n", "z.qmd": "# Z\n", "stray.qmd": "# not in book\n"})
    project = build(tmp_path)
    names = [Path(u.path).name for u in project.units]
    assert names == ["index.qmd", "b.qmd", "p2.qmd", "a.qmd", "z.qmd"]
    assert [u.appendix for u in project.units] == [False, False, False, False, True]
    assert project.units[1].part == "Part one"
    assert project.is_book and len(project.namespaces()) == 1


def test_missing_chapter_points_at_config_line(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": BOOK, "index.qmd": "# I\n", "b.qmd": "# B\n", "p2.qmd": "# P\n",
                           "z.qmd": "# Z\n"})
    assert found(lint(tmp_path, select=["MSL004"]), tmp_path) == [("MSL004", "_quarto.yml", 11, 11)]


def test_website_discovers_files_and_separates_namespaces(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: website\n", "index.qmd": "# I\n", "docs/a.qmd": "# A\n",
                           "_partial.qmd": "x\n", "README.md": "# readme\n", ".hidden/b.qmd": "# B\n",
                           "_site/c.qmd": "# C\n"})
    project = build(tmp_path)
    assert sorted(Path(u.path).relative_to(tmp_path).as_posix() for u in project.units) == ["docs/a.qmd", "index.qmd"]
    assert len(project.namespaces()) == 2


def test_render_globs_with_exclusions(tmp_path: Path) -> None:
    config = "project:\n  type: website\n  render:\n    - '*.qmd'\n    - 'docs/*.qmd'\n    - '!docs/skip.qmd'\n"
    write_files(tmp_path, {"_quarto.yml": config, "index.qmd": "# I\n", "docs/a.qmd": "# A\n", "docs/skip.qmd": "# S\n",
                           "notes/n.qmd": "# N\n"})
    names = sorted(Path(u.path).relative_to(tmp_path).as_posix() for u in build(tmp_path).units)
    assert names == ["docs/a.qmd", "index.qmd", "notes/n.qmd"]  # `*.qmd` matches at any depth (smart glob)


def test_profile_and_metadata_files_merge(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "_quarto.yml": "project:\n  type: book\nmetadata-files: [_meta.yml]\nbook:\n  chapters: [index.qmd]\n",
        "_quarto-print.yml": "book:\n  chapters: [index.qmd, extra.qmd]\nformat:\n  pdf: default\n",
        "_meta.yml": "crossref:\n  custom:\n    - kind: float\n      ref-type: vid\n      name: Video\n",
        "index.qmd": "# I\n", "extra.qmd": "# E\n"})
    plain = build(tmp_path)
    assert [Path(u.path).name for u in plain.units] == ["index.qmd"]
    assert "vid" in plain.crossref_types and "vid" in plain.float_types
    printed = build(tmp_path, profiles=["print"])
    assert [Path(u.path).name for u in printed.units] == ["index.qmd", "extra.qmd"]
    assert printed.builds_non_html()


def test_symlinked_quarto_yml_and_explicit_config(tmp_path: Path) -> None:
    write_files(tmp_path, {"config/_quarto-html.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd]\n",
                           "config/_quarto-pdf.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd, b.qmd]\n",
                           "index.qmd": "# I\n", "b.qmd": "# B\n"})
    os.symlink("config/_quarto-html.yml", tmp_path / "_quarto.yml")
    assert [Path(u.path).name for u in build(tmp_path).units] == ["index.qmd"]
    explicit = build(tmp_path, config_path=tmp_path / "config/_quarto-pdf.yml")
    assert [Path(u.path).name for u in explicit.units] == ["index.qmd", "b.qmd"]


def test_broken_config_raises_with_line(tmp_path: Path) -> None:
    path = tmp_path / "_quarto.yml"
    path.write_text("book:\n  chapters: [a\n")
    with pytest.raises(ProjectError, match=r"_quarto.yml:\d+"):
        load_config(path, [])


def test_includes_spliced_in_reading_order(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd, ch/c.qmd]\n",
        "index.qmd": "# I\n\nSee @fig-a.\n",
        "ch/c.qmd": "# C\n\nBefore @fig-b.\n\n{{< include _parts/_p.qmd >}}\n\nAfter @fig-c.\n",
        "ch/_parts/_p.qmd": "Inside @fig-d.\n\n{{< include _q.qmd >}}\n",
        "ch/_parts/_q.qmd": "Deeper @fig-e.\n",
    })
    project = build(tmp_path)
    keys = [ref.key for unit in project.units for ref in unit.elements("references")]
    assert keys == ["fig-a", "fig-b", "fig-d", "fig-e", "fig-c"]
    order = [key for unit in project.units for key, _ in unit.walk("references")]
    assert order == sorted(order)


def test_missing_include_and_cycle(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd]\n",
        "index.qmd": "# I\n\n{{< include _a.qmd >}}\n\n{{< include _gone.qmd >}}\n",
        "_a.qmd": "A\n\n{{< include _b.qmd >}}\n",
        "_b.qmd": "B\n\n{{< include _a.qmd >}}\n",
    })
    result = found(lint(tmp_path, select=["MSL003"]), tmp_path)
    assert ("MSL003", "index.qmd", 5, 1) in result
    assert ("MSL003", "_b.qmd", 3, 1) in result
    assert len(result) == 2


def test_include_inside_code_block_is_checked_but_not_spliced(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd]\n",
        "index.qmd": "# I\n\n```r\n{{< include _code.R >}}\n```\n\n```{.md shortcodes=false}\n{{< include _nope.qmd >}}\n```\n",
    })
    assert found(lint(tmp_path, select=["MSL003"]), tmp_path) == [("MSL003", "index.qmd", 4, 1)]


def test_loose_files_and_explicit_targets(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.qmd": "```\nx\n", "b.qmd": "```\ny\n"})
    assert len(lint(tmp_path, select=["MSL"])) == 2
    only = lint(tmp_path, select=["MSL"], paths=[tmp_path / "a.qmd"])
    assert found(only, tmp_path) == [("MSL002", "a.qmd", 1, 1)]


def test_pre_commit_style_target_reports_only_that_file(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd, a.qmd, b.qmd]\n",
                           "index.qmd": "# I\n", "a.qmd": "```\nx\n", "b.qmd": "```\ny\n"})
    diags = lint(tmp_path, select=["MSL"], paths=[tmp_path / "b.qmd"])
    assert found(diags, tmp_path) == [("MSL002", "b.qmd", 1, 1)]
