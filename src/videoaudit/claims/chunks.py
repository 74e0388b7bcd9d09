"""Noun phrases of a tagged Doc (a pattern over the parts of speech) and what they say.

A blank pipeline has no parser, so ``doc.noun_chunks`` is unavailable; base noun phrases are
(determiners, numbers) + (adjectives, nouns) + a noun, one regular expression over the tags. Two
refinements follow: "the cook's hand" is one phrase whose possessor is "the cook", and "a pair
of hands" / "a piece of butter" are about the noun after "of".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from . import lexicon

_MODS = ("ADJ", "NOUN", "PROPN", "NUM")


@dataclass
class Chunk:
    span: Span  # the words, possessor and "of" complement included
    head: Token
    mods: list[Token]  # adjectives / nouns / numbers before the head
    possessor: "Chunk | None" = None
    partitive: Token | None = None  # "pair" in "a pair of hands"
    tokens: list[Token] = field(default_factory=list)  # determiners + mods + head

    @property
    def lemma(self) -> str:
        """The head's lemma; a name ("The Town Mag") is all its capitalised words."""
        if self.head.pos_ == "PROPN":
            words = []
            for t in reversed(self.tokens):
                if t.pos_ != "PROPN":
                    break
                words.append(t.lower_)
            return " ".join(reversed(words))
        return self.head.lemma_.lower()

    @property
    def start(self) -> int:
        return self.span.start

    @property
    def end(self) -> int:
        return self.span.end


_CODE = {"DET": "D", "NUM": "N", "ADJ": "A", "NOUN": "n", "PROPN": "p"}
#: (determiners, numbers) + (adjectives, nouns, numbers, "black and white") + a noun, over one
#: character per token. A regular expression over the tags, because spaCy's Matcher with the same
#: pattern ("*" operators) took as long as the rest of the pipeline together.
_NP = re.compile(r"[DN]*(?:c&c|[ANnpc])*[np]")


def _codes(sent: Span) -> str:
    out = []
    for t in sent:
        low = t.lower_
        if low in lexicon.COLOURS and t.pos_ in ("ADJ", "NOUN"):
            out.append("c")
        elif low in ("and", "or"):
            out.append("&")
        else:
            out.append(_CODE.get(t.pos_, "x"))
    return "".join(out)


def noun_chunks(doc: Doc) -> list[Chunk]:
    """Base noun phrases in text order (never across sentences), possessives and partitives folded in."""
    chunks = []
    for sent in doc.sents:
        for m in _NP.finditer(_codes(sent)):
            chunks.append(_chunk(doc[sent.start + m.start(): sent.start + m.end()]))
    return _fold_partitives(doc, _fold_possessives(doc, chunks))


def _chunk(span: Span) -> Chunk:
    toks = list(span)
    head = toks[-1]
    mods = [t for t in toks[:-1] if t.pos_ in _MODS]
    return Chunk(span=span, head=head, mods=mods, tokens=toks)


def _fold_possessives(doc: Doc, chunks: list[Chunk]) -> list[Chunk]:
    out: list[Chunk] = []
    for c in chunks:
        prev = out[-1] if out else None
        if prev is not None and prev.end + 1 == c.start and doc[prev.end].lower_ == "'s":
            c.possessor = prev
            c.span = doc[prev.start: c.end]
            out[-1] = c
        else:
            out.append(c)
    return out


def _fold_partitives(doc: Doc, chunks: list[Chunk]) -> list[Chunk]:
    out: list[Chunk] = []
    for c in chunks:
        prev = out[-1] if out else None
        if (prev is not None and prev.head.lemma_ in lexicon.PARTITIVES and prev.end + 1 == c.start
                and doc[prev.end].lower_ == "of" and prev.possessor is None):
            c.partitive = prev.head
            c.mods = [m for m in prev.mods if m.pos_ == "NUM"] + c.mods
            c.span = doc[prev.start: c.end]
            out[-1] = c
        else:
            out.append(c)
    return out


# --------------------------------------------------------------------------- what a phrase says


def count_of(chunk: Chunk) -> int | None:
    """An explicit number ("two eggs", "3 cups", "a pair of gloves"); None when none is said."""
    for t in chunk.mods:
        if t.pos_ == "NUM":
            n = number_value(t.lower_)
            if n is not None:
                return n
    if chunk.partitive is not None:
        return lexicon.NUMBER_WORDS.get(chunk.partitive.lower_)
    return None


def number_value(word: str) -> int | None:
    if word in lexicon.NUMBER_WORDS:
        return lexicon.NUMBER_WORDS[word]
    if word.isdigit() and 0 < int(word) <= 100:
        return int(word)
    return None


def colours_of(chunk: Chunk) -> tuple[str, ...]:
    out = []
    for t in chunk.mods:
        w = t.lower_
        last = w.rpartition("-")[2]
        if w in lexicon.COLOURS:
            out.append(_colour_name(w))
        elif last in lexicon.COLOURS and (w.rpartition("-")[0] in lexicon.COLOUR_SHADES | lexicon.COLOURS):
            out.append(_colour_name(last))
    return tuple(dict.fromkeys(out))


def _colour_name(w: str) -> str:
    return {"gray": "grey", "blond": "blonde", "colorless": "colourless"}.get(w, w)


def material_of(chunk: Chunk) -> str | None:
    for t in chunk.mods:
        if t.lower_ in lexicon.MATERIALS:
            return t.lower_
    return None


def size_of(chunk: Chunk) -> str | None:
    for t in chunk.mods:
        if t.lower_ in lexicon.SIZES:
            return lexicon.SIZES[t.lower_]
    return None


def person_of(chunk: Chunk) -> tuple[str, str | None, str | None] | None:
    """(who, gender, age) if the phrase names a person (or a person's hand), else None."""
    head = chunk.head.lemma_.lower() if chunk.head.pos_ != "PROPN" else chunk.head.lower_
    ga = lexicon.person_gender_age(head) or lexicon.person_gender_age(chunk.head.lower_)
    who = head
    if ga is None and head in lexicon.BODY_PARTS:
        owner = person_of(chunk.possessor) if chunk.possessor is not None else None
        if owner:
            return owner
        det = next((t.lower_ for t in chunk.tokens if t.lower_ in ("his", "her")), None)
        return (head, lexicon.GENDER_WORDS[det], None) if det else None
    if ga is None:
        return None
    gender, age = ga
    for t in chunk.mods:
        w = t.lower_
        mod_person = lexicon.person_gender_age(t.lemma_.lower())  # "a woman presenter"
        if mod_person is not None:
            gender, age = gender or mod_person[0], age or mod_person[1]
        gender = gender or lexicon.GENDER_WORDS.get(w)
        age = lexicon.AGE_WORDS.get(w, age) if w in lexicon.AGE_WORDS else age
    return who, gender, age


def actor_number(chunk: Chunk) -> str:
    """"2" for an explicit number, "several" for a plural or a group, else "1"."""
    n = count_of(chunk)
    if n is not None:
        return str(n)
    head = chunk.head.lemma_.lower()
    if head in lexicon.COLLECTIVE_PERSONS or chunk.head.lower_ != head:
        return "several"
    return "1"
