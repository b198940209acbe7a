"""IMG001/IMG002: the image files a manuscript names, looked up as Quarto renders the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintkit import book, found, lint, write_files

SVG = "<svg xmlns='http://www.w3.org/2000/svg'/>\n"


def img(root: Path) -> list[tuple[str, str, int, int]]:
    return found(lint(root, select=["IMG"]), root)


def test_images_that_exist_relative_to_the_page_or_the_root(tmp_path):
    text = ("# T\n\n![A.](images/a.svg)\n\nInline ![b](images/b.svg) and <img src=\"images/c.svg\" alt=\"c\">.\n\n"
            "![Root.](/shared/d.svg)\n\n![Spaces.](images/my%20e.svg)\n")
    files = {"chapters/images/a.svg": SVG, "chapters/images/b.svg": SVG, "chapters/images/c.svg": SVG,
             "shared/d.svg": SVG, "chapters/images/my e.svg": SVG}
    root = book(tmp_path, {"chapters/one.qmd": text}, extra=files)
    assert img(root) == []


def test_missing_images_of_every_form(tmp_path):
    text = ("# T\n\n![A.](images/a.svg){#fig-a}\n\nInline ![b](b.png) here.\n\n<img src=\"c.png\" alt=\"c\">\n\n"
            "![Root.](/nowhere/d.svg)\n")
    root = book(tmp_path, {"index.qmd": text})
    assert img(root) == [("IMG001", "index.qmd", 3, 1), ("IMG001", "index.qmd", 5, 8), ("IMG001", "index.qmd", 7, 1),
                         ("IMG001", "index.qmd", 9, 1)]


def test_case_mismatch_in_a_folder_or_a_file_is_img002_never_img001(tmp_path):
    text = "# T\n\n![A.](Images/a.svg)\n\n![B.](images/B.SVG)\n\n![C.](images/c.svg)\n"
    root = book(tmp_path, {"index.qmd": text}, extra={"images/a.svg": SVG, "images/b.svg": SVG, "images/c.svg": SVG})
    diagnostics = lint(root, select=["IMG"])
    assert found(diagnostics, root) == [("IMG002", "index.qmd", 3, 1), ("IMG002", "index.qmd", 5, 1)]
    assert "differs in case from the file `images/b.svg`" in diagnostics[1].message


@pytest.mark.parametrize("path", ["https://example.org/a.png", "data:image/png;base64,AAAA", "//cdn.example.org/a.png",
                                  "{{< meta cover >}}", "#anchor"])
def test_urls_and_built_paths_are_not_files(tmp_path, path):
    assert img(book(tmp_path, {"index.qmd": f"# T\n\n![A.]({path})\n"})) == []


def test_images_in_code_comments_and_cells_are_not_looked_up(tmp_path):
    text = ("# T\n\n`![a](a.png)`\n\n<!-- ![b](b.png) -->\n\n```markdown\n![c](c.png)\n```\n\n"
            "```{r}\nknitr::include_graphics(\"d.png\")\n```\n")
    assert img(book(tmp_path, {"index.qmd": text})) == []


def test_an_included_file_resolves_from_the_page_that_includes_it_or_its_own_folder(tmp_path):
    root = book(tmp_path, {"index.qmd": "# T\n\n{{< include parts/_one.qmd >}}\n"},
                extra={"parts/_one.qmd": "![From the page.](images/a.svg)\n\n![From its folder.](b.svg)\n\n"
                                         "![Nowhere.](c.svg)\n",
                       "images/a.svg": SVG, "parts/b.svg": SVG})
    assert img(root) == [("IMG001", "parts/_one.qmd", 5, 1)]


def test_resource_path_and_default_image_extension(tmp_path):
    config = ("project:\n  type: book\nbook:\n  chapters: [index.qmd]\nresource-path: [assets]\n"
              "format:\n  html:\n    default-image-extension: svg\n")
    root = book(tmp_path, {"index.qmd": "# T\n\n![A.](a.svg)\n\n![B.](figures/b)\n"}, config=config,
                extra={"assets/a.svg": SVG, "figures/b.svg": SVG})
    assert img(root) == []


def test_content_no_built_format_shows_is_not_checked(tmp_path):
    text = ("# T\n\n::: {.content-visible when-format=\"pdf\"}\n![PDF only.](print.pdf)\n:::\n\n"
            "::: {.content-visible when-format=\"html\"}\n![HTML only.](web.svg)\n:::\n")
    assert img(book(tmp_path, {"index.qmd": text})) == [("IMG001", "index.qmd", 8, 1)]


def test_a_path_the_file_system_cannot_hold_is_a_finding(tmp_path):
    text = "# T\n\n![Long.](" + "x" * 300 + ".png)\n\n![Outside.](../../" + "y" * 300 + ".png)\n"
    assert [code for code, *_ in img(book(tmp_path, {"index.qmd": text}))] == ["IMG001", "IMG001"]


def test_each_folder_is_listed_once(tmp_path, monkeypatch):
    import os

    text = "# T\n\n" + "".join(f"![Plot {n}.](images/p{n}.svg)\n\n" for n in range(50))
    root = book(tmp_path, {"index.qmd": text}, extra={f"images/p{n}.svg": SVG for n in range(50)})
    listed: list[str] = []
    real = os.scandir

    def counting(path):
        listed.append(str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counting)
    assert lint(root, select=["IMG"], paths=[root]) == []  # one run (`lint` alone also checks each file alone)
    assert sorted(listed) == [str(root), str(root / "images")]


def test_loose_file_outside_a_project(tmp_path):
    write_files(tmp_path, {"notes.md": "![Here.](here.svg) ![Gone.](gone.svg)\n", "here.svg": SVG})
    assert img(tmp_path) == [("IMG001", "notes.md", 1, 20)]
