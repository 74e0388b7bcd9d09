"""The spaCy pipeline the claims are read with: blank English, rule-based, offline.

``pipeline()`` builds it once per process: spaCy's English tokenizer (hyphenated words kept whole,
so "T-shirt" and "stainless-steel" stay one word), the rule-based ``sentencizer`` and the
dictionary tagger of ``tagger.py``. Nothing is
downloaded: lemminflect ships its dictionary inside its wheel.
"""

from __future__ import annotations

import functools

#: One-to-one character replacements, so character offsets into the normalised text are offsets
#: into the original one (spans quote the annotation's own characters).
_NORMALISE = str.maketrans({
    "\u2011": "-", "\u2010": "-", "\u2012": "-", "\u00ad": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"',
    "\u201d": '"', "\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u2007": " ",
})


def normalise(text: str) -> str:
    """Same length as ``text``: typographic hyphens, quotes and spaces made plain."""
    return text.translate(_NORMALISE)


@functools.lru_cache(maxsize=1)
def pipeline():
    """The shared pipeline (tokenizer, sentencizer, va_tagger)."""
    import spacy
    from spacy.lang.char_classes import ALPHA, HYPHENS
    from spacy.util import compile_infix_regex

    from . import tagger  # noqa: F401  (registers the va_tagger component)

    nlp = spacy.blank("en")
    hyphen_rule = r"(?<=[{a}0-9])(?:{h})(?=[{a}])".format(a=ALPHA, h=HYPHENS)
    infixes = [p for p in nlp.Defaults.infixes if p != hyphen_rule]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("va_tagger")
    return nlp
