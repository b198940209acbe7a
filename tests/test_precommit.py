"""The pre-commit hook, run by the real `pre-commit` against a git repository holding a small book.

The hook repository is a git copy of this working tree (tracked and untracked files,
ignored ones left out), so the test checks the code as it is, not the last commit.
pre-commit builds one virtualenv for it per module (``PRE_COMMIT_HOME`` in a temporary
folder) and the commit tests share it; ``pre-commit try-repo`` always builds its own,
so it is used once.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                                reason="pre-commit is not installed (pip install -e '.[test]')")

REPO = Path(__file__).resolve().parents[1]
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"

CONFIG = """\
project:
  type: book
book:
  title: Test
  chapters:
    - index.qmd
    - a.qmd
    - b.qmd
"""

INDEX = "# Preface\n\nThis book is short.\n"

# a.qmd defines the figure b.qmd refers to, and holds a broken reference of its own that
# was committed before the hook was installed: commits that leave a.qmd alone must not
# report it.
A_QMD = """\
# Chapter A

@fig-x shows the pipeline.

![The pipeline.](pipeline.svg){#fig-x fig-alt="Three boxes joined by arrows."}

See also @fig-legacy.
"""

UNTRACKED = (".git", "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".venv", ".pytest_cache",
             ".mlsys-lint-cache", ".hypothesis", ".tools", ".data", "node_modules", ".benchmarks")

B_CLEAN = "# Chapter B\n\nAs @fig-x shows, the pipeline has three stages.\n"
B_BROKEN = "# Chapter B\n\nAs @fig-x shows, and @fig-nope does not.\n"


def _git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.com",
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1",
    )
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _git(cwd: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return _run(["git", *args], cwd, env, check)


def _precommit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "-m", "pre_commit", *args], cwd, env, check=False)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def env(home: Path) -> dict[str, str]:
    return _git_env(home)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> tuple[Path, str]:
    """A git repository holding this working tree; returns (path, commit)."""
    if shutil.which("git") is None:
        pytest.skip("pre-commit needs git")
    target = tmp_path_factory.mktemp("hook-repo")
    if (REPO / ".git").exists():
        listing = _git(REPO, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
        for rel in filter(None, listing.split("\0")):
            source = REPO / rel
            if source.is_file() and not source.is_symlink():
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / rel)
    else:  # an unpacked source tree
        shutil.copytree(REPO, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*UNTRACKED))
    _git(target, env, "init", "-q")
    _git(target, env, "add", "-A")
    _git(target, env, "commit", "-q", "--no-verify", "-m", "hook repository under test")
    return target, _git(target, env, "rev-parse", "HEAD").stdout.strip()


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def book_repo(tmp_path: Path, env, hook_repo) -> Path:
    """A git repository with a three-chapter book, committed, with the hook installed."""
    hook_path, rev = hook_repo
    root = tmp_path / "book"
    root.mkdir()
    config = {"repos": [{"repo": str(hook_path), "rev": rev, "hooks": [{"id": "mlsys-lint"}]}]}
    _write(root, {"_quarto.yml": CONFIG, "index.qmd": INDEX, "a.qmd": A_QMD, "b.qmd": B_CLEAN,
                  "pipeline.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
                  ".pre-commit-config.yaml": yaml.safe_dump(config, sort_keys=False)})
    _git(root, env, "init", "-q")
    _git(root, env, "add", "-A")
    _git(root, env, "commit", "-q", "--no-verify", "-m", "book")
    installed = _precommit(root, env, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return root


def _commit(root: Path, env, files: dict[str, str], message: str = "change") -> subprocess.CompletedProcess:
    _write(root, files)
    _git(root, env, "add", *files)
    return _git(root, env, "commit", "-m", message, check=False)


def _head(root: Path, env) -> str:
    return _git(root, env, "rev-parse", "HEAD").stdout.strip()


# --- the manifest ------------------------------------------------------------------------


def test_manifest_is_valid_for_pre_commit(env) -> None:
    proc = _precommit(REPO, env, "validate-manifest", str(HOOKS_FILE))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_manifest_hook_settings() -> None:
    (hook,) = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    assert hook["id"] == "mlsys-lint"
    assert hook["language"] == "python"
    assert hook["require_serial"] is True
    assert hook.get("pass_filenames", True) is True
    files = re.compile(hook["files"])  # pre-commit matches with re.search on the repository path
    for path in ["a.qmd", "contents/core/intro/intro.qmd", "README.md", "notes.Rmd", "x.rmd",
                 "_quarto.yml", "book/_quarto.yaml", "_quarto-pdf.yml", "config/_quarto-epub.yml",
                 "references.bib", "hw/hardware_glossary.json", "glossary.yml", "include/glossary.yaml"]:
        assert files.search(path), path
    for path in ["a.qmd.bak", "index.html", "my_quarto.yml", "_quarto.yml.orig", "environment.yml",
                 "contents/_quarto/x.py", "glossary.json"]:
        assert not files.search(path), path


# --- pre-commit try-repo -------------------------------------------------------------------


def test_try_repo_reports_the_staged_chapter_only(book_repo: Path, env, hook_repo) -> None:
    hook_path, _ = hook_repo
    _write(book_repo, {"b.qmd": B_BROKEN})
    _git(book_repo, env, "add", "b.qmd")
    proc = _precommit(book_repo, env, "try-repo", str(hook_path), "mlsys-lint")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert re.search(r"^b\.qmd:3:22: XR001 `@fig-nope` does not resolve", output, re.M), output
    assert "fig-x" not in output  # resolved in the untouched a.qmd
    assert "a.qmd" not in output  # a.qmd's own legacy finding: not passed, not reported


# --- commits through the installed hook --------------------------------------------------------


def test_commit_with_broken_reference_fails_with_the_finding(book_repo: Path, env) -> None:
    before = _head(book_repo, env)
    proc = _commit(book_repo, env, {"b.qmd": B_BROKEN})
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "mlsys-lint" in output and "Failed" in output, output
    assert re.search(r"^b\.qmd:3:22: XR001 `@fig-nope` does not resolve", output, re.M), output
    assert "a.qmd" not in output, output
    assert _head(book_repo, env) == before  # nothing was committed


def test_clean_commit_passes_and_resolves_figure_in_untouched_chapter(book_repo: Path, env) -> None:
    before = _head(book_repo, env)
    proc = _commit(book_repo, env, {"b.qmd": B_CLEAN + "\nAgain, @fig-x.\n"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"^mlsys-lint\.+Passed$", output, re.M), output
    assert _head(book_repo, env) != before
    # the parse cache stays out of the repository's way
    assert _git(book_repo, env, "status", "--porcelain").stdout == ""


def test_commit_touching_two_chapters_reports_both(book_repo: Path, env) -> None:
    proc = _commit(book_repo, env, {"index.qmd": INDEX + "\nSee @tbl-missing.\n", "b.qmd": B_BROKEN})
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    found = re.findall(r"^(\S+\.qmd):(\d+):(\d+): (\w+)", output, re.M)
    assert found == [("index.qmd", "5", "5", "XR001"), ("b.qmd", "3", "22", "XR001")], output


def test_commit_touching_quarto_yml_is_checked(book_repo: Path, env) -> None:
    proc = _commit(book_repo, env, {"_quarto.yml": CONFIG + "    - missing.qmd\n"})
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert re.search(r"^_quarto\.yml:9:7: MSL004 chapter `missing\.qmd`", output, re.M), output


def test_commit_touching_other_files_skips_the_hook(book_repo: Path, env) -> None:
    proc = _commit(book_repo, env, {"pipeline.svg": "<svg xmlns='http://www.w3.org/2000/svg'></svg>\n"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"^mlsys-lint\.+\(no files to check\)Skipped$", output, re.M), output



def test_hook_with_a_baseline_for_a_book_in_a_subfolder(tmp_path: Path, env, hook_repo) -> None:
    """The baseline is written in the book's folder; the hook runs in the repository root."""
    hook_path, rev = hook_repo
    root = tmp_path / "repo"
    book = root / "book"
    hook = {"id": "mlsys-lint", "args": ["--baseline", "book/.mlsys-lint-baseline.json"]}
    config = {"repos": [{"repo": str(hook_path), "rev": rev, "hooks": [hook]}]}
    _write(book, {"_quarto.yml": CONFIG, "index.qmd": INDEX, "a.qmd": A_QMD, "b.qmd": B_CLEAN,
                  "pipeline.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n"})
    _write(root, {".pre-commit-config.yaml": yaml.safe_dump(config, sort_keys=False)})
    written = _run([sys.executable, "-m", "mlsys_lint", "--write-baseline", ".mlsys-lint-baseline.json"], book, env)
    assert "wrote 1 baseline entry" in written.stderr  # a.qmd's @fig-legacy
    _git(root, env, "init", "-q")
    _git(root, env, "add", "-A")
    _git(root, env, "commit", "-q", "--no-verify", "-m", "book with a baseline")
    assert _precommit(root, env, "install").returncode == 0
    moved = A_QMD.replace("# Chapter A\n", "# Chapter A\n\nA new opening paragraph.\n")
    passed = _commit(root, env, {"book/a.qmd": moved})
    assert passed.returncode == 0, passed.stdout + passed.stderr  # the baselined finding moved, still baselined
    failed = _commit(root, env, {"book/a.qmd": moved + "\nAnd @fig-new.\n"})
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    found = re.findall(r"^\S+:\d+:\d+: .*$", output, re.M)
    assert found == ["book/a.qmd:11:5: XR001 `@fig-new` does not resolve: no label `fig-new` in the book"], output


# --- the README's `repo: local` recipe -----------------------------------------------------------


def _readme_local_config() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    (block,) = [b for b in blocks if "repo: local" in b]
    return block


def test_readme_local_hook_recipe(book_repo: Path, env) -> None:
    """The `repo: local` recipe runs the mlsys-lint installed here (language: system)."""
    config = _readme_local_config()
    (hook,) = yaml.safe_load(config)["repos"][0]["hooks"]
    (manifest,) = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    assert hook["files"] == manifest["files"] and hook["require_serial"] is True
    local_env = {**env, "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])}
    _write(book_repo, {".pre-commit-config.yaml": config})
    _git(book_repo, local_env, "commit", "-q", "--no-verify", "-am", "local hook")
    broken = _commit(book_repo, local_env, {"b.qmd": B_BROKEN})
    output = broken.stdout + broken.stderr
    assert broken.returncode != 0, output
    assert re.search(r"^b\.qmd:3:22: XR001 `@fig-nope` does not resolve", output, re.M), output
    assert "a.qmd" not in output
    clean = _commit(book_repo, local_env, {"b.qmd": B_CLEAN + "\nAgain, @fig-x.\n"})
    assert clean.returncode == 0, clean.stdout + clean.stderr
