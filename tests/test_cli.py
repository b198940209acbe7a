"""The command line: exit codes, formats, configuration errors, stdin — in-process and as a subprocess."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from lintkit import book, write_files
from mlsys_lint.cli import main
from mlsys_lint.files import relative

SCHEMA = json.loads((Path(__file__).parents[1] / "mlsys_lint" / "schemas" / "output-v1.json").read_text())
UNCLOSED = "# A\n\n```python\nprint(1)\n"


def run(args: list[str], cwd: Path, input: str | None = None):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, args, input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return book(tmp_path, {"index.qmd": "# Index\n", "a.qmd": UNCLOSED})


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return book(tmp_path, {"index.qmd": "# Index\n\nText.\n"})


def test_clean_project_exits_zero(clean: Path) -> None:
    result = run(["--select", "MSL"], clean)
    assert result.exit_code == 0, result.output


def test_findings_exit_one_and_concise_lines(broken: Path) -> None:
    result = run(["--select", "MSL", "--format", "concise"], broken)
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("a.qmd:3:1: MSL002 code fence")


def test_exit_zero_turns_findings_into_success(broken: Path) -> None:
    assert run(["--select", "MSL", "--exit-zero"], broken).exit_code == 0


def test_fail_on_error_ignores_info(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "<!-- mlsys-lint: disable-next-line MSL002 -->\nText.\n"})
    assert run(["--select", "MSL", "--format", "concise"], root).exit_code == 0
    result = run(["--select", "MSL", "--format", "concise", "--fail-on", "info"], root)
    assert result.exit_code == 1
    assert "MSL005" in result.output


def test_unknown_select_is_one_line_exit_two(clean: Path) -> None:
    result = run(["--select", "NOPE"], clean)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "unknown rule code or name `NOPE`" in result.output


def test_missing_path_exits_two(clean: Path) -> None:
    result = run(["does-not-exist.qmd"], clean)
    assert result.exit_code == 2
    assert "no such file or directory" in result.output


def test_unknown_config_key_names_the_key(clean: Path) -> None:
    write_files(clean, {".mlsys-lint.yml": "selekt: [XR]\n"})
    result = run([], clean)
    assert result.exit_code == 2
    assert "unknown key `selekt`" in result.output


def test_broken_quarto_yml_exits_two_with_line(tmp_path: Path) -> None:
    write_files(tmp_path, {"_quarto.yml": "project:\n  type: book\n book: [\n", "index.qmd": "# I\n"})
    result = run(["--select", "MSL"], tmp_path)
    assert result.exit_code == 2
    assert "_quarto.yml:" in result.output and "Traceback" not in result.output


def test_json_output_matches_schema(broken: Path) -> None:
    result = run(["--select", "MSL", "--format", "json"], broken)
    data = json.loads(result.output)
    jsonschema.validate(data, SCHEMA)
    assert data["summary"]["errors"] == 1
    first = data["diagnostics"][0]
    assert (first["path"], first["line"], first["column"], first["code"]) == ("a.qmd", 3, 1, "MSL002")


def test_json_schema_rejects_missing_subject(broken: Path) -> None:
    data = json.loads(run(["--select", "MSL", "--format", "json"], broken).output)
    del data["diagnostics"][0]["subject"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_output_file(broken: Path) -> None:
    result = run(["--select", "MSL", "--format", "json", "-o", "out.json"], broken)
    assert result.exit_code == 1
    assert json.loads((broken / "out.json").read_text())["summary"]["diagnostics"] == 1


def test_full_format_shows_source_line_and_caret(broken: Path) -> None:
    result = run(["--select", "MSL", "--format", "full", "--color", "never"], broken)
    lines = result.output.splitlines()
    assert any(line.endswith("| ```python") for line in lines)
    caret = next(line for line in lines if line.strip().endswith("^^^"))
    assert caret.index("^") == next(line for line in lines if line.endswith("```python")).index("`")
    assert "MSL002" in result.output and "Found 1 finding (1 error) in 1 file" in result.output


def test_stdin_with_filename(clean: Path) -> None:
    result = run(["--select", "MSL", "--format", "concise", "--stdin-filename", "new.qmd", "-"], clean, input=UNCLOSED)
    assert result.exit_code == 1
    assert result.output.startswith("new.qmd:3:1: MSL002")


def test_rules_and_rule_pages(clean: Path) -> None:
    listing = run(["rules"], clean)
    assert "MSL002   unclosed-block" in listing.output
    page = run(["rule", "MSL002"], clean)
    assert page.exit_code == 0 and "## What it does" in page.output
    assert run(["rule", "unclosed-block"], clean).exit_code == 0
    assert run(["rule", "NOPE999"], clean).exit_code == 2


def test_init_writes_a_config_that_loads(clean: Path) -> None:
    assert run(["init"], clean).exit_code == 0
    assert (clean / ".mlsys-lint.yml").exists()
    assert run(["init"], clean).exit_code == 2
    assert run(["--format", "concise"], clean).exit_code in (0, 1)


def test_subprocess_entry_point_and_no_traceback(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# I\n", "bin.qmd": ""})
    (root / "bin.qmd").write_bytes(b"\x00\x01\x02binary")
    proc = subprocess.run([sys.executable, "-m", "mlsys_lint", "--select", "MSL", "--format", "concise"], cwd=root,
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1
    assert proc.stdout.startswith("bin.qmd:1:1: MSL001 cannot read file: file contains NUL bytes")
    assert "Traceback" not in proc.stderr


def test_the_command_exits_at_once_with_its_status_and_keeps_what_the_check_made(broken: Path, monkeypatch) -> None:
    """`cli.run` (the console script) flushes its output and ends the process with the
    check's status, with the check's result still alive (nothing torn down before the end)
    and the garbage collector off (nothing to collect for in a process about to end)."""
    import mlsys_lint.cli as cli

    collector = {"on": True}  # the test process's own collector is left alone
    monkeypatch.setattr(cli.gc, "isenabled", lambda: collector["on"])
    monkeypatch.setattr(cli.gc, "disable", lambda: collector.update(on=False))
    monkeypatch.setattr(cli.gc, "enable", lambda: collector.update(on=True))

    class Ended(Exception):
        pass

    def end(status: int) -> None:
        raise Ended(status)

    monkeypatch.setattr(cli.os, "_exit", end)
    monkeypatch.setattr(cli, "_kept_until_exit", None)
    monkeypatch.chdir(broken)

    def status_of(*argv: str) -> int:
        monkeypatch.setattr(sys, "argv", ["mlsys-lint", *argv])
        with pytest.raises(Ended) as ended:
            cli.run()
        return ended.value.args[0]

    assert status_of("--select", "MSL", "--format", "json") == 1
    assert collector == {"on": False}
    kept = cli._kept_until_exit
    assert len(kept) == 1 and kept[0].exit_code == 1 and kept[0].projects
    assert (status_of("--version"), status_of("--bogus")) == (0, 2)


def test_the_status_of_an_exit_with_a_message_or_none(capsys) -> None:
    from mlsys_lint.cli import _exit_status

    assert (_exit_status(None), _exit_status(0), _exit_status(2), _exit_status(256 + 1)) == (0, 0, 2, 1)
    assert _exit_status("cannot go on") == 1
    assert capsys.readouterr().err == "cannot go on\n"


def test_output_still_buffered_is_written_before_the_process_ends(monkeypatch) -> None:
    import mlsys_lint.cli as cli

    class Ended(Exception):
        pass

    def end(status: int) -> None:
        raise Ended(status)

    def command() -> None:
        sys.stdout.write("written, not flushed")
        sys.exit(3)

    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer, encoding="utf-8"))
    monkeypatch.setattr(cli.os, "_exit", end)
    monkeypatch.setattr(cli, "main", command)
    with pytest.raises(Ended) as ended:
        cli.run()
    assert ended.value.args == (3,) and buffer.getvalue() == b"written, not flushed"


@pytest.mark.parametrize("closed", ["1", "2", "1 2"])
def test_a_check_started_with_its_output_closed_still_gives_its_status(tmp_path: Path, closed: str) -> None:
    """Started with standard output and/or error closed (Python then has no stream for them),
    a check still runs and exits with its status, with no traceback; not an internal error."""
    broken = book(tmp_path / "broken", {"index.qmd": "# Index\n", "a.qmd": UNCLOSED})
    clean = book(tmp_path / "clean", {"index.qmd": "# Index\n\nText.\n"})
    redirect = " ".join(f"{fd}>&-" for fd in closed.split())
    for root, status in ((broken, 1), (clean, 0)):
        proc = subprocess.run(["sh", "-c", f'exec "$0" -m mlsys_lint --select MSL {redirect}', sys.executable],
                              cwd=root, capture_output=True, text=True)
        assert proc.returncode == status, proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_a_subprocess_prints_all_of_a_long_report_before_it_ends(tmp_path: Path) -> None:
    """A report far longer than a pipe's buffer arrives whole, with the status, through the
    console script's path (`python -m`), which ends the process at once."""
    chapters = {f"c{n}.qmd": "# C\n\n" + "See @fig-missing.\n\n" * 300 for n in range(20)}
    root = book(tmp_path, {"index.qmd": "# I\n", **chapters})
    proc = subprocess.run([sys.executable, "-m", "mlsys_lint", "--select", "XR001", "--format", "json", "--no-cache"],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stdout) > 1 << 20
    assert len(json.loads(proc.stdout)["diagnostics"]) == 20 * 300


