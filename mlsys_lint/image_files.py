"""The image files a manuscript shows, found as Quarto finds them.

`local_images(project)` looks up every Markdown image and raw HTML ``<img src>`` that some
output format shows: relative to the rendered file (an included file's text is pasted
into it), then to the included file's own folder, then in ``resource-path``; ``/`` starts
at the project root; ``default-image-extension`` completes a path without one; ``%20``
and friends are decoded.  URLs, fragments and paths built by shortcodes or code are not
files.  The image rules judge the lookups; the figure audit shows the files found.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator
from urllib.parse import unquote

from mlsys_lint.elements import Picture
from mlsys_lint.file_listing import FileListing, Lookup
from mlsys_lint.project import Project, Unit
from mlsys_lint.xref import output_formats

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


def local_images(project: Project) -> Iterator[tuple[Unit, Picture, list[str], Lookup]]:
    """Every local image path shown in some output, in a file whose findings are reported, with
    the unit showing it, the paths tried in order, and the best lookup among them."""
    listing: FileListing = project.file_listing or FileListing()
    root = os.path.abspath(project.root)
    seen: set[tuple[str, int]] = set()
    for unit in project.all_units:
        for document in unit.documents:
            if not project.is_target(document.path):
                continue
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
                yield unit, picture, candidates, best
