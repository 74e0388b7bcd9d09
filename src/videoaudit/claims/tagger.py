"""Part of speech and lemmas for a blank spaCy pipeline, from dictionaries plus context.

Why not a trained tagger: no English pipeline is published on PyPI by its authors, and the
re-uploads there are of unknown provenance. So: function words take their tag from
``lexicon.CLOSED_CLASS`` (a dict look-up: spaCy's ``attribute_ruler`` did the same with Matcher
patterns at a third of the pipeline's speed); lemminflect's dictionary and spaCy's lookup tables
(spacy-lookups-data) give every other word its possible parts of speech, lemmas and inflected
forms; and the ``va_tagger`` component below picks one reading per word from its neighbours
(after a determiner a word is a noun; after a subject, a 3rd-person or past form is a verb; at
the start of an instruction a base form is a verb). Annotation and caption text is simple,
present-tense, descriptive English, which is what these rules assume.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Token

from . import lexicon

OPEN = ("NOUN", "VERB", "ADJ", "ADV")
#: Doc.user_data key: "imperative" when the text is an instruction ("Crack two eggs").
MODE_KEY = "va_mode"


@dataclass(frozen=True)
class Reading:
    """What the dictionary says one word form can be."""

    cands: tuple[str, ...]  # possible UPOS, in OPEN order
    lemmas: dict  # UPOS -> lemma
    verb_forms: frozenset[str]  # Penn tags of its verb readings: VB, VBZ, VBG, VBD, VBN
    plural: bool  # its noun reading is plural
    known: bool  # found in a dictionary (an unknown capitalised word is a name)


@functools.lru_cache(maxsize=1)
def _spacy_tables() -> dict:
    """spaCy's English rule-lemmatizer data (WordNet lemma lists per part of speech, exceptions,
    suffix rules), from spacy-lookups-data: the second dictionary beside lemminflect's."""
    from spacy.lookups import load_lookups

    lk = load_lookups("en", ["lemma_index", "lemma_exc", "lemma_rules"])
    pos_names = ("noun", "verb", "adj", "adv")  # spaCy's Table hashes its keys: ask by name
    idx, exc, rules = (lk.get_table(n) for n in ("lemma_index", "lemma_exc", "lemma_rules"))
    return {"index": {p: frozenset(idx[p]) for p in pos_names}, "exc": {p: exc[p] for p in pos_names},
            "rules": {p: rules[p] for p in pos_names}}


def _spacy_lemma(word: str, pos: str) -> str | None:
    """spaCy's rule lemmatizer for one part of speech: the lemma if the word can be one, else None."""
    t = _spacy_tables()
    key = pos.lower()
    index = t["index"].get(key, frozenset())
    exc = t["exc"].get(key, {}).get(word)
    if exc:
        return exc[0]
    if word in index:
        return word
    for old, new in t["rules"].get(key, []):
        if word.endswith(old):
            form = word[: len(word) - len(old)] + new
            if form and form in index:
                return form
    return None


@functools.lru_cache(maxsize=65536)
def reading(word: str) -> Reading:
    """The readings of a lower-cased word (lemminflect's and spaCy's dictionaries together);
    a hyphenated word reads as its last part."""
    import lemminflect

    prefix, _, last = word.rpartition("-") if "-" in word.strip("-") else ("", "", word)
    lem = {p: v[0] for p, v in lemminflect.getAllLemmas(last).items()}
    for pos in OPEN:
        if pos not in lem:
            sp = _spacy_lemma(last, pos)
            if sp is not None:
                lem[pos] = sp
    if not lem:
        guess = lemminflect.getLemma(last, upos="NOUN", lemmatize_oov=True)
        base = guess[0] if guess else last
        return Reading(("NOUN",), {"NOUN": _join(prefix, base)}, frozenset(), base != last, False)
    cands = tuple(p for p in OPEN if p in lem)
    forms = set()
    if "VERB" in lem:
        v = lem["VERB"]
        if last == v:
            forms.add("VB")
        for tag in ("VBZ", "VBG", "VBD", "VBN"):
            if last in (lemminflect.getInflection(v, tag=tag) or ()):
                forms.add(tag)
    plural = "NOUN" in lem and lem["NOUN"] != last
    return Reading(cands, {p: _join(prefix, lem[p]) for p in cands}, frozenset(forms), plural, True)


def _join(prefix: str, lemma: str) -> str:
    return f"{prefix}-{lemma}" if prefix else lemma


_SUBJECT_POS = {"NOUN", "PROPN", "PRON"}
_OBJECT_START = {"DET", "PRON", "NUM", "ADP", "ADV"}
_MODIFIER_WORDS = lexicon.COLOURS | lexicon.MATERIALS | frozenset(lexicon.SIZES)
_VERB_LEAD = {"then", "and", "also", "to", "first", "finally", "next", "again", "or", "while", "repeatedly",
              "carefully", "slowly", "quickly", "gently", "briefly", "who", "that", "which"}


@Language.component("va_tagger")
def tag(doc: Doc) -> Doc:
    """Give every word one part of speech and its lemma, left to right."""
    imperative = doc.user_data.get(MODE_KEY) == "imperative"
    closed = lexicon.CLOSED_CLASS
    toks = list(doc)
    for i, tok in enumerate(toks):
        low = tok.lower_
        if low in closed:
            tok.pos_, tok.lemma_ = closed[low], low
            continue
        fixed = _form_class(low)
        if fixed:
            tok.pos_, tok.lemma_ = fixed, low
        elif low == "'s":
            after_pron = i > 0 and toks[i - 1].pos_ == "PRON"
            tok.pos_, tok.lemma_ = ("AUX", "be") if after_pron else ("PART", "'s")
        else:
            _tag_open(toks, i, tok, imperative)
    return doc