def test_deterministic_output(broken: Path) -> None:
    first = run(["--select", "MSL", "--format", "json"], broken).output
    assert first == run(["--select", "MSL", "--format", "json"], broken).output


def _habit_book(tmp_path: Path, referred: int, alt: str) -> Path:
    figures = "".join(f'```{{r}}\n#| label: fig-p{n}\n#| fig-cap: "Plot {n}."\n#| fig-alt: "{alt}"\nplot({n})\n```\n\n'
                      for n in range(4))
    refs = "".join(f"See @fig-p{n}.\n\n" for n in range(referred))
    chapters = {f"ch{n}.qmd": f"# Chapter {n}\n\n```{{r}}\nx <- {n}\n```\n\nThe mean is `r mean(x)`.\n" for n in range(3)}
    glossaries = {f"ch{n}_glossary.json": json.dumps({"terms": [{"term": f"term {n}", "definition": "d"}]})
                  for n in range(3)}
    return book(tmp_path, {"index.qmd": "# Home\n\n" + refs + figures, **chapters}, extra=glossaries)


def test_init_fits_a_book_that_numbers_figures_without_referring_to_them(tmp_path: Path) -> None:
    root = _habit_book(tmp_path, referred=1, alt="A long description. " * 20)
    assert run(["init"], root).exit_code == 0
    config = (root / ".mlsys-lint.yml").read_text()
    assert "# - FIG002 unreferenced-figure: the text refers to 1 of 4 labelled figures" in config
    assert 'ignore: ["FIG002"]' in config
    assert 'CAP004: {"max-alt-length": 400}' in config and "4 of 4 alt texts are longer than 250" in config
    assert "Engines (documents): knitr 4" in config
    assert '    - "**/*_glossary.json"\n' in config and "Glossary: 3 terms from" in config
    assert run(["--format", "concise", "--no-cache"], root).exit_code in (0, 1)


