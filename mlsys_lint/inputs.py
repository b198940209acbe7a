"""Which files Quarto renders: render globs, folder walks, book render items.

Each function follows the Quarto (and Deno standard library) function it is named
after in its docstring, so that the documents the linter reads are the documents
``quarto render`` renders:

- `resolve_path_globs`: quarto-cli ``src/core/path.ts`` ``resolvePathGlobs`` /
  ``resolveGlobs`` with ``mode: "auto"`` ("smart globs"), expanded as Deno's
  ``expandGlobSync`` does;
- `project_input_files`: ``src/project/project-context.ts`` ``projectInputFiles``
  (``addDir``/``addFile``, ``projectHiddenIgnoreGlob``, ``engineIgnoreDirs``);
- `book_render_list`: ``src/project/types/book/book-config.ts`` ``bookProjectConfig``
  and ``bookRenderItems`` (chapters, references, appendices, index first, page-footer
  links, ``404``).

Paths are absolute POSIX strings while globs are resolved (as Deno matches them) and
relative to the project root when returned.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from mlsys_lint import observed

CONFIG_NAMES = ("_quarto.yml", "_quarto.yaml")
TEXT_SUFFIXES = (".qmd", ".md", ".markdown", ".rmd", ".rmarkdown")
"""Documents the linter reads (Markdown with Quarto extensions)."""
NOTEBOOK_SUFFIXES = (".ipynb",)
SCRIPT_SUFFIXES = (".py", ".jl", ".r", ".q")
"""Scripts Quarto renders only as Jupyter percent scripts or knitr spin scripts."""
ENGINE_IGNORE_DIRS = ("node_modules", "renv", "packrat", "rsconnect", "venv", "env")
"""``engineIgnoreDirs()``: node_modules plus the knitr and Jupyter engines' ``ignoreDirs``."""
_HIDDEN_IGNORE_GLOBS = (
    *(f"**/{name}/**" for name in ENGINE_IGNORE_DIRS),  # engineIgnoreGlobs()
    "**//.quarto/**", "**/**/*.quarto_ipynb**",  # gitignoreEntries(): kQuartoIgnore as `**/${entry}**`
    "**/_*", "**/_*/**", "**/.*", "**/.*/**",
    "**/README.?([Rrq])md", "**/CLAUDE.md", "**/CLAUDE.local.md", "**/AGENTS.md", "**/AGENTS.local.md",
    "**/*.llms.md",
)
"""``projectHiddenIgnoreGlob(dir)``: what no project renders unless it is named explicitly."""
_PERCENT_COMMENT = {".py": "#", ".jl": "#", ".r": "#", ".q": "/"}
_SPIN_SCRIPT = re.compile(r"^\s*#'\s*---[\s\S]+?\s*#'\s*---")
MAX_SCRIPT_BYTES = 1 << 20
"""Scripts larger than this are not read to see whether they are percent scripts."""


# -- Deno's glob syntax (@std/path) ----------------------------------------------------------

_IS_GLOB = re.compile(r"\\(.)|(^!|\*|\?|[\].+)]\?|\[[^\\\]]+\]|\{[^\\}]+\}|\(\?[:!=][^\\)]+\)|\([^|]+\|[^\\)]+\))")
_CLOSERS = {"{": "}", "(": ")", "[": "]"}


def is_glob(text: str) -> bool:
    """Deno ``isGlob``: whether `text` holds glob syntax (an escaped character does not count)."""
    while text:
        match = _IS_GLOB.search(text)
        if match is None:
            return False
        if match.group(2):
            return True
        index = match.end()
        close = _CLOSERS.get(match.group(1) or "")
        if close is not None:
            found = text.find(close, index)
            if found != -1:
                index = found + 1
        text = text[index:]
    return False


_REGEX_ESCAPES = set("!$()*+.=?[\\^{|")
_RANGE_ESCAPES = set("-\\]")
_CLASSES = {"alnum": r"\dA-Za-z", "alpha": "A-Za-z", "ascii": "\x00-\x7f", "blank": "\t ", "cntrl": "\x00-\x1f\x7f",
            "digit": r"\d", "graph": "\x21-\x7e", "lower": "a-z", "print": "\x20-\x7e", "space": r"\s\v",
            "upper": "A-Z", "word": r"\w", "xdigit": r"\dA-Fa-f",
            "punct": "!\"#$%&'()*+,\\-./:;<=>?@[\\\\\\]^_\u2018{|}~"}
