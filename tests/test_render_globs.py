"""Which files a project renders, as Quarto decides it (mlsys_lint/inputs.py).

Test names cite the Quarto function whose behaviour they pin: ``resolveGlobs`` /
``resolvePathGlobs`` (src/core/path.ts, ``mode: "auto"``), ``projectInputFiles`` and
``projectHiddenIgnoreGlob`` (src/project/project-context.ts), ``bookRenderItems`` and
``bookProjectConfig`` (src/project/types/book/book-config.ts), and Deno's
``globToRegExp``/``isGlob``/``expandGlobSync`` that they call.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lintkit import found, lint, write_files
from mlsys_lint.cli import main
from mlsys_lint.config import Settings
from mlsys_lint.document import parse
from mlsys_lint.engine import Engine
from mlsys_lint.registry import load_rules, select_rules
from mlsys_lint.inputs import glob_regex, is_glob, project_input_files
from mlsys_lint.project import build_project
from mlsys_lint.reading import read_source

PAGES = {
    "index.qmd": "# Home\n",
    "about.md": "# About\n",
    "posts/one.qmd": "# One\n",
    "posts/2024/02/deep.qmd": "# Three folders deep\n",
    "posts/drafts/wip.qmd": "# Draft\n",
    "drafts/old.qmd": "# Old\n",
    "docs/guide.qmd": "# Guide\n",
    "docs/ref/api.md": "# API\n",
    "docs/_partial.qmd": "partial\n",
    "docs/_private/secret.qmd": "# Secret\n",
    "_drafts/idea.qmd": "# Idea\n",
    "_special.qmd": "# Special\n",
    ".github/note.md": "# Note\n",
    "README.md": "# Readme\n",
    "LICENSE.md": "# License\n",
    "node_modules/pkg/x.md": "# Vendored\n",
    "env/lib/y.md": "# Virtualenv\n",
    "notebook.ipynb": "{}\n",
    "script.py": "print(1)\n",
    "!important.qmd": "# Bang\n",
}


def rendered(tmp_path: Path, render: list[str] | None, files: dict[str, str] = PAGES) -> list[str]:
    write_files(tmp_path, files)
    return project_input_files(tmp_path, render, None)


def website(tmp_path: Path, render: list[str], files: dict[str, str]) -> list[str]:
    lines = "".join(f"    - '{glob}'\n" for glob in render)
    write_files(tmp_path, {"_quarto.yml": f"project:\n  type: website\n  render:\n{lines}", **files})
    project = build_project(tmp_path, load_document=lambda p: parse(read_source(p)))
    return [Path(unit.path).relative_to(tmp_path).as_posix() for unit in project.units]


# -- Deno's glob syntax ---------------------------------------------------------------------


@pytest.mark.parametrize("glob, matches, misses", [
    ("**/*.qmd", ["a.qmd", "x/y/z/a.qmd"], ["a.md", "a.qmd/x"]),
    ("*.qmd", ["a.qmd"], ["x/a.qmd"]),
    ("**/_*", ["_a.qmd", "x/_d"], ["x/_d/a.qmd", "a_b.qmd"]),
    ("**/_*/**", ["_d/a.qmd", "x/_d/y/a.qmd"], ["x/a.qmd"]),
    ("**/README.?([Rrq])md", ["README.md", "x/README.Rmd", "README.qmd"], ["README.markdown", "README.xmd"]),
    ("*.{qmd,md}", ["a.qmd", "a.md"], ["a.Rmd"]),
    ("[!_]*.qmd", ["a.qmd"], ["_a.qmd"]),
    ("docs/", ["docs"], ["docs/a.qmd"]),
])
def test_deno_glob_to_regexp(glob: str, matches: list[str], misses: list[str]) -> None:
    pattern = glob_regex(glob)
    assert [path for path in matches if pattern.match(path)] == matches
    assert [path for path in misses if pattern.match(path)] == []


@pytest.mark.parametrize("text, expected", [
    ("index.qmd", False), ("docs/", False), ("docs/a.qmd", False), ("*.qmd", True), ("a?.qmd", True),
    ("!drafts", True), ("ch[0-9].qmd", True), ("*.{qmd,md}", True), ("\\*.qmd", False),
])
def test_deno_is_glob(text: str, expected: bool) -> None:
    assert is_glob(text) is expected


# -- resolveGlobs: smart globs ---------------------------------------------------------------


def test_resolve_globs_unanchored_glob_matches_at_any_depth(tmp_path: Path) -> None:
    assert website(tmp_path, ["*.qmd"], {"index.qmd": "# I\n", "a/b/c/page.qmd": "# Deep\n"}) == [
        "a/b/c/page.qmd", "index.qmd"]


def test_resolve_globs_smart_globs_skip_underscore_hidden_and_engine_folders(tmp_path: Path) -> None:
    assert rendered(tmp_path, ["*.qmd", "*.md"]) == [
        "!important.qmd", "LICENSE.md", "about.md", "docs/guide.qmd", "docs/ref/api.md", "drafts/old.qmd",
        "index.qmd", "posts/2024/02/deep.qmd", "posts/drafts/wip.qmd", "posts/one.qmd"]


def test_resolve_globs_literal_path_is_anchored_and_may_name_underscore_files(tmp_path: Path) -> None:
    write_files(tmp_path, {"posts/index.qmd": "# Not this one\n"})
    assert rendered(tmp_path, ["index.qmd", "_special.qmd", "docs/_partial.qmd"]) == [
        "_special.qmd", "docs/_partial.qmd", "index.qmd"]


@pytest.mark.parametrize("name", ["docs", "docs/"])
def test_resolve_globs_folder_means_everything_below_it(tmp_path: Path, name: str) -> None:
    assert rendered(tmp_path, [name]) == ["docs/guide.qmd", "docs/ref/api.md"]


def test_resolve_globs_folder_named_explicitly_is_walked_even_with_underscore(tmp_path: Path) -> None:
    assert rendered(tmp_path, ["_drafts"]) == ["_drafts/idea.qmd"]


def test_resolve_globs_leading_slash_anchors_at_the_root(tmp_path: Path) -> None:
    assert rendered(tmp_path, ["/*.qmd"]) == ["!important.qmd", "index.qmd"]
    assert rendered(tmp_path, ["./*.qmd"]) == ["!important.qmd", "index.qmd"]


def test_resolve_globs_exclusions_are_always_smart(tmp_path: Path) -> None:
    # `!drafts/` excludes every folder named drafts, at any depth; `!/posts/one.qmd` one file.
    assert rendered(tmp_path, ["*.qmd", "!drafts/", "!/posts/one.qmd", "!\\!important.qmd"]) == [
        "docs/guide.qmd", "index.qmd", "posts/2024/02/deep.qmd"]
    assert rendered(tmp_path, ["*.qmd", "!drafts"]) == [
        "!important.qmd", "docs/guide.qmd", "index.qmd", "posts/2024/02/deep.qmd", "posts/one.qmd"]


def test_resolve_globs_backslash_escapes_a_literal_bang(tmp_path: Path) -> None:
    assert rendered(tmp_path, ["\\!important.qmd"]) == ["!important.qmd"]


def test_resolve_globs_exclusion_does_not_reach_into_a_folder_named_whole(tmp_path: Path) -> None:
    # projectInputFiles subtracts the excluded paths from the included ones and then walks
    # each included folder: `docs` stays a folder entry, so its files all render.
    assert rendered(tmp_path, ["docs", "!docs/guide.qmd"]) == ["docs/guide.qmd", "docs/ref/api.md"]


def test_project_input_files_without_render_list_walks_the_project(tmp_path: Path) -> None:
    # projectHiddenIgnoreGlob: `_`/`.` files and folders, README, engine folders (node_modules,
    # renv, venv, env …) stay out; LICENSE.md and notebooks render; plain scripts do not.
    assert rendered(tmp_path, None) == [
        "!important.qmd", "LICENSE.md", "about.md", "docs/guide.qmd", "docs/ref/api.md", "drafts/old.qmd",
        "index.qmd", "notebook.ipynb", "posts/2024/02/deep.qmd", "posts/drafts/wip.qmd", "posts/one.qmd"]


def test_project_input_files_percent_scripts_render_and_notebook_intermediates_do_not(tmp_path: Path) -> None:
    files = {"a.qmd": "# A\n", "a.ipynb": "{}\n", "b.ipynb": "{}\n", "c.py": "# %% [markdown]\n# Title\n",
             "d.R": "#' ---\n#' title: D\n#' ---\n1\n", "e.py": "x = 1\n"}
    assert rendered(tmp_path, None, files) == ["a.qmd", "b.ipynb", "c.py", "d.R"]


def test_project_input_files_leaves_out_the_output_folder(tmp_path: Path) -> None:
    write_files(tmp_path, {"index.qmd": "# I\n", "public/old.qmd": "# Built\n"})
    assert project_input_files(tmp_path, None, "public") == ["index.qmd"]
    assert project_input_files(tmp_path, ["*.qmd"], "public") == ["index.qmd"]


def test_include_targets_are_not_documents_of_their_own(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: website\n", "index.qmd": "{{< include _part.qmd >}}\n",
                           "_part.qmd": "See @fig-missing.\n"})
    project = build_project(tmp_path, load_document=lambda p: parse(read_source(p)))
    assert [Path(unit.path).name for unit in project.units] == ["index.qmd"]
    assert sorted(Path(path).name for path in project.documents) == ["_part.qmd", "index.qmd"]


def test_rendered_counts_notebooks_that_are_not_checked(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: website\n", "index.qmd": "# I\n", "nb.ipynb": "{}\n"})
    project = build_project(tmp_path, load_document=lambda p: parse(read_source(p)))
    assert [Path(path).name for path in project.rendered] == ["index.qmd", "nb.ipynb"]
    assert [Path(unit.path).name for unit in project.units] == ["index.qmd"]


# -- books -----------------------------------------------------------------------------------


def test_book_render_items_index_first_references_appendices_footer_and_404(tmp_path: Path) -> None:
    config = """\
