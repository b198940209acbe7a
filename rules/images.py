"""IMG: the image files a manuscript names exist, spelled as they are on disk."""

from __future__ import annotations

import os
from typing import Any, Iterator

from mlsys_lint.image_files import local_images
from mlsys_lint.model import Violation
from mlsys_lint.plugin import rule
from mlsys_lint.project import Project

_TAGS = ("images",)
_NEEDS = ("file-listing",)


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
    for _, picture, candidates, lookup in local_images(project):
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
    for _, picture, _, lookup in local_images(project):
        if lookup.state == "case" and lookup.actual is not None:
            actual = os.path.relpath(lookup.actual, project.root)
            yield Violation(picture.span, f"image path `{picture.path}` differs in case from the file `{actual}`: "
                                          "it works on macOS and Windows and breaks on Linux", picture.path)


RULES = [missing_image, image_case_mismatch]