_GLOBSTAR = r"(?:[^/]*(?:/|$)+)*"
_WILDCARD = r"[^/]*"


@lru_cache(maxsize=512)
def glob_regex(glob: str) -> re.Pattern[str]:
    """Deno ``globToRegExp`` (POSIX, ``extended`` and ``globstar`` on): a whole-path pattern."""
    if not glob:
        return re.compile(r"(?!)")
    while len(glob) > 1 and glob.endswith("/"):
        glob = glob[:-1]
    out = ""
    j = 0
    while j < len(glob):
        segment, i, ends_with_sep = _segment_regex(glob, j)
        out += segment
        if not ends_with_sep:
            out += "/+" if i < len(glob) else "/*"
        while i < len(glob) and glob[i] == "/":
            i += 1
        j = i
    return re.compile(f"^{out}$")


@lru_cache(maxsize=64)
def any_glob(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern matching what any of `globs` matches (one test per path instead of one per glob)."""
    return re.compile("|".join(f"(?:{glob_regex(glob).pattern})" for glob in globs))


def _segment_regex(glob: str, j: int) -> tuple[str, int, bool]:
    """One path segment of `glob` from `j`: its regex, where it ends, whether it ends with a separator."""
    segment, groups = "", []
    in_range = in_escape = ends_with_sep = False
    i = j
    while i < len(glob) and glob[i] != "/":
        char, following = glob[i], glob[i + 1] if i + 1 < len(glob) else None
        if in_escape:
            in_escape = False
            segment += "\\" + char if char in (_RANGE_ESCAPES if in_range else _REGEX_ESCAPES) else char
        elif char == "\\":
            in_escape = True
        elif char == "[" and not in_range:
            in_range = True
            segment += "["
            if following in ("!", "^"):
                i += 1
                segment += "^" if following == "!" else "\\^"
        elif char == "[" and following == ":" and _class_end(glob, i) is not None:
            name, i = _class_end(glob, i)
            segment += _CLASSES.get(name, "")
        elif char == "]" and in_range:
            in_range = False
            segment += "]"
        elif in_range:
            segment += char
        elif char == ")" and groups and groups[-1] != "BRACE":
            kind = groups.pop()
            segment += ")" + (_WILDCARD if kind == "!" else "" if kind == "@" else kind)
        elif char == "|" and groups and groups[-1] != "BRACE":
            segment += "|"
        elif char in "+@?!*" and following == "(":
            i += 1
            groups.append(char)
            segment += "(?!" if char == "!" else "(?:"
        elif char == "?":
            segment += "."
        elif char == "{":
            groups.append("BRACE")
            segment += "(?:"
        elif char == "}" and groups and groups[-1] == "BRACE":
            groups.pop()
            segment += ")"
        elif char == "," and groups and groups[-1] == "BRACE":
            segment += "|"
        elif char == "*":
            stars = 1
            while i + 1 < len(glob) and glob[i + 1] == "*":
                i += 1
                stars += 1
            before = glob[i - stars] if i - stars >= j else None
            after = glob[i + 1] if i + 1 < len(glob) else None
            if stars == 2 and before in ("/", None) and after in ("/", None):
                segment += _GLOBSTAR
                ends_with_sep = True
            else:
                segment += _WILDCARD
        else:
            segment += "\\" + char if char in _REGEX_ESCAPES else char
        i += 1
    if groups or in_range or in_escape:  # Deno: a segment that does not parse is taken literally
        return "".join("\\" + c if c in _REGEX_ESCAPES else c for c in glob[j:i]), i, False
    return segment, i, ends_with_sep


def _class_end(glob: str, i: int) -> tuple[str, int] | None:
    """``[:name:]`` inside a range at `i`: the class name and the index of its closing ``]``."""
    colon = glob.find(":", i + 2)
    if colon == -1 or not glob.startswith("]", colon + 1):
        return None
    return glob[i + 2 : colon], colon + 1


# -- expandGlobSync and resolveGlobs ----------------------------------------------------------


@dataclass
class Entry:
    """A walked path (Deno ``WalkEntry``): symbolic links are entries, never followed."""

    path: str
    is_dir: bool


def exists(path: str | Path) -> bool:
    """`os.path.exists`, False (not an exception) for a name the file system rejects."""
    return observed.exists(path)


def walk(root: str, skip: list[re.Pattern[str]], max_depth: float = float("inf"),
         prune: Callable[[str], bool] | None = None) -> Iterator[Entry]:
    """Deno ``walkSync``: `root` and everything below it that no `skip` pattern matches.

    `prune` picks folders below `root` (by path) whose contents cannot matter: they are
    yielded (unless skipped) but not entered.
    """
    if any(pattern.match(root) for pattern in skip):
        return
    yield Entry(root, True)
    if max_depth < 1:
        return
    try:
        children = observed.scandir(root)
    except OSError:
        return
    for child in children:
        path = f"{root.rstrip('/')}/{child.name}"
        try:
            is_dir = not child.is_symlink() and child.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if not is_dir:
            if not any(pattern.match(path) for pattern in skip):
                yield Entry(path, False)
        elif prune is not None and prune(path):
            if not any(pattern.match(path) for pattern in skip):
                yield Entry(path, True)
        else:
            yield from walk(path, skip, max_depth - 1, prune)


def expand_glob(root: str, glob: str, exclude: list[str], prune: Callable[[str], bool] | None = None) -> list[Entry]:
    """Deno ``expandGlobSync(glob, {root, exclude, includeDirs: true, globstar: true})``.

    Leading segments without glob syntax name a fixed path, which the exclusions do not
    filter; each later segment is matched against the entries of the folders reached.
    `prune` names folders whose contents the exclusions exclude anyway (see `walk`).
    """
    skip = [any_glob(tuple(os.path.normpath(os.path.join(root, pattern)) for pattern in exclude))] if exclude else []
    trailing = glob.endswith("/")
    segments = [s for s in glob.strip("/").split("/") if s]
    fixed = root
    while segments and not is_glob(segments[0]):
        fixed = os.path.normpath(os.path.join(fixed, segments.pop(0)))
    if not exists(fixed):
        return []
    matches = [Entry(fixed, observed.isdir(fixed))]
    for segment in segments:
        found: dict[str, Entry] = {}
        for current in matches:
            for entry in _advance(current, segment, skip, prune):
                found[entry.path] = entry
        matches = [found[path] for path in sorted(found)]
    if trailing:
        matches = [entry for entry in matches if entry.is_dir]
    return matches


def _advance(current: Entry, segment: str, skip: list[re.Pattern[str]],
             prune: Callable[[str], bool] | None) -> Iterator[Entry]:
    if not current.is_dir:
        return
    if segment == "**":
        yield from walk(current.path, skip, prune=prune)
        return
    if segment == "..":
        parent = os.path.dirname(current.path)
        if not any(pattern.match(parent) for pattern in skip):
            yield Entry(parent, True)
        return
    pattern = glob_regex(segment)
    for entry in walk(current.path, skip, max_depth=1):
        if entry.path != current.path and pattern.match(entry.path.rsplit("/", 1)[-1]):
            yield entry


def smart_glob(root: str, glob: str, prefer_smart: bool = False) -> str:
    """``resolveGlobs``'s ``asFullGlob`` in ``mode: "auto"``.

    Smart (a glob, or an exclusion): ``./`` anchors like ``/``, a trailing ``/`` or a
    folder's name means everything below it, and an unanchored pattern matches at any
    depth (``*.qmd`` is ``**/*.qmd``). A leading ``/`` anchors at the project root;
    ``\\!`` is a literal ``!``.
    """
    smart = prefer_smart or is_glob(glob)
    if glob.startswith("\\!"):
        glob = glob[1:]
    if smart:
        glob = re.sub(r"^\.[/\\]+", "/", glob)
        if glob.endswith("/"):
            glob += "**/*"
        elif observed.isdir(os.path.join(root, glob.lstrip("/"))):
            glob += "/**/*"
    if glob.startswith("/"):
        return glob[1:]
    return "**/" + glob if smart else glob


def resolve_path_globs(root: str, globs: list[str], exclude: list[str],
                       prune: Callable[[str], bool] | None = None) -> tuple[list[str], list[str]]:
    """``resolvePathGlobs(root, globs, exclude, {mode: "auto"})``: (included, excluded) paths.

    ``!pattern`` excludes (always smart); everything else includes.
    """
    include = [smart_glob(root, g) for g in globs if not g.startswith("!")]
    excluded = [smart_glob(root, g[1:], prefer_smart=True) for g in globs if g.startswith("!")]
    return _expand_all(root, include, exclude, prune), _expand_all(root, excluded, exclude, prune)


def _expand_all(root: str, globs: list[str], exclude: list[str], prune: Callable[[str], bool] | None) -> list[str]:
    paths: dict[str, None] = {}
    for glob in globs:
        for entry in expand_glob(root, glob, exclude, prune):
            paths.setdefault(entry.path)
    return list(paths)


# -- projectInputFiles -----------------------------------------------------------------------


def project_input_files(root: Path, render: list[str] | None = None, output_dir: str | None = None,
                        nested: list[str] | None = None) -> list[str]:
    """``projectInputFiles``: every file the project renders, relative to `root`, sorted.

    With a render list, its globs are resolved and folders they name are walked; without
    one, the whole project folder is walked. Files in the output folder, files no engine
    renders and Jupyter intermediates (``x.ipynb`` beside ``x.qmd``) are left out.

    `nested`, when given, makes the walk stop at folders holding their own
    ``_quarto.yml`` (loose documents outside any project) and receives those folders.
    """
    base = os.path.abspath(root)
    ignores = _HIDDEN_IGNORE_GLOBS
    output = os.path.normpath(os.path.join(base, output_dir)) if output_dir else base
    if output == base:  # projectContext: an output-dir that is the project folder means none
        output_dir = None
    if render:
        included, excluded = resolve_path_globs(base, render, [*ignores, *([output_dir] if output_dir else [])],
                                                _ignored_below)
        gone = set(excluded)
        found: list[str] = []
        for path in included:
            if path in gone:
                continue
            found.extend(_walk_dir(base, path) if observed.isdir(path) else [path])
    else:
        found = list(_walk_dir(base, base, nested))
    inside = output_dir is not None and output.startswith(base + "/")  # addFile: only an output folder inside
    files = {path for path in found if not (inside and (os.path.dirname(path) + "/").startswith(output + "/"))
             and renders(path)}
    files -= {path for path in files if _jupyter_intermediate(path)}
    return sorted(os.path.relpath(path, base).replace(os.sep, "/") for path in files)


def _walk_dir(root: str, folder: str, nested: list[str] | None = None) -> Iterator[str]:
    """``addDir``: the files below `folder` that no project ignore glob matches.

    The ignore globs are matched against paths relative to `folder`, so a folder named
    explicitly (``_drafts``) is walked even though its own name starts with ``_``; hidden
    folders are skipped below the project root (Quarto's ``kSkipHidden``).
    """
    below = os.path.relpath(folder, root)
    if below != "." and "/." in "/" + below:
        return
    ignores = any_glob(_HIDDEN_IGNORE_GLOBS)

    def prune(path: str) -> bool:
        if _ignored_below(path):
            return True
        if nested is not None and any(exists(os.path.join(path, config)) for config in CONFIG_NAMES):
            nested.append(path)
            return True
        return False

    for entry in walk(folder, [], prune=prune):
        relative = os.path.relpath(entry.path, folder)
        if not entry.is_dir and not ignores.match(relative):
            yield entry.path


def _ignored_below(path: str) -> bool:
    """Whether the ignore globs exclude every file below folder `path` (``**/_*/**``, ``**/env/**`` …)."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith(("_", ".")) or name in ENGINE_IGNORE_DIRS


def renders(path: str) -> bool:
    """``fileExecutionEngine``: whether some engine renders `path` (by extension; a script
    only when it is a Jupyter percent script or a knitr spin script)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in TEXT_SUFFIXES or suffix in NOTEBOOK_SUFFIXES:
        return True
    if suffix not in SCRIPT_SUFFIXES:
        return False
    try:
        if observed.size(path) > MAX_SCRIPT_BYTES:
            return False
        text = observed.read_bytes(path).decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, ValueError):
        return False
    comment = re.escape(_PERCENT_COMMENT[suffix])
    if re.search(rf"^\s*{comment}\s*%%+\s+\[(markdown|raw)\]", text, re.M):
        return True
    return suffix == ".r" and _SPIN_SCRIPT.search(text) is not None


