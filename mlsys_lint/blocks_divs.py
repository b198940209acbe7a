"""Fenced divs, the floats they make, and image figures: part of the block scanner (blocks.py)."""

from __future__ import annotations

import re

from mlsys_lint.attributes import Attributes, find_attribute_end, parse_attributes
from mlsys_lint.block_syntax import Block, Frame, attribute_text, condition_clauses
from mlsys_lint.elements import CROSSREF_TYPES, Callout, Condition, Float, Text


class DivBlocks:
    """Mixed into `BlockScanner`, which holds the state: ``:::`` divs (conditional content, float
    divs with their captions, alt text and subfloats) and images that stand alone as figures."""

    # -- divs ------------------------------------------------------------------

    def div_fence(self, index: int, div: re.Match) -> int:
        rest = div.group("rest")
        start = self.starts[index]
        if not rest or set(rest) == {":"}:
            if not self.frames:  # a closing fence with no div open is text to Pandoc
                self.start_paragraph(index, "para")
                return self.paragraph_line(index, self.lines[index])
            self.close_div(self.line_end(index))
            self.prev_blank = False
            return index + 1
        last = index
        attrs = Attributes()
        if rest.startswith("{"):
            brace = start + div.start("rest")
            close = find_attribute_end(self.text, brace, len(self.text))
            if close != -1:
                attrs = parse_attributes(self.text, brace + 1, close)
                last = self.source.line_of(close) - 1
            if close == -1 or not attrs.valid:  # Pandoc: no div without valid attributes, only text
                self.start_paragraph(index, "para")
                return self.paragraph_line(index, self.lines[index])
        else:
            attrs.classes.append(re.split(r"[ \t]", rest, maxsplit=1)[0])
        frame = Frame(attrs, start, self.line_end(last), index + 1, self.condition.nest(condition_clauses(attrs)),
                       refs_first=len(self.doc.references), floats_first=len(self.doc.floats))
        self.add_block(Block("div", start, self.line_end(last)))
        frame.block = self.block_index  # the div's own block: a float counts from where it opens
        frame.callout = self._callout(attrs, start, frame.condition)
        self.frames.append(frame)
        self._div_attribute_text(frame)
        self.prev_blank = True
        return last + 1

    def _callout(self, attrs: Attributes, start: int, condition: Condition) -> Callout | None:
        """A callout opening here (quarto-cli ``is_callout``: a ``callout`` or ``callout-*`` class)."""
        kind = next((c for c in attrs.classes if c == "callout" or c.startswith("callout-")), None)
        if kind is None:
            return None
        callout = Callout(kind.partition("-")[2] or "note", start, start, self.source, condition=condition)
        if attrs.values.get("title", "").strip():
            vstart, vend = attrs.value_spans["title"]
            callout.title, callout.title_from = Text(attrs.values["title"], vstart, vend, self.source), "attribute"
            notes = len(self.doc.footnote_refs)
            self.scanner.scan(vstart, vend, context="heading", block=self.block_index, condition=condition)
            del self.doc.footnote_refs[notes:]  # Quarto reads the title alone, without the definitions: text
        self.doc.callouts.append(callout)
        return callout

    def _div_attribute_text(self, frame: Frame) -> None:
        attrs = frame.attrs
        if not attrs.id:
            return
        prefix = attrs.id.split("-", 1)[0].lower() if "-" in attrs.id else ""
        if prefix and prefix not in CROSSREF_TYPES - {"fig", "tbl", "lst"}:
            frame.float_type = prefix
        keys = [k for k in attrs.value_spans if k.endswith("-cap") or k.endswith("-alt") or k == "alt"]
        for key in keys:
            vstart, vend = attrs.value_spans[key]
            self.doc.add_prose(vstart, vend, "alt" if key.endswith("alt") else "caption", self.block_index)
            if key == f"{prefix}-cap":  # Quarto reads only the div's own type's caption as Markdown
                result = self.scanner.scan(vstart, vend, context="caption", block=self.block_index,
                                           condition=frame.condition)
                for ref in self.doc.references[result.references[0] : result.references[1]]:
                    ref.in_caption_of = attrs.id

    def close_div(self, end: int) -> None:
        frame = self.frames.pop()
        if frame.callout is not None:
            frame.callout.end = end
        block_index = self.block_index
        attrs = frame.attrs
        if attrs.id and frame.float_type is None:
            self.doc.add_label(attrs.id, "div", attrs.id_start, attrs.id_end, frame.condition, block=block_index)
        if frame.float_type is not None:
            self.float_div(frame, end)
        if attrs.id:
            for ref in self.doc.references[frame.refs_first :]:
                if ref.inside_float is None:
                    ref.inside_float = attrs.id
        if self.frames:
            self.last_block = self.frames[-1].children[-1] if self.frames[-1].children else None
        else:
            self.last_block = Block("div", frame.start, end)

    def float_div(self, frame: Frame, end: int) -> None:
        attrs = frame.attrs
        kind = frame.float_type
        children = [c for c in frame.children if c.kind not in ("caption",)]
        float_ = Float(kind, "div", attrs.id, frame.start, end, self.source, classes=tuple(attrs.classes),
                       attributes=dict(attrs.values), condition=frame.condition, block=frame.block)
        cap_key = f"{kind}-cap"
        if cap_key in attrs.values:
            vstart, vend = attrs.value_spans[cap_key]
            attribute_caption = Text(attrs.values[cap_key], vstart, vend, self.source)
        else:
            attribute_caption = None
        last = children[-1] if children else None
        if last is not None and len(children) > 1 and last.kind == "para":
            float_.caption = Text(self.text[last.start : last.end].strip(), last.start, last.end, self.source)
            float_.caption_attribute = attribute_caption
            for ref in self.doc.references[last.references[0] : last.references[1]]:
                ref.in_caption_of = attrs.id
                if ref.context == "prose":
                    ref.context = "caption"
            for prose in reversed(self.doc.prose):  # the paragraph was read as prose before the div closed
                if prose.start == last.start and prose.kind == "paragraph":
                    prose.kind = "caption"
                    break
        elif attribute_caption is not None:
            float_.caption = attribute_caption
        else:  # Quarto's last resort: the caption of a table inside the div
            float_.caption = next((f.caption for f in self.doc.floats[frame.floats_first :]
                                   if f.type == "tbl" and f.form in ("table", "cell") and f.caption is not None
                                   and f.caption.value), None)
        float_.alt = attribute_text(attrs, (f"{kind}-alt", "alt"), self.source)
        float_.index = len(self.doc.floats)
        self.doc.floats.append(float_)
        for child in self.doc.floats[frame.floats_first : float_.index]:
            if child.parent is None:
                child.parent = float_.index
                float_.subfloats.append(child.index)
        caption_paragraph = last is not None and len(children) > 1 and last.kind == "para"
        content = children[:-1] if caption_paragraph else children
        images = [c for c in content if c.kind == "figure"]
        if len(content) == 1 and images and float_.alt is None:
            image_float = self._float_at(images[0].start)
            if image_float is not None and image_float.label is None and image_float.alt is not None:
                float_.alt = image_float.alt
            elif image_float is not None and image_float.label is None and image_float.caption and image_float.caption.value:
                float_.alt = image_float.caption  # inside a div the image's bracket text is its alt, not a caption
        if float_.alt is None:
            for child in float_.subfloats:
                if self.doc.floats[child].label is None and self.doc.floats[child].alt is not None and len(content) == 1:
                    float_.alt = self.doc.floats[child].alt
        float_.images = [f.alt or f.caption for f in (self._float_at(i.start) for i in images) if f is not None
                         and (f.alt or f.caption) is not None]
        self.doc.add_label(attrs.id, "div", attrs.id_start, attrs.id_end, frame.condition, float_.index,
                           block=self.block_index)

    def _float_at(self, start: int) -> Float | None:
        for candidate in reversed(self.doc.floats):
            if candidate.start == start:
                return candidate
        return None

    # -- image figures --------------------------------------------------------------

    def image_figure(self, image, block: Block) -> None:
        attrs = image.attrs or Attributes()
        label = attrs.id if attrs.id and "-" in attrs.id else None
        kind = label.split("-", 1)[0].lower() if label else "fig"
        if kind in CROSSREF_TYPES - {"fig", "tbl", "lst"}:
            kind = "fig"
        caption_text = self.text[image.alt_start : image.alt_end]
        figure = Float(kind, "image", label, image.start, image.end, self.source,
                       caption=Text(caption_text.strip(), image.alt_start, image.alt_end, self.source),
                       classes=tuple(attrs.classes), attributes=dict(attrs.values), condition=self.condition,
                       block=self.block_index)
        figure.alt = attribute_text(attrs, ("fig-alt", "alt"), self.source)
        figure.index = len(self.doc.floats)
        if image.picture is not None:
            image.picture.figure = bool(label or caption_text.strip())
        self.doc.floats.append(figure)
        for ref in self.doc.references[image.references[0] : image.references[1]]:
            ref.in_caption_of = label
        if label:
            self.doc.add_label(label, "image", attrs.id_start, attrs.id_end, self.condition, figure.index,
                               block=self.block_index)
        elif attrs.id:
            self.doc.add_label(attrs.id, "image", attrs.id_start, attrs.id_end, self.condition, figure.index)