def test_init_keeps_the_defaults_for_a_book_that_refers_to_its_figures(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# Home\n\nSee @fig-a.\n\n![A.](a.png){#fig-a fig-alt=\"Bars.\"}\n"})
    assert run(["init"], root).exit_code == 0
    config = (root / ".mlsys-lint.yml").read_text()
    assert "refers to 1 of 1 labelled figures: FIG002 reports the others" in config
    assert "ignore: []" in config and "rules: {}" in config and "\nglossary:" not in config
    assert "no glossary source found" in config and "the limit of 250 fits" in config


def test_a_changed_data_file_is_checked_as_pre_commit_passes_it(tmp_path: Path) -> None:
    """The hook passes a changed glossary or bibliography: its own findings are reported, the chapters' are not."""
    config = "project:\n  type: book\nbook:\n  chapters: [index.qmd]\nbibliography: refs.bib\n"
    root = book(tmp_path, {"index.qmd": "# T\n\nSee @fig-none and [@a2020].\n"}, config=config,
                extra={"refs.bib": "@misc{a2020,\n}\n\n@misc{a2020,\n}\n"})
    result = run(["--format", "concise", "--no-cache", "refs.bib"], root)
    assert result.exit_code == 1
    assert [line.split(" ")[:2] for line in result.output.strip().splitlines()] == [["refs.bib:4:7:", "CIT002"]]


@pytest.mark.parametrize("output_format", ["full", "concise", "grouped"])
def test_statistics_prints_only_the_per_rule_table(tmp_path: Path, output_format: str) -> None:
    root = book(tmp_path, {"index.qmd": "# T\n\nSee @fig-a and @fig-b.\n\n![](x.png){#fig-c}\n"})
    result = run(["--statistics", "--format", output_format, "--no-cache", "--color", "never"], root)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1
    assert lines[0].split()[:3] == ["2", "XR001", "unresolved-reference"] and "in 1 file" in lines[0]
    assert not any("@fig-a" in line for line in lines)  # no finding is listed
    assert any(line.startswith("Found ") and "findings" in line for line in lines)


def test_statistics_in_json_gives_counts_and_other_formats_refuse(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": "# T\n\nSee @fig-a and @fig-b.\n"})
    document = json.loads(run(["--statistics", "--format", "json", "--no-cache"], root).output)
    assert document["diagnostics"] == [] and document["summary"]["by_rule"] == {"XR001": 2}
    refused = run(["--statistics", "--format", "sarif", "--no-cache"], root)
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1


def test_fix_with_select_fixes_that_rule_only(tmp_path: Path) -> None:
    terms = "terms:\n  - term: backpropagation\n    definition: Gradients.\n    variants: [back-propagation]\n"
    text = "# T\n\nWe train with back-propagation.[^n]\n[^n]: Glued.\n"
    root = book(tmp_path, {"index.qmd": text}, extra={"terms.yml": terms, ".mlsys-lint.yml": "glossary:\n  sources: [terms.yml]\n"})
    unfixed = run(["--select", "GLS001,FN006", "--format", "concise", "--no-cache"], root).output
    assert "GLS001" in unfixed and "FN006" in unfixed
    run(["--fix", "--unsafe-fixes", "--select", "FN006", "--no-cache"], root)
    fixed = (root / "index.qmd").read_text()
    assert "[^n]\n\n[^n]: Glued." in fixed and "back-propagation" in fixed  # GLS001's fix is not applied


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_phases_on_a_terminal_only(monkeypatch) -> None:
    from mlsys_lint import cli

    def action(progress):
        if progress is not None:
            progress("parsing 1/2 documents")
            progress("checking XR001 unresolved-reference")
        return "done"

    terminal = _Terminal()
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0)
    assert cli._with_progress(action, quiet=False) == "done"
    assert "checking XR001 unresolved-reference" in terminal.getvalue()
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    assert cli._with_progress(action, quiet=False) == "done" and piped.getvalue() == ""


SUPPRESS_ME = """\
# Chapter {#sec-ch}

A paragraph that cites @fig-none.
Its second line cites @fig-gone.

- an item citing @fig-item
- another item

```{python}
#| label: fig-cell
#| fig-cap: "A plot."
plot()
```

```{r}
#| fig.cap = "CSV options.", label = "fig-csv"
plot()
```

| a | b |
|---|---|
| @fig-cell-ref | 2 |
"""


def test_add_suppressions_writes_comments_that_change_nothing_pandoc_reads(tmp_path: Path) -> None:
    root = book(tmp_path, {"index.qmd": SUPPRESS_ME})
    before = run(["--format", "concise", "--no-cache"], root).output
    assert {line.split()[1] for line in before.strip().splitlines()} >= {"XR001", "CAP002"}
    result = run(["--add-suppressions", "--no-cache"], root)
    assert result.exit_code == 0
    text = (root / "index.qmd").read_text()
    assert "<!-- mlsys-lint: disable-next-line XR001 -->\n\nA paragraph" in text
    assert "<!-- mlsys-lint: disable-next-line XR001 -->\nIts second line" in text
    assert "- an item citing @fig-item <!-- mlsys-lint: disable-line XR001 -->\n" in text
    assert "```{python}\n#| mlsys-lint: ignore CAP002, FIG002\n#| label: fig-cell" in text
    assert '```{r}\n#| fig.cap = "CSV options."' in text  # knitr's comma form takes no YAML line
    after = run(["--format", "concise", "--no-cache"], root).output.strip().splitlines()
    assert [line.split(":")[1] for line in after] == ["20", "26"]  # the CSV-form cell, the table row
    assert "MSL005" not in "\n".join(after)
    pypandoc = pytest.importorskip("pypandoc", reason="pypandoc-binary is not installed")

    def ours(node) -> bool:
        return isinstance(node, dict) and node.get("t") in ("RawBlock", "RawInline") and "mlsys-lint:" in str(node["c"])

    def clean(node):
        """The document without our comments (and the space or line break before an inline one)."""
        if isinstance(node, dict):
            return {key: clean(value) for key, value in node.items()}
        if not isinstance(node, list):
            return node
        out: list = []
        for item in node:
            if ours(item):
                while out and isinstance(out[-1], dict) and out[-1].get("t") in ("Space", "SoftBreak"):
                    out.pop()
                continue
            if out and item == {"t": "SoftBreak"} == out[-1]:
                continue
            out.append(clean(item))
        return out

    def blocks(markdown: str):
        markdown = re.sub(r"^#\| mlsys-lint:[^\n]*\n", "", markdown, flags=re.M)
        return clean(json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))["blocks"])

    assert blocks(text) == blocks(SUPPRESS_ME)