def _jupyter_intermediate(path: str) -> bool:
    """A notebook beside a ``.qmd`` or script of the same name is the Jupyter engine's intermediate."""
    stem, suffix = os.path.splitext(path)
    return suffix.lower() == ".ipynb" and any(observed.exists(stem + ext) for ext in (".qmd", *SCRIPT_SUFFIXES))


# -- books -----------------------------------------------------------------------------------


@dataclass
class BookItem:
    """One file of a book's render list, in reading order."""

    path: str
    appendix: bool = False
    part: str | None = None
    chapter: bool = True
    """False for a part's own page, page-footer links and the 404 page: rendered, never numbered."""


def book_render_list(root: Path, config: dict[str, Any]) -> list[BookItem]:
    """``bookRenderItems`` + ``bookProjectConfig``: a book's files in reading order.

    Chapters (a ``part`` that names a file is rendered too), ``book: references``,
    appendices; the first file whose name starts with ``index.`` moves to the front.
    Page-footer links to local files and a ``404`` page are rendered after them.
    """
    book = config.get("book") if isinstance(config.get("book"), dict) else {}
    items: list[BookItem] = []
    _chapters(root, book.get("chapters"), False, None, items)
    references = book.get("references")
    if references is not None:
        _chapters(root, [references], False, None, items)
    _chapters(root, book.get("appendices"), True, None, items)
    index = next((position for position, item in enumerate(items) if item.path.startswith("index.")), None)
    if index is not None:
        items.insert(0, items.pop(index))
    items.extend(BookItem(href, chapter=False) for href in _footer_links(config))
    for suffix in (".qmd", ".ipynb", ".md", ".markdown", ".Rmd", ".rmd", ".Rmarkdown"):
        if observed.isfile(root / f"404{suffix}"):
            items.append(BookItem(f"404{suffix}", chapter=False))
            break
    return items


