"""One embedded font subset per kind of certificate, built once: the glyphs of the text every certificate prints.

reportlab embeds in each document a TrueType subset of the glyphs it used; building it (`makeSubset`) and
compressing it were ~2 ms of every certificate, though most of the glyphs are the same each time (labels,
statement, header, footer, seal, digits). `SubsetCache.prime()` is called on a fresh document: it assigns the
characters of that constant text first, in a fixed order, so they fill subset 0, and starts the document's own
characters (names, places, amounts in words) in subset 1. Subset 0 is then the same font program for every
certificate of the same kind and center: built and compressed once per process, kept (at most _MAX of them).
Nothing drawn changes (the glyphs, positions and the text a reader extracts are the same; only which subset a
character's code lives in), see tests/certificates/test_pdf_render.py. Where reportlab's internal state is not
what this expects, nothing is primed or cached and the document is built exactly as reportlab does by default.
"""

from __future__ import annotations

import threading
import zlib

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import TTFont

_MAX = 16  # cached constant subsets (kind × which optional rows × center name: a handful per deployment)


class _CachedFlate:
    """reportlab's FlateDecode filter, remembering its output for the cached subsets' font programs."""

    pdfname = "FlateDecode"

    def __init__(self) -> None:
        self._out: dict[bytes, bytes] = {}

    def encode(self, data: bytes) -> bytes:
        out = self._out.get(data)  # the same bytes object each time: its hash is computed once
        if out is None:
            out = zlib.compress(data)
            if len(self._out) < _MAX:
                self._out[data] = out
        return out

    def decode(self, encoded: bytes) -> bytes:
        return zlib.decompress(encoded)


class SubsetCache:
    def __init__(self, font: TTFont):
        self.font = font
        self._lock = threading.Lock()
        self._programs: dict[tuple[int, ...], bytes | None] = {}  # subset 0 codes → its font program
        self._flate = _CachedFlate()
        face = font.face
        self._make_subset, self._add_subset_objects = face.makeSubset, face.addSubsetObjects
        face.makeSubset = self.make_subset  # type: ignore[method-assign]
        face.addSubsetObjects = self.add_subset_objects  # type: ignore[method-assign]

    def prime(self, doc, text: str) -> bool:
        """Give `text`'s characters subset 0 of `doc` (nothing drawn yet); True when subset 0 is a cached one."""
        states = getattr(self.font, "state", None)
        if states is None or doc in states:
            return False
        self.font.splitString(text, doc)
        state = states.get(doc)
        subsets, next_code = getattr(state, "subsets", None), getattr(state, "nextCode", None)
        if not isinstance(subsets, list) or len(subsets) != 1 or not isinstance(next_code, int) or next_code > 256:
            return False
        key = tuple(subsets[0])
        with self._lock:
            if key not in self._programs:
                if len(self._programs) >= _MAX:
                    return False
                self._programs[key] = None
        state.nextCode = 256  # the document's own characters start subset 1
        return True

    def make_subset(self, subset):
        key = tuple(subset)
        if key not in self._programs:
            return self._make_subset(subset)
        program = self._programs[key]
        if program is None:
            program = self._programs[key] = self._make_subset(subset)
        return program

    def add_subset_objects(self, doc, fontname, subset):
        ref = self._add_subset_objects(doc, fontname, subset)
        if tuple(subset) in self._programs:
            stream = doc.idToObject.get(f"fontFile:{self.font.face.filename}({fontname})")
            if stream is not None and stream.filters == [pdfdoc.PDFZCompress]:
                stream.filters = [self._flate]
        return ref
