"""IMG: the image files a manuscript names exist, spelled as they are on disk."""

from __future__ import annotations

import os
import re
from typing import Any, Iterator
from urllib.parse import unquote

from mlsys_lint.file_listing import FileListing, Lookup
from mlsys_lint.model import Picture, Violation
from mlsys_lint.plugin import rule
from mlsys_lint.project import Project, Unit
from mlsys_lint.xref import output_formats

_TAGS = ("images",)
_NEEDS = ("file-listing",)
_NOT_A_FILE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:|//|#)|\{\{<|\{\{\{|`r |\$\{")
"""URLs (``https:``, ``data:``, ``//host``), fragments, and paths built by shortcodes or code."""


def _metadata(project: Project, unit: Unit, key: str) -> Any:
    """A Pandoc option as the page's front matter, the project or one of its formats sets it."""
    sources = [unit.document.front_matter, project.config]
    formats = project.config.get("format")
    if isinstance(formats, dict):
        sources += [options for options in formats.values() if isinstance(options, dict)]
    for meta in sources:
        if isinstance(meta, dict) and meta.get(key) is not None:
            return meta[key]
    return None


def _shown(project: Project, unit: Unit, picture: Picture) -> bool:
    """Whether some output format of the unit shows the image (conditional content aside)."""
    if not picture.condition.clauses:
        return True
    return any(picture.condition.visible(fmt, profile) for fmt in output_formats(project, unit)
               for profile in ("", "other"))


def _bases(project: Project, unit: Unit, document_path: str, path: str) -> list[str]:
    """Folders a relative image path is looked up in, in Quarto's order: the rendered file's (an
    included file's text is pasted into it), the included file's own, then ``resource-path``."""
    if path.startswith("/"):
        return [str(project.root)]
    folders = [os.path.dirname(os.path.abspath(unit.document.source.path)),
               os.path.dirname(os.path.abspath(document_path))]
    extra = _metadata(project, unit, "resource-path")
    for entry in extra if isinstance(extra, list) else [extra] if isinstance(extra, str) else []:
        folders += [os.path.join(folders[0], str(entry)), os.path.join(str(project.root), str(entry))]
    return list(dict.fromkeys(os.path.normpath(folder) for folder in folders))


def _candidates(project: Project, unit: Unit, document_path: str, picture: Picture) -> list[str]:
    path = picture.path.split("#", 1)[0].split("?", 1)[0]
    extension = _metadata(project, unit, "default-image-extension")
    if extension and not os.path.splitext(path)[1]:
        path += "." + str(extension).lstrip(".")
    spellings = list(dict.fromkeys([path, unquote(path)]))
    return [os.path.normpath(os.path.join(base, spelling.lstrip("/")))
            for base in _bases(project, unit, document_path, path) for spelling in spellings]


def _lookups(project: Project) -> Iterator[tuple[Picture, list[str], Lookup]]:
    """Every local image path shown in some output, with the best lookup among its candidates."""
    listing: FileListing = project.file_listing or FileListing()
    root = os.path.abspath(project.root)
    seen: set[tuple[str, int]] = set()
    for unit in project.all_units:
        for document in unit.documents:
            for picture in document.pictures:
                key = (document.source.path, picture.start)
                if key in seen or not picture.path or _NOT_A_FILE.search(picture.path):
                    continue
                if not _shown(project, unit, picture):
                    continue
                seen.add(key)
                candidates = _candidates(project, unit, document.source.path, picture)
                results = [listing.lookup(candidate, root) for candidate in candidates]
                best = next((r for r in results if r.state == "found"), None) or next(
                    (r for r in results if r.state == "case"), Lookup("missing"))
                yield picture, candidates, best


@rule("IMG001", "missing-image", "error", tags=_TAGS, needs=_NEEDS)
def missing_image(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """An image whose file does not exist.

    ## What it does
    Looks up the file of every Markdown image (figure or not) and raw HTML `<img src>` in
    the text as Quarto renders it: relative to the rendered file (the text of an included
    file is pasted into it; the included file's own folder is tried too), a path starting
    with `/` from the project root, then the folders of `resource-path`. A path without an
    extension takes `default-image-extension`; `%20` and friends are decoded. URLs
    (`https:`, `data:`), fragments, and paths built by shortcodes (`{{< meta >}}`) or
    inline code are not files and are skipped, as are images in content that no output
    format of the page shows. Images produced by code cells are not files either. A path
    that matches a file only when case is ignored is IMG002, not this rule.

    ## Why is this bad?
    Quarto stops a PDF build at a missing image and shows a broken picture in HTML; a
    renamed or moved file is easy to miss in review.

    ## Example
    ```markdown
    See @fig-roofline.

    ![The roofline model.](images/roofline.svg){#fig-roofline fig-alt="A sloped line meeting a flat one."}
    ```
    and no file `images/roofline.svg`.

    ## Use instead
    Add the file, or fix the path:

    ```markdown
    See @fig-roofline.

    ![The roofline model.](images/roofline.svg){#fig-roofline fig-alt="A sloped line meeting a flat one."}
    ```

    ```{.xml filename="images/roofline.svg"}
    <svg xmlns="http://www.w3.org/2000/svg"/>
    ```
    """
    for picture, candidates, lookup in _lookups(project):
        if lookup.state == "missing":
            tried = os.path.relpath(candidates[0], project.root)
            yield Violation(picture.span, f"image file `{picture.path}` does not exist (looked for {tried})",
                            picture.path)


@rule("IMG002", "image-case-mismatch", "error", tags=_TAGS, needs=_NEEDS)
def image_case_mismatch(project: Project, options: dict[str, Any]) -> Iterator[Violation]:
    """An image path that matches its file only when case is ignored.

    ## What it does
    Reports an image path (as IMG001 finds them) whose file exists with another case
    somewhere along the path (`Images/Roofline.PNG` for `images/roofline.png`), on every
    operating system: each folder is listed once and names are compared exactly.

    ## Why is this bad?
    macOS and Windows disks ignore case, so the book builds on the author's laptop, and
    the Linux build (CI, the publisher's server) stops with a missing image.

    ## Example
    ```markdown
    See @fig-chart.

    ![A bar chart.](Chart.svg){#fig-chart fig-alt="Three bars, the middle one tallest."}
    ```

    ```{.xml filename="chart.svg"}
    <svg xmlns="http://www.w3.org/2000/svg"/>
    ```

    ## Use instead
    ```markdown
    See @fig-chart.

    ![A bar chart.](chart.svg){#fig-chart fig-alt="Three bars, the middle one tallest."}
    ```

    ```{.xml filename="chart.svg"}
    <svg xmlns="http://www.w3.org/2000/svg"/>
    ```
    """
    for picture, _, lookup in _lookups(project):
        if lookup.state == "case" and lookup.actual is not None:
            actual = os.path.relpath(lookup.actual, project.root)
            yield Violation(picture.span, f"image path `{picture.path}` differs in case from the file `{actual}`: "
                                          "it works on macOS and Windows and breaks on Linux", picture.path)


RULES = [missing_image, image_case_mismatch]