def _chapters(root: Path, entries: Any, appendix: bool, part: str | None, out: list[BookItem]) -> None:
    for entry in entries if isinstance(entries, list) else [] if entries is None else [entries]:
        if isinstance(entry, (str, int, float)) and not isinstance(entry, bool):
            out.append(BookItem(str(entry), appendix, part))
        elif isinstance(entry, dict):
            section = entry.get("part", entry.get("section"))
            if section is not None:
                section = str(section)
                if is_file(root / section):  # normalizeSidebarItem: a section naming a file is its href
                    out.append(BookItem(section, appendix, section, chapter=False))
                _chapters(root, entry.get("chapters", entry.get("contents")), appendix, section, out)
                continue
            href = entry.get("href") or entry.get("file") or entry.get("url")
            if href:
                out.append(BookItem(str(href), appendix, part))
            if "chapters" in entry or "contents" in entry:
                _chapters(root, entry.get("chapters", entry.get("contents")), appendix, part, out)


def _footer_links(config: dict[str, Any]) -> list[str]:
    """Local ``href``s of ``page-footer`` items (``resolvePageFooter``; book settings win)."""
    book = config.get("book") if isinstance(config.get("book"), dict) else {}
    website = config.get("website") if isinstance(config.get("website"), dict) else {}
    footer = book.get("page-footer", website.get("page-footer"))
    links: list[str] = []
    if not isinstance(footer, dict):
        return links
    for region in ("left", "right", "center"):
        items = footer.get(region)
        for item in items if isinstance(items, list) else []:
            href = item.get("href") or item.get("file") if isinstance(item, dict) else None
            if isinstance(href, str) and not re.match(r"^(?:[a-z][a-z0-9+.\-]*:|//|#)", href, re.I):
                links.append(href)
    return links


def is_file(path: str | Path) -> bool:
    """`os.path.isfile`, False (not an exception) for a name the file system rejects."""
    return observed.isfile(path)


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a `_quarto.yml`."""
    folder = start if observed.isdir(start) else start.parent
    for candidate in [folder, *folder.parents]:
        for name in CONFIG_NAMES:
            if observed.exists(candidate / name):
                return candidate
    return None
