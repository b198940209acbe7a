"""Finding glossary terms in masked prose: `TermMatcher` and the `TermMatch`es it yields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from sys import intern
from typing import Callable, Iterable, Iterator, Sequence

from mlsys_lint.glossary import Entry, Glossary, looks_like_acronym, term_skeleton

@dataclass(slots=True)
class TermMatch:
    """A glossary term found in text.

    `start`/`end` are offsets in the text given to `TermMatcher.find` (`end` includes a
    plural or possessive ending); `text` is ``text[start:end]``.  `kind`:

    * ``canonical`` — the term as declared (or its plural/possessive, or the singular of
      a plural multi-word term);
    * ``alias`` — a declared alias (accepted; `replacement` is the canonical form);
    * ``variant`` — a declared variant/forbidden form, or (`auto` True) a hyphen, space
      or joined spelling of a multi-word or hyphenated form ("back propagation",
      "back-propagation", "backpropagation");
    * ``case`` — the right word in the wrong case: any other casing of a case-sensitive
      name ("Tensorflow"), or of a term its glossary writes with capitals ("Pytorch");
    * ``expansion`` — the `expansion` of an acronym entry ("graphics processing unit").

    `named` is True for an automatic variant written with capitals that the glossary's
    all-lower-case term does not have, beyond a sentence-initial capital ("AllReduce", "the Data-Center
    Forum"): a name or a house spelling, not a slip.

    `form` is the declared form that matched; `replacement` is what the text should say
    (the canonical form, or for ``case`` the form in its declared case) with the plural
    or possessive ending kept and a sentence-initial capital preserved; it equals `text`
    for ``canonical`` and ``expansion``.  `stem` is the spelling as written without its
    plural or possessive ending (whitespace runs as one space, Unicode hyphens as "-",
    "memories" → "memory"); `target` is the same for `replacement`.
    """

    entry: Entry
    start: int
    end: int
    text: str
    kind: str
    form: str
    replacement: str
    auto: bool = False
    named: bool = False
    stem: str = ""
    target: str = ""

    @property
    def needs_fix(self) -> bool:
        return self.replacement != self.text

    def moved(self, shift: int) -> "TermMatch":
        """The same match `shift` characters further on (text inserted before it)."""
        return TermMatch(self.entry, self.start + shift, self.end + shift, self.text, self.kind, self.form,
                         self.replacement, self.auto, self.named, self.stem, self.target)


@dataclass(slots=True)
class Scan:
    """One `TermMatcher.scan` (or `rescan`): the text, its spans and what was found, for the
    next `TermMatcher.rescan`."""

    text: str
    spans: Sequence[tuple[int, int, bool]]
    found: list[tuple[int, "TermMatch"]]
    by_run: dict[tuple[int, int, int, bool], list["TermMatch"]] | None = None
    """The matches of each run of prose, the run known by ``(start of its span, start, end,
    titled)``; worked out from `found` when first needed."""

    def matches_by_run(self) -> dict[tuple[int, int, int, bool], list["TermMatch"]]:
        if self.by_run is None:
            self.by_run = {}
            position, found = 0, self.found
            for run_start, run_end, index in _runs(self.spans):
                lo, _, titled = self.spans[index]
                matches = self.by_run[(lo, run_start, run_end, titled)] = []
                while position < len(found) and found[position][1].start < run_end:
                    matches.append(found[position][1])
                    position += 1
        return self.by_run


# Priorities among forms with the same spelling (lower wins).
_ROLE_PRIORITY = {"canonical": 0, "alias": 1, "variant": 2, "expansion": 3, "singular": 4}
_ROLE_KIND = {"canonical": "canonical", "singular": "canonical", "alias": "alias", "expansion": "expansion"}

# The matcher scans a folded copy of the text: lower-cased, with tab/no-break spaces made
# spaces, Unicode hyphens made "-" and the curly apostrophe made "'" — all one character
# for one character, so offsets are unchanged and the pattern needs no IGNORECASE.
_FOLD = str.maketrans({"\t": " ", "\u00a0": " ", "\u202f": " ", "\u2010": "-", "\u2011": "-", "\u2019": "'"})
_HYPHEN_CHARS = "-\u2010\u2011"
# In the folded copy every whitespace run that is neither one space nor a single line
# break with indentation (a blank line, or several spaces where the parser blanked code,
# math or a footnote marker) is overwritten with \x01, so these can stay simple:
_SEP = "[ \n]+"  # a space or a line break inside a paragraph
_GAP = "(?:-|[ \n]*)"  # a gap between two words of a form: hyphen, space, line break or nothing
_BAD_RUN = re.compile(r"(?<![ \n]) {2,}(?![ \n])| *\n *\n[ \n]*")
_GAP_MARK = "\x00"
_GAP_RE = re.compile(r"(?<=[^\W_])[ \-](?=[^\W_])")
# Not inside a word or an identifier: no letter/digit, "x_", "@", "#", "/", "." before.
# A hyphen before is let through and judged in Python (only "multi-GPU"-like compounds).
_LEFT = r"(?<![^\W_])(?<!\w_)(?<![@#/.])"
_SUFFIX = r"(?P<suf>'s|e?s)?"
_RIGHT = r"(?![^\W_]|_\w|[@#/.']\w)"
_NO_HYPHEN_AFTER = r"(?!e?s?-\w)"
_OPENERS = "\"'“‘([*_"
_CLOSERS = "\"'”’)]*_"
_ENDERS = ".!?:|…"
_MARKER = re.compile(
    r"[ \t]*(?:>[ \t]*)*(?:(?:[-*+|]|\d{1,9}[.)]|#\.|\(?[A-Za-z0-9]{1,3}\)|[A-Za-z][.]|#{1,6}|[:~])[ \t]+)?"
)
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]")
_CONSONANT_Y = re.compile(r"[^aeiou\W]y$")
_WS_RUN = re.compile(r"\s+")
_CASE_FOLD_WS = _FOLD  # the same one-for-one replacements, applied without lower-casing


def _norm(text: str) -> str:
    """Key of a form: lower case, single spaces, plain hyphens and apostrophes."""
    return _WS_RUN.sub(" ", text.lower().translate(_FOLD)).strip()


_FOLD_PAIRS = tuple((chr(k), v) for k, v in _FOLD.items())
_WS_RUNS = re.compile(r"[ \n][ \n]+")  # a class first, not a repeat: `re` then skips to candidates in C


def _fold(text: str) -> str:
    folded = text.lower()
    if len(folded) != len(text):  # "İ" and a few others lower-case to two characters
        folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    for char, replacement in _FOLD_PAIRS:  # str.replace is much faster than translate
        if char in folded:
            folded = folded.replace(char, replacement)
    return _WS_RUNS.sub(_blank_run, folded)


def _blank_run(m: re.Match[str]) -> str:
    """`_BAD_RUN`'s rule on a maximal run of spaces and line breaks: blank a run of
    spaces, or a run holding a blank line; keep one line break with its indentation."""
    run = m.group()
    lines = run.count("\n")
    if lines == 1:
        return run
    return "\x01" * len(run)


class _Form:
    """One spelling of a term in the matcher, and how the case of a match is judged.

    `mode`: ``exact`` (an acronym of a case-preserving source: GPU, GPUs, GPU's only),
    ``initials`` (an acronym of a source that lower-cases everything, "kws" of "keyword
    spotting (kws)": any case with at least two capitals, so that "It" and "it" are not
    the acronym IT), ``sensitive`` (a term declared case-sensitive, or one whose source
    writes it with capitals: PyTorch) or ``none`` (any case is fine).
    """

    __slots__ = ("entry", "form", "role", "priority", "order", "exact", "mode", "compound")

    def __init__(self, entry: Entry, form: str, role: str, order: int) -> None:
        self.entry = entry
        self.form = form
        self.role = role
        self.priority = _ROLE_PRIORITY[role]
        self.order = order
        acronym = role != "expansion" and entry.acronym is not False
        if role != "expansion" and (
            (form == entry.term and entry.is_acronym)
            or (acronym and entry.preserves_case and not entry.case_sensitive and looks_like_acronym(form))
        ):
            self.mode = "exact"
        elif acronym and not entry.preserves_case and (form == entry.short or looks_like_acronym(form)):
            self.mode = "initials"
        elif role not in ("expansion", "variant") and (
            entry.case_sensitive or (entry.preserves_case and form != form.lower())
        ):
            self.mode = "sensitive"
        else:
            self.mode = "none"
        self.exact = self.mode == "exact"
        # May stand in a hyphenated compound ("GPU-based", "multi-GPU", "PyTorch-based").
        self.compound = self.mode in ("exact", "initials") or (self.mode == "sensitive" and form != form.lower())


class TermMatcher:
    """Finds glossary terms in (masked) prose.

    Built once per glossary: every form of every term (canonical, aliases, declared
    variants, acronym expansions, the singular of a plural multi-word term, ``-ies``
    plurals) goes into one trie, whose gaps between words match a space, a line break, a
    hyphen or nothing — so hyphen/space/joined variants need no extra forms.  The trie
    becomes one regular expression, scanned once over a lower-cased copy of the text.
    It is compiled with the standard `re` module: the pattern is generated from escaped
    literals (no user pattern, nothing that can backtrack catastrophically), and `re` is
    several times faster than `regex` on such large alternations.

    Word boundaries: a match never starts or ends inside a word or an identifier — a
    letter, digit, ``_``, ``@``, ``#``, ``/``, ``.``, ``'`` or hyphen joined to it
    continues the word ("fig-memory-wall", "@sec-memory-wall", "memory_wall"; "memory"
    is not found in "memory-bound" or "non-memory").  Exception: acronyms and
    case-sensitive names may stand in a hyphenated compound ("GPU-based", "multi-GPU",
    "PyTorch-style").  ``_emphasis_`` underscores are not identifiers.  Overlapping
    candidates: the longest wins ("memory wall" over "memory").  Plurals (s, es,
    y → ies) and possessives ('s, ’s) count as the term.
    """

    def __init__(self, glossary: Glossary | Iterable[Entry]) -> None:
        terms = glossary.terms if isinstance(glossary, Glossary) else Glossary(glossary).terms
        self._exact: dict[str, list[_Form]] = {}
        self._skeleton: dict[str, list[_Form]] = {}
        order = 0
        for entry in terms:
            forms = [(entry.term, "canonical")]
            forms += [(a, "alias") for a in entry.aliases]
            forms += [(v, "variant") for v in entry.variants]
            forms += [(x, "expansion") for x in entry.expansions]
            singular = _singular(entry.term)
            if singular and not entry.is_acronym:
                forms.append((singular, "singular"))
            for text, role in forms:
                text = " ".join(text.split())
                key = _norm(text)
                if not any(c.isalnum() for c in key):
                    continue
                form = _Form(entry, text, role, order)
                order += 1
                self._exact.setdefault(key, []).append(form)
                if not form.exact and _GAP_RE.search(key):
                    self._skeleton.setdefault(term_skeleton(key), []).append(form)
        for table in (self._exact, self._skeleton):
            for forms in table.values():
                forms.sort(key=lambda f: (f.priority, f.order))
        self._pattern = self._compile()

    @property
    def pattern(self) -> str:
        """The generated regular expression (for debugging)."""
        return self._pattern.pattern if self._pattern else ""

    # ---- building ----

    def _compile(self) -> re.Pattern[str] | None:
        leaves: dict[str, bool] = {}  # gap key -> whether some form may stand in a compound
        for key, forms in self._exact.items():
            compound = any(f.compound for f in forms)
            gkeys = [_GAP_RE.sub(_GAP_MARK, key)]
            if _CONSONANT_Y.search(key):
                gkeys.append(gkeys[0][:-1] + "ies")
            for gkey in gkeys:
                leaves[gkey] = leaves.get(gkey, False) or compound
        if not leaves:
            return None
        trie: dict = {}
        for gkey, compound in leaves.items():
            node = trie
            for ch in gkey:
                node = node.setdefault(ch, {})
            node[""] = compound
        return re.compile(_LEFT + "(?:" + _trie_regex(trie) + ")" + _SUFFIX + _RIGHT)

    # ---- matching ----

    def find(
        self,
        text: str,
        start: int = 0,
        end: int | None = None,
        *,
        sentence_start: Callable[[int], bool] | None = None,
        heading: bool = False,
    ) -> Iterator[TermMatch]:
        """Yield the terms in ``text[start:end]`` from left to right, without overlaps.

        `text` is masked prose (hidden regions already blanked); offsets are into it and
        nothing after `end` is looked at.  `sentence_start(offset)` says whether a term
        starting at `offset` starts a sentence (a capital is then fine); by default it is
        guessed from the text before it: `start`, a blank line, ``.``/``!``/``?``/``:``
        (closing quotes, brackets and emphasis allowed in between), a list, block-quote,
        heading or table-cell marker.  With `heading` True, on an ATX ``#`` heading line
        or inside a ``**bold**`` span (a term's first definition, a label) title case
        of an all-lower-case case-sensitive term is fine; other case-sensitive names
        are still judged.
        """
        end = len(text) if end is None or end > len(text) else end
        for _, match in self._scan(text, [(start, end, heading)], sentence_start):
            yield match

    def scan(self, text: str, spans: Sequence[tuple[int, int, bool]]) -> list[tuple[int, TermMatch]]:
        """Every term in the `spans` of `text`, in one pass over the whole text.

        `spans` are ``(start, end, titled)`` ranges of prose (a document's prose runs,
        in any order, possibly nested: an alt text inside a paragraph); `titled` is
        `find`'s `heading`.  Returns ``(index of the innermost span holding the match,
        match)`` in text order; a match never crosses the end of its span."""
        return list(self._scan(text, spans, None))

    def rescan(self, text: str, spans: Sequence[tuple[int, int, bool]], before: Scan) -> Scan:
        """`scan` of an edited text, given the scan of the text before the edit: a run of prose
        whose text, and the line it starts on, stand wholly before the first changed character
        or wholly after the last keeps its matches (moved by the edit's length difference);
        the other runs are searched again.  Its `found` equals ``scan(text, spans)``."""
        runs = _runs(spans) if self._pattern is not None and spans else []
        old = before.text
        head = _common_prefix(old, text)
        tail = _common_suffix(old, text, min(len(old), len(text)) - head)
        shift = len(text) - len(old)
        kept = before.matches_by_run()
        found: list[tuple[int, TermMatch]] = []
        by_run: dict[tuple[int, int, int, bool], list[TermMatch]] = {}
        for run in runs:
            run_start, run_end, index = run
            lo, _, titled = spans[index]
            reach = text.rfind("\n", 0, lo) - _LOOK_BEHIND  # the line start and hyphens before it are read
            matches = None
            if run_end <= head:
                matches = kept.get((lo, run_start, run_end, titled))
            elif reach >= len(text) - tail:
                matches = kept.get((lo - shift, run_start - shift, run_end - shift, titled))
                if matches is not None and shift:
                    matches = [match.moved(shift) for match in matches]
            if matches is None:
                base = max(reach, 0)  # a folded copy of what the search may read
                matches = list(self._search_run(text, _fold(text[base:run_end]), base, run, lo, titled, None))
            by_run[(lo, run_start, run_end, titled)] = matches
            found.extend((index, match) for match in matches)
        return Scan(text, spans, found, by_run)

    def _scan(self, text, spans, sentence_start) -> Iterator[tuple[int, TermMatch]]:
        pattern = self._pattern
        if pattern is None or not spans:
            return
        runs = _runs(spans)
        if not runs:
            return
        folded = _fold(text[: runs[-1][1]])
        for run in runs:  # only prose is searched, never the blanks between
            lo, _, titled = spans[run[2]]
            for match in self._search_run(text, folded, 0, run, lo, titled, sentence_start):
                yield run[2], match

    def _search_run(self, text, folded, base, run, lo, titled, sentence_start) -> Iterator[TermMatch]:
        """The terms of one run of prose; `folded` is the folded text from offset `base` on."""
        search = self._pattern.search
        resolve = self._resolve
        pos, run_end, _ = run
        while (m := search(folded, pos - base, run_end - base)) is not None:
            found = resolve(text, folded, base, m, lo, run_end, sentence_start, titled)
            if found is None:
                pos = m.start() + base + 1
            else:
                pos = found.end
                yield found

    def _resolve(self, text, folded, base, m, lo, hi, sentence_start, heading) -> TermMatch | None:
        fp, fe = m.span()
        n = fe - m.start("suf") if m.start("suf") >= 0 else 0
        key = folded[fp : fe - n]
        if "\n" in key or "  " in key:
            key = _WS_RUN.sub(" ", key)
        p, e = fp + base, fe + base
        core = text[p : e - n]
        suffix = text[e - n : e]
        ies = auto = False
        form = self._pick(self._exact.get(key), core, suffix)
        if form is None:
            if key.endswith("ies"):
                form = self._pick(self._exact.get(key[:-3] + "y"), core, suffix, True)
                ies = form is not None
            if form is None:
                skel = term_skeleton(key)
                form = self._pick(self._skeleton.get(skel), core, suffix)
                if form is None and skel.endswith("ies"):
                    form = self._pick(self._skeleton.get(skel[:-3] + "y"), core, suffix, True)
                    ies = form is not None
                if form is None:
                    return None
                auto = True
        if not form.compound:  # hyphen joined to the term: part of a longer word
            if p > 0 and text[p - 1] in _HYPHEN_CHARS:
                return None
            if e + 1 < hi and text[e] in _HYPHEN_CHARS and (text[e + 1].isalnum() or text[e + 1] == "_"):
                return None
        elif p > 0 and text[p - 1] in _HYPHEN_CHARS and not (p > 1 and text[p - 2].isalnum()):
            return None
        mode = form.mode
        role = form.role
        if not auto and role != "variant" and mode in ("none", "exact", "initials"):
            if role != "alias":  # the common case: nothing to say
                written = intern(text[p:e])
                stem = intern(_stem(core, ies))
                return TermMatch(form.entry, p, e, written, _ROLE_KIND[role], form.form, written, stem=stem, target=stem)
        return self._judge(text, p, e, core, suffix, form, ies, auto, lo, sentence_start, heading)

    def _judge(self, text, p, e, core, suffix, form, ies, auto, lo, sentence_start, heading) -> TermMatch:
        entry = form.entry
        state: list[bool] = []

        def at_sentence_start() -> bool:
            if not state:
                state.append(sentence_start(p) if sentence_start else _sentence_start(text, p, lo))
            return state[0]

        titled = heading or _on_heading_line(text, p) or _in_bold(text, p)
        initial_capital = core[:1].isupper()
        named = False
        if auto or form.role == "variant":
            # An expansion or a singular spelt with a different gap keeps being itself.
            kind = "variant"
            target = form.form if form.role in ("expansion", "singular") else entry.term
            capital = initial_capital and (titled or at_sentence_start())
            if not entry.preserves_case:
                # The source's spelling says nothing about case: keep the writer's letters.
                target = _transfer_case(core[:-3] + "y" if ies else core, target)
            if auto and not titled and not entry.case_sensitive and entry.term == entry.term.lower():
                named = any(c.isupper() for c in (core[1:] if at_sentence_start() else core))
        else:
            kind = _ROLE_KIND[form.role]
            target = entry.term if kind == "alias" else form.form
            capital = initial_capital and not entry.case_sensitive and (titled or at_sentence_start())
            # What is written against the declared form (an -ies plural without its
            # ending against the form without its final y).
            written = _WS_RUN.sub(" ", core[:-3] if ies else core).translate(_CASE_FOLD_WS)
            expected = form.form[:-1] if ies else form.form
            if form.mode == "sensitive" and written != expected and not (titled and expected == expected.lower()):
                if not (written == expected[:1].upper() + expected[1:] and at_sentence_start()):
                    kind, target, capital = "case", form.form, initial_capital and at_sentence_start()
        stem = intern(_stem(core, ies))
        spelled = intern(text[p:e])
        if kind in ("canonical", "expansion"):
            return TermMatch(entry, p, e, spelled, kind, form.form, spelled, stem=stem, target=stem)
        if capital and target[:1].islower():
            target = target[0].upper() + target[1:]
        return TermMatch(entry, p, e, spelled, kind, form.form, _adapt(target, ies, suffix), auto, named, stem, target)

    @staticmethod
    def _pick(forms: list[_Form] | None, core: str, suffix: str, ies: bool = False) -> _Form | None:
        if not forms:
            return None
        for form in forms:
            if form.exact and (ies or core != form.form or suffix not in ("", "s", "'s", "\u2019s")):
                continue
            if form.mode == "initials" and (ies or sum(c.isupper() for c in core) < 2):
                continue
            return form
        return None


_LOOK_BEHIND = 8
"""Characters before a run's line that judging a match may read (hyphens, ``\\b``), with room to spare."""


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of `a` and `b` (by halving: slices compare in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common suffix of `a` and `b`, at most `limit`."""
    lo, hi = 0, max(limit, 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _runs(spans: Sequence[tuple[int, int, bool]]) -> list[tuple[int, int, int]]:
    """``(start, end, span index)`` runs of text, in order, each inside its innermost span."""
    if len(spans) == 1:
        start, end, _ = spans[0]
        return [(start, end, 0)] if start < end else []
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    if all(spans[i][1] <= spans[j][0] for i, j in zip(order, order[1:])):  # none inside another (most files)
        return [(spans[i][0], spans[i][1], i) for i in order if spans[i][0] < spans[i][1]]
    points = sorted({p for start, end, _ in spans for p in (start, end)})
    active: list[int] = []
    runs: list[tuple[int, int, int]] = []
    k = 0
    for a, b in zip(points, points[1:]):
        while k < len(order) and spans[order[k]][0] <= a:
            active.append(order[k])
            k += 1
        active = [i for i in active if spans[i][1] > a]
        if not active:
            continue
        inner = min(active, key=lambda i: spans[i][1] - spans[i][0])
        if runs and runs[-1][2] == inner and runs[-1][1] == a:
            runs[-1] = (runs[-1][0], b, inner)
        else:
            runs.append((a, b, inner))
    return runs


def _stem(core: str, ies: bool) -> str:
    """The spelling of `core` without an -ies plural, whitespace runs as one space."""
    stem = core.translate(_CASE_FOLD_WS)
    if "\n" in stem or "  " in stem:
        stem = _WS_RUN.sub(" ", stem)
    return stem[:-3] + "y" if ies else stem


def _adapt(target: str, ies: bool, suffix: str) -> str:
    """`target` with the plural or possessive ending of the text it replaces."""
    if ies:
        target = target[:-1] + "ies" if _CONSONANT_Y.search(target.lower()) else target + "s"
    if suffix.isalpha() and not target.isupper():
        suffix = suffix.lower()
    return target + suffix


def _transfer_case(written: str, target: str) -> str:
    """`target` with the letter case of `written` when both spell the same letters
    ("Image-Net", "imagenet" → "ImageNet"); else `target` unchanged."""
    letters = [c for c in written if c.isalnum()]
    if [c.lower() for c in letters] != [c.lower() for c in target if c.isalnum()]:
        return target
    it = iter(letters)
    return "".join(next(it) if c.isalnum() else c for c in target)


def _singular(term: str) -> str | None:
    """"ml systems" → "ml system": the singular of a plural multi-word term."""
    words = term.split(" ")
    last = words[-1]
    if len(words) < 2 or len(last) < 4 or not last.endswith("s") or last.isupper():
        return None
    if last.endswith(("ss", "us", "is", "ics", "'s", "\u2019s")):
        return None
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("ches", "shes", "xes", "sses")):
        last = last[:-2]
    else:
        last = last[:-1]
    return " ".join(words[:-1] + [last])


def _trie_regex(node: dict, below_a_leaf: bool = False) -> str:
    """The regular expression of a trie: literal children first, then a word gap, then
    the end of a form.  A form that may not stand in a hyphenated compound and that
    extends a shorter form ("memory wall" after "memory") refuses a following hyphen, so
    that "memory wall-bound" falls back to "memory"; elsewhere Python rejects it."""
    escape = _ESCAPE
    alternatives = []
    here = below_a_leaf or "" in node
    for ch in sorted(node):
        if ch == "" or ch == _GAP_MARK:
            continue
        run = [_SEP if ch == " " else escape[ch]]
        child = node[ch]
        while len(child) == 1 and "" not in child:  # a chain of single children
            (nxt, grandchild), = child.items()
            if nxt == _GAP_MARK:
                break
            run.append(_SEP if nxt == " " else escape[nxt])
            child = grandchild
        alternatives.append("".join(run) + _trie_regex(child, here))
    if _GAP_MARK in node:
        alternatives.append(_GAP + _trie_regex(node[_GAP_MARK], here))
    if "" in node:
        leaf = _NO_HYPHEN_AFTER if below_a_leaf and not node[""] else ""
        if not alternatives:
            return leaf
        body = "|".join(alternatives)
        return "(?:" + body + "|" + leaf + ")" if leaf else "(?:" + body + ")?"
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


class _EscapeTable(dict):
    def __missing__(self, ch: str) -> str:
        value = self[ch] = re.escape(ch)
        return value


_ESCAPE = _EscapeTable()


def _on_heading_line(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return _HEADING.match(text, line_start) is not None


def _in_bold(text: str, pos: int) -> bool:
    """Inside a ``**…**`` span of its line (MLSysBook's "**Memory Wall**: …" definitions)."""
    line_start = text.rfind("\n", 0, pos) + 1
    return text.count("**", line_start, pos) % 2 == 1


def _sentence_start(text: str, pos: int, lo: int) -> bool:
    """Whether a word at `pos` starts a sentence (see `TermMatcher.find`)."""
    i = pos
    while i > lo and text[i - 1] in _OPENERS:
        i -= 1
    if i <= lo:
        return True
    line_start = max(text.rfind("\n", lo, i) + 1, lo)
    prefix = text[line_start:i]
    if not prefix.strip(" \t"):
        if line_start <= lo:
            return True
        j = line_start - 2  # before the '\n'
        while j >= lo and text[j] in " \t\r":
            j -= 1
        if j < lo or text[j] == "\n":
            return True  # a blank line: a new paragraph
        return _ends_sentence(text, j, lo)
    if _MARKER.fullmatch(prefix):
        return True
    j = i - 1
    if text[j] not in " \t\u00a0":
        return False
    while j >= line_start and text[j] in " \t\u00a0":
        j -= 1
    return j < line_start or _ends_sentence(text, j, lo)


def _ends_sentence(text: str, j: int, lo: int) -> bool:
    while j >= lo and text[j] in _CLOSERS:
        j -= 1
    return j >= lo and text[j] in _ENDERS