@functools.lru_cache(maxsize=65536)
def _form_class(low: str) -> str:
    """SPACE / PUNCT / NUM when the word's characters alone say so, else ''."""
    if low.isspace():
        return "SPACE"
    if not any(c.isalnum() for c in low):
        return "PUNCT"
    if low in lexicon.NUMBER_WORDS and low not in ("pair", "couple", "both"):
        return "NUM"
    digits = low.replace(".", "", 1).replace(",", "")
    return "NUM" if digits.isdigit() else ""


def _tag_open(toks: list[Token], i: int, tok: Token, imperative: bool) -> None:
    r = reading(tok.lower_)
    pos = _choose(toks, i, tok, r, imperative)
    if pos == "PROPN":
        tok.pos_, tok.lemma_ = "PROPN", tok.lower_
        return
    tok.pos_ = pos
    tok.lemma_ = r.lemmas.get(pos) or r.lemmas.get("NOUN") or next(iter(r.lemmas.values()), tok.lower_)


def _choose(toks: list[Token], i: int, tok: Token, r: Reading, imperative: bool) -> str:
    """One reading from the neighbours (the rules the module docstring names)."""
    prev = toks[i - 1] if i > 0 and not tok.is_sent_start else None
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if not r.known and tok.text[:1].isupper():
        return "PROPN"  # an unknown capitalised word: a name, a brand, a title
    if len(r.cands) == 1:
        return _single(r, nxt)
    c = set(r.cands)
    f = r.verb_forms
    if prev is None or prev.pos_ == "PUNCT" and prev.text in (":", ";", "(", "“", '"'):
        if "VERB" in c and "VB" in f and (imperative or _starts_object(nxt)):
            return "VERB"
        return "NOUN" if "NOUN" in c else r.cands[0]
    pp = prev.pos_
    if pp in ("DET", "NUM", "ADJ") or prev.lower_ in _MODIFIER_WORDS or (pp == "PART" and prev.lower_ == "'s"):
        if "NOUN" in c:  # a noun, or a noun modifying the next one: both belong in the phrase
            return "NOUN"
        return "ADJ" if "ADJ" in c else r.cands[0]
    if "VERB" in c:
        if pp == "ADP" and "VBG" in f:
            return "VERB"  # "after rinsing it"
        if pp == "AUX" and f & {"VBG", "VBN", "VBD"}:
            return "VERB"
        if pp == "PART" and prev.lower_ == "to" and "VB" in f and not (nxt is None or nxt.is_punct):
            return "VERB"
        if pp in _SUBJECT_POS and (f & {"VBZ", "VBD", "VBG"} or ("VB" in f and _plural_subject(prev))):
            if not (nxt is not None and _hint(nxt) == "AUX"):
                return "VERB"
        if (prev.lower_ in _VERB_LEAD or prev.text == ",") and f & {"VB", "VBZ", "VBD", "VBG"}:
            if _starts_object(nxt) or prev.lower_ in ("then", "to", "who", "that", "which"):
                return "VERB"
            if f & _last_verb_forms(toks, i) & {"VBZ", "VBD", "VBG"} and not (nxt is None or nxt.is_punct):
                return "VERB"  # a list of actions in one tense: "runs, jumps and rolls over"
    if "NOUN" in c:
        return "NOUN"
    return "ADJ" if "ADJ" in c else r.cands[0]


def _last_verb_forms(toks: list[Token], i: int) -> frozenset[str]:
    """The inflected forms of the sentence's last verb before token ``i``."""
    for j in range(i - 1, -1, -1):
        if toks[j].pos_ == "VERB":
            return reading(toks[j].lower_).verb_forms
        if toks[j].is_sent_start:
            break
    return frozenset()


def _single(r: Reading, nxt: Token | None) -> str:
    pos = r.cands[0]
    if pos == "VERB" and r.verb_forms & {"VBN", "VBD", "VBG"} and _nounish(nxt) and not _starts_object(nxt):
        return "ADJ"  # "a chopped onion", "a bird-shaped cup"
    return pos


def _hint(tok: Token) -> str:
    """The part of speech of a word not tagged yet, where its form alone says it ('' if open)."""
    if tok.pos_:
        return tok.pos_
    low = tok.lower_
    if low in lexicon.CLOSED_CLASS:
        return lexicon.CLOSED_CLASS[low]
    if tok.is_punct:
        return "PUNCT"
    return "NUM" if tok.like_num else ""


def _nounish(tok: Token | None) -> bool:
    """The next word can be a noun (so this one may modify it)."""
    if tok is None:
        return False
    h = _hint(tok)
    if h:
        return h in ("NOUN", "PROPN")
    return tok.text[:1].isupper() or "NOUN" in reading(tok.lower_).cands


def _starts_object(tok: Token | None) -> bool:
    """The next word opens what a verb acts on: a determiner, pronoun, number, preposition, adverb."""
    return tok is not None and _hint(tok) in _OBJECT_START


def _plural_subject(tok: Token) -> bool:
    if tok.pos_ == "PRON":
        return tok.lower_ in ("they", "we", "you", "i", "who", "which", "that")
    return reading(tok.lower_).plural