project:
  type: book
book:
  chapters:
    - intro.qmd
    - index.qmd
    - part: Part one
      chapters: [a.qmd]
  references: refs.qmd
  appendices: [z.qmd]
  page-footer:
    left:
      - href: license.qmd
      - href: https://example.org
"""
    names = ["intro.qmd", "index.qmd", "a.qmd", "refs.qmd", "z.qmd", "license.qmd", "404.qmd", "stray.qmd"]
    write_files(tmp_path, {"_quarto.yml": config, **{name: f"# {name}\n" for name in names}})
    project = build_project(tmp_path, load_document=lambda p: parse(read_source(p)))
    assert [Path(unit.path).name for unit in project.units] == [
        "index.qmd", "intro.qmd", "a.qmd", "refs.qmd", "z.qmd", "license.qmd", "404.qmd"]
    assert [unit.appendix for unit in project.units] == [False, False, False, False, True, False, False]


def test_book_part_that_names_no_file_is_a_title(tmp_path: Path) -> None:
    config = "project:\n  type: book\nbook:\n  chapters:\n    - index.qmd\n    - part: missing.qmd\n      chapters: [a.qmd]\n"
    write_files(tmp_path, {"_quarto.yml": config, "index.qmd": "# I\n", "a.qmd": "# A\n"})
    assert found(lint(tmp_path, select=["MSL004"]), tmp_path) == []


# -- outside any project ----------------------------------------------------------------------


def test_loose_run_does_not_load_or_walk_nested_projects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"top.qmd": "```\n", "notes/n.md": "# N\n",
                           "book/_quarto.yml": "book: [broken\n", "book/ch.qmd": "```\n",
                           "book/deep/more.qmd": "# M\n"})
    walked: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: walked.append(str(path)) or scandir(path))
    engine = Engine(Settings(select=["MSL"]), select_rules(load_rules(), Settings(select=["MSL"])), base=tmp_path)
    result = engine.run([tmp_path])
    assert found(result.diagnostics, tmp_path) == [("MSL002", "top.qmd", 1, 1)]
    assert [project.kind for project in result.projects] == ["loose"]
    assert [Path(unit.path).relative_to(tmp_path).as_posix() for unit in result.projects[0].units] == [
        "notes/n.md", "top.qmd"]
    assert result.projects[0].nested_projects == [tmp_path / "book"]
    assert not [path for path in walked if path.startswith(str(tmp_path / "book"))]


def test_file_in_a_nested_project_is_checked_with_its_project(tmp_path: Path) -> None:
    write_files(tmp_path, {"top.qmd": "# T\n", "sub/_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [i.qmd]\n",
                           "sub/i.qmd": "```\n"})
    assert found(lint(tmp_path, select=["MSL"], paths=[tmp_path / "sub"]), tmp_path) == [("MSL002", "sub/i.qmd", 1, 1)]


@pytest.mark.parametrize("output_dir", [".", "./", "../elsewhere"])
def test_project_context_output_dir_that_is_not_a_subfolder_hides_nothing(tmp_path: Path, output_dir: str) -> None:
    write_files(tmp_path / "site", {"index.qmd": "# I\n", "sub/a.qmd": "# A\n"})
    assert project_input_files(tmp_path / "site", None, output_dir) == ["index.qmd", "sub/a.qmd"]


# -- saying what was read ----------------------------------------------------------------------


def run_cli(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_summary_says_documents_rendered_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: website\n  render: ['*.qmd']\n", "index.qmd": "# I\n",
                           "a/b/c/deep.qmd": "# D\n", "nb.ipynb": "{}\n"})
    result = run_cli(["--format", "grouped", "--no-cache"], tmp_path, monkeypatch)
    assert result.output.splitlines() == ["All checks passed.", "Checked 2 of the 2 documents Quarto renders here."]
    result = run_cli(["--format", "json", "--no-cache"], tmp_path, monkeypatch)
    assert '"documents": {\n      "rendered": 2,\n      "checked": 2\n    }' in result.output


def test_list_files_prints_reading_order_namespaces_and_what_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: book\nbook:\n  chapters: [index.qmd, nb.ipynb, b.qmd]\n",
                           "index.qmd": "{{< include _part.qmd >}}\n", "_part.qmd": "text\n", "nb.ipynb": "{}\n",
                           "b.qmd": "# B\n"})
    result = run_cli(["--list-files", "--no-cache"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "# _quarto.yml: book, 3 documents rendered, 2 checked",
        "index.qmd  namespace: book (shared by all chapters)",
        "  _part.qmd  included in index.qmd",
        "nb.ipynb  not checked: not a Markdown document",
        "b.qmd  namespace: book (shared by all chapters)",
    ]


def test_loose_run_names_the_nested_projects_it_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"notes.qmd": "# N\n", "book/_quarto.yml": "book: [broken\n", "book/a.qmd": "# A\n"})
    result = run_cli(["--format", "grouped", "--no-cache"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "Skipped 1 Quarto project inside this folder (book/): run mlsys-lint in each."
