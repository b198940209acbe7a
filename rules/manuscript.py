"""MSL: problems with the manuscript files themselves (unreadable, unclosed, missing)."""

from __future__ import annotations

from typing import Any, Iterator

from mlsys_lint.model import Violation
from mlsys_lint.plugin import rule
from mlsys_lint.project import Project


_TAGS = ("manuscript",)


def _issues(project: Project, kinds: tuple[str, ...]) -> Iterator[Violation]:
    for issue in project.issues:
        if issue.kind in kinds:
            yield Violation(issue.span, issue.message, issue.subject)


def _problems(project: Project, kinds: tuple[str, ...]) -> Iterator[Violation]:
    for doc in project.reported_documents():
        for problem in doc.problems:
            if problem.kind in kinds:
                yield Violation(doc.source.span(problem.start, problem.end), problem.message, problem.subject)


@rule("MSL001", "unreadable-file", "error", tags=_TAGS)
def unreadable_file(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A manuscript file that cannot be read as text.

    ## What it does
    Reports a file that is binary, not valid UTF-8 (UTF-16 included), unreadable
    (permissions), vanished while linting, or larger than the size limit (20 MB).

    ## Why is this bad?
    Quarto cannot render it either, and nothing in it can be checked. The rest of the
    book is still checked.

    ## Example
    A chapter saved as UTF-16 by a word processor.

    ## Use instead
    Save the file as UTF-8 text.
    """
    return _issues(project, ("unreadable",))


@rule("MSL002", "unclosed-block", "error", tags=_TAGS)
def unclosed_block(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A code fence, fenced div, HTML comment or front matter that is never closed.

    ## What it does
    Reports the opening line of a block that runs to the end of the file: a code fence
    with no closing fence of the same character and at least the same length, a
    ``:::`` div with no closing ``:::``, a ``<!--`` without ``-->``, a front matter
    ``---`` without its end.

    ## Why is this bad?
    Everything after it changes meaning: Pandoc prints an unclosed fence or comment as
    text, Quarto runs an unclosed cell to the end of the file, and an unclosed div
    swallows the blocks after it.

    ## Example
    ````markdown
    ```python
    print("hi")
    ~~~
    ````

    ## Use instead
    Close the fence with the same character:

    ````markdown
    ```python
    print("hi")
    ```
    ````
    """
    return _problems(project, ("unclosed-fence", "unclosed-div", "unclosed-comment", "unclosed-front-matter"))


@rule("MSL003", "missing-include", "error", tags=_TAGS)
def missing_include(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """An ``{{< include >}}`` whose file does not exist, or an include cycle.

    ## What it does
    Resolves every include relative to the including file (a leading ``/`` means the
    project root) and reports targets that do not exist and files that include
    themselves through a chain.

    ## Why is this bad?
    Quarto stops rendering with an error; a cycle never ends.

    ## Example
    ```markdown
    {{< include _setup.qmd >}}
    ```
    where `_setup.qmd` was renamed `_common.qmd`.

    ## Use instead
    Point the include at the file's current path:

    ```markdown
    {{< include _common.qmd >}}
    ```

    ```{.markdown filename="_common.qmd"}
    Shared definitions.
    ```
    """
    return _issues(project, ("missing-include", "include-cycle", "include-limit"))


@rule("MSL004", "missing-chapter", "error", tags=_TAGS)
def missing_chapter(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A chapter listed in `_quarto.yml` that does not exist.

    ## What it does
    Checks every file listed under ``book: chapters``, ``parts`` and ``appendices``.

    ## Why is this bad?
    Quarto refuses to render the book.

    ## Example
    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters:
        - index.qmd
        - intro.qmd   # renamed to introduction.qmd
    ```

    ```{.markdown filename="index.qmd"}
    # Preface
    ```

    ```{.markdown filename="introduction.qmd"}
    # Introduction
    ```

    ## Use instead
    List the file's current name:

    ```{.yaml filename="_quarto.yml"}
    project:
      type: book
    book:
      chapters:
        - index.qmd
        - introduction.qmd
    ```

    ```{.markdown filename="index.qmd"}
    # Preface
    ```

    ```{.markdown filename="introduction.qmd"}
    # Introduction
    ```
    """
    return _issues(project, ("missing-chapter",))


@rule("MSL005", "unused-suppression", "info", tags=_TAGS, needs=("unused-suppressions",))
def unused_suppression(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """A suppression comment that suppressed nothing.

    ## What it does
    Reports ``<!-- mlsys-lint: disable… -->`` comments and ``#| mlsys-lint: ignore``
    cell options that silenced no finding of an enabled rule. It runs after all other
    rules, on what their findings left unused.

    ## Why is this bad?
    Stale suppressions hide the next real problem on that line.

    ## Example
    The label the comment silenced a finding about has been added since:

    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}

    <!-- mlsys-lint: disable-next-line XR001 -->
    See @fig-roofline.
    ```

    ## Use instead
    Remove the comment:

    ```markdown
    ![Roofline model.](roofline.png){#fig-roofline}

    See @fig-roofline.
    ```
    """
    for suppression in project.unused_suppressions:
        codes = " ".join(suppression.codes) or "all rules"
        yield Violation(suppression.span, f"suppression of {codes} suppressed nothing; remove it",
                        " ".join(suppression.codes))


@rule("MSL006", "invalid-yaml", "error", tags=_TAGS)
def invalid_yaml(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """Front matter or cell options that are not valid YAML.

    ## What it does
    Parses the front matter and every executable cell's ``#|`` option block as YAML
    (knitr's ``!expr`` values are accepted) and reports syntax errors at their line.

    ## Why is this bad?
    Quarto stops with a YAML error, or silently drops the options (a caption with an
    unquoted ``: `` is the classic case).

    ## Example
    ````markdown
    ```{r}
    #| fig-cap: Plot: weight against height
    plot(weight, height)
    ```
    ````

    ## Use instead
    ````markdown
    ```{r}
    #| fig-cap: "Plot: weight against height"
    plot(weight, height)
    ```
    ````
    """
    return _problems(project, ("yaml-error",))


RULES = [unreadable_file, unclosed_block, missing_include, missing_chapter, unused_suppression, invalid_yaml]