def _two_configs(tmp_path: Path) -> Path:
    root = tmp_path / "repo" / "book"
    (root / "config").mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    chapters = "project:\n  type: book\nbook:\n  chapters: [index.qmd]\n"
    (root / "config" / "_quarto-html.yml").write_text(chapters)
    (root / "config" / "_quarto-pdf.yml").write_text(chapters + "format: pdf\n")
    (root / "_quarto.yml").symlink_to("config/_quarto-html.yml")
    (root / "index.qmd").write_text("# T\n\nSee @fig-x.\n")
    return root


def test_init_on_a_book_with_two_configurations(tmp_path: Path) -> None:
    root = _two_configs(tmp_path)
    result = run(["init", "--yes", "--write-baseline"], root)
    assert result.exit_code == 0, result.output
    config = (root / ".mlsys-lint.yml").read_text()
    assert "quarto-config:" not in config.replace("# quarto-config", "")  # _quarto.yml is the default
    assert "# Other configurations of this book: config/_quarto-pdf.yml;" in config  # the link's target is _quarto.yml
    assert "args: [--baseline, book/.mlsys-lint-baseline.json]" in result.output
    assert "with: {paths: book, baseline: book/.mlsys-lint-baseline.json}" in result.output
    assert json.loads((root / ".mlsys-lint-baseline.json").read_text())["entries"][0]["code"] == "XR001"
    assert run(["--format", "concise", "--no-cache", "--baseline", ".mlsys-lint-baseline.json"], root).exit_code == 0


def test_init_with_a_chosen_configuration(tmp_path: Path) -> None:
    root = _two_configs(tmp_path)
    assert run(["init", "--yes", "--quarto-config", "config/_quarto-pdf.yml"], root).exit_code == 0
    config = (root / ".mlsys-lint.yml").read_text()
    assert "\nquarto-config: config/_quarto-pdf.yml\n" in config and "_quarto.yml" in config
    assert run(["--format", "concise", "--no-cache"], root).exit_code == 1


def test_init_asks_which_configuration_on_a_terminal(tmp_path: Path, monkeypatch) -> None:
    from mlsys_lint import cli
    from mlsys_lint.habits import quarto_configs

    root = _two_configs(tmp_path)
    configs = quarto_configs(root)
    assert [relative(c, root) for c in configs] == ["_quarto.yml", "config/_quarto-pdf.yml"]
    monkeypatch.setattr(cli.click, "prompt", lambda *args, **kwargs: 2)
    assert cli._choose_config(configs, root, interactive=True) == configs[1]
    assert cli._choose_config(configs, root, interactive=False) == configs[0]
