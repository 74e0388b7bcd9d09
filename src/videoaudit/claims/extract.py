"""Annotation text -> atomic claims (actor, action, object, attribute, place, order).

Texts go through spaCy's ``nlp.pipe`` in batches; each Doc is then read for its noun phrases
(``chunks.py``), its verbs and the words that order them. Every claim keeps the exact characters
it was read from (``Claim.span``), so a reason can quote the annotation.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from spacy.tokens import Doc, Token

from . import lexicon
from .chunks import Chunk, actor_number, colours_of, count_of, material_of, noun_chunks, person_of, size_of
from .model import Claim
from .nlp import normalise, pipeline
from .tagger import MODE_KEY

#: The annotation fields (schema.GPT_FIELDS names).
FIELDS: tuple[str, ...] = ("summary_brief", "summary_detailed", "action_brief", "action_detailed", "actor")
#: Texts usually written as instructions ("Crack two eggs"): a first base-form word is a verb.
IMPERATIVE_FIELDS = frozenset({"action_brief", "action_detailed", "plm_action", "transcript"})
_ACTOR_LINKS = frozenset("in with wearing holding dressed".split())


#: Texts read in this process, by (text, field): the fit's faulted copy and re-runs read the same
#: texts again. Claims are frozen, so sharing them is safe; bounded, oldest dropped first.
_READ: dict[tuple[str, str], list[Claim]] = {}
READ_CACHE_SIZE = 200_000
#: Characters of a text that are read: a long caption is about 1,100; beyond this a text is degenerate
#: (the quality signals say so) and reading it whole would only cost memory (spaCy refuses 1 MB).
MAX_CHARS = 4_000


def extract_claims(texts: Sequence[str | None], field: str, batch_size: int = 256) -> list[list[Claim]]:
    """Claims of each text, read as ``field`` (an annotation field or a source kind).

    A missing, empty or "N/A" text has no claims. Runs spaCy's ``nlp.pipe`` over the texts not
    read before in this process.
    """
    out: list[list[Claim]] = [[] for _ in texts]
    keep = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip() and t.strip().upper() != "N/A"]
    todo = []
    for i in keep:
        hit = _READ.get((texts[i], field))
        if hit is None:
            todo.append(i)
        else:
            out[i] = list(hit)
    for i, claims in zip(todo, _extract([texts[i] for i in todo], field, batch_size)):
        out[i] = claims
        if len(_READ) >= READ_CACHE_SIZE:
            del _READ[next(iter(_READ))]
        _READ[(texts[i], field)] = list(claims)
    return out


def _extract(texts: list[str], field: str, batch_size: int) -> list[list[Claim]]:
    if not texts:
        return []
    nlp = pipeline()
    out: list[list[Claim]] = [[] for _ in texts]
    keep = range(len(texts))
    mode = "imperative" if field in IMPERATIVE_FIELDS else "descriptive"

    def docs() -> Iterable[Doc]:
        for i in keep:
            doc = nlp.make_doc(normalise(texts[i][:MAX_CHARS]))  # offsets stay those of the text
            doc.user_data[MODE_KEY] = mode
            yield doc

    for i, doc in zip(keep, nlp.pipe(docs(), batch_size=batch_size)):
        out[i] = claims_of_doc(doc, texts[i], field)
    return out


def claims_of_doc(doc: Doc, text: str, field: str) -> list[Claim]:
    """Every claim one tagged Doc makes, repeats dropped (the first wording is kept)."""
    chunks = noun_chunks(doc)
    reader = _Reader(doc, text, field, chunks)
    found = [*reader.actors(), *reader.actions(), *reader.objects(), *reader.orders()]
    seen, out = set(), []
    for c in found:
        k = c.key()
        if k not in seen:
            seen.add(k)
            out.append(c)
    return out


class _Reader:
    """Reads one Doc: shared look-ups (which chunk starts where) for the slot readers."""

    def __init__(self, doc: Doc, text: str, field: str, chunks: list[Chunk]):
        self.doc, self.text, self.field, self.chunks = doc, text, field, chunks
        self.toks = list(doc)  # Token objects are built on every doc[i]: build them once
        self.sent_of: list[tuple[int, int]] = []
        for sent in doc.sents:
            self.sent_of += [(sent.start_char, sent.end_char)] * len(sent)
        self.chunk_at = {c.start: c for c in chunks}
        self.persons: dict[int, tuple] = {}
        for c in chunks:
            p = person_of(c)
            if p is not None:
                self.persons[c.start] = p
        self.appositives: set[int] = set()
        self.verb_claims: list[tuple[Token, Claim]] = []

    def claim(self, slot: str, first: int, last: int, **values) -> Claim:
        """A claim quoting tokens ``first``..``last - 1`` in the original characters."""
        a = self.toks[first].idx
        end_tok = self.toks[last - 1]
        b = end_tok.idx + len(end_tok.text)
        s0, s1 = self.sent_of[first]
        return Claim(field=self.field, slot=slot, span=self.text[a:b], start=a, end=b,
                     sentence=self.text[s0:s1].strip(), **values)

    # ------------------------------------------------------------------ actor
    def actors(self) -> list[Claim]:
        if self.field == "actor":
            return self._actor_field()
        out = []
        for c in self.chunks:
            if c.start in self.persons and c.start not in self.appositives:
                out.append(self._actor_claim(c, *self.persons[c.start]))
        out += self._pronouns()
        return out

    def _actor_field(self) -> list[Claim]:
        """The actor field names one actor: its first phrase, whatever it is ("Two dogs")."""
        if not self.chunks:
            return []
        first = self.chunks[0]
        who, gender, age = self.persons.get(first.start) or (first.lemma, None, None)
        for c in self.chunks[1:]:  # "the presenter (a man demonstrating ...)": the gender said later
            if c.start in self.persons:
                _, g, a = self.persons[c.start]
                gender, age = gender or g, age or a
        return [self._actor_claim(first, who, gender, age)]

    def _actor_claim(self, c: Chunk, who, gender, age) -> Claim:
        end = c.end
        nxt = self.toks[end] if end < len(self.toks) else None
        if nxt is not None and nxt.lower_ in _ACTOR_LINKS and end + 1 in self.chunk_at:
            end = self.chunk_at[end + 1].end  # "a woman in a blue T-shirt"
        self._mark_appositive(c)
        return self.claim("actor", c.start, end, head=who, gender=gender, age=age, number=actor_number(c))

    def _mark_appositive(self, c: Chunk) -> None:
        """'the presenter, a man in grey': the second phrase is the same person, not another actor."""
        j = c.end
        if j + 1 < len(self.toks) and self.toks[j].text in (",", "(") and j + 1 in self.persons:
            self.appositives.add(j + 1)

    def _pronouns(self) -> list[Claim]:
        out = []
        for t in self.toks:
            if t.pos_ == "PRON" and t.lower_ in ("he", "she"):
                out.append(self.claim("actor", t.i, t.i + 1, head=None,
                                      gender=lexicon.GENDER_WORDS[t.lower_], number="1"))
        return out

    # ------------------------------------------------------------------ action
    def actions(self) -> list[Claim]:
        out = []
        for t in self.toks:
            if t.pos_ != "VERB":
                continue
            c = self._action(t)
            if c is not None:
                self.verb_claims.append((t, c))
                out.append(c)
        return out

    def _action(self, verb: Token) -> Claim | None:
        doc = self.toks
        lemma = verb.lemma_.lower()
        j = verb.i + 1
        if j + 1 < len(doc) and doc[j].pos_ == "PRON" and f"{lemma} {doc[j + 1].lower_}" in lexicon.PHRASAL_VERBS:
            return self.claim("action", verb.i, j + 2, verb=f"{lemma} {doc[j + 1].lower_}")  # "puts it down"
        if j < len(doc) and doc[j].lower_ in lexicon.PARTICLES and f"{lemma} {doc[j].lower_}" in lexicon.PHRASAL_VERBS:
            lemma, j = f"{lemma} {doc[j].lower_}", j + 1
        while j < len(doc) and doc[j].pos_ == "ADV" and doc[j].lower_ not in lexicon.ORDER_NEXT:
            j += 1
        obj = self.chunk_at.get(j)
        end = verb.i + 1 if obj is None else obj.end
        if obj is not None and end < len(doc) and f"{lemma} {doc[end].lower_}" in lexicon.PHRASAL_VERBS:
            lemma, end = f"{lemma} {doc[end].lower_}", end + 1  # "puts the cup down"
        if lemma in lexicon.LIGHT_VERBS:
            return None
        obj_lemma = obj.lemma if obj is not None else self._passive_subject(verb)
        target, end = self._target(end)
        return self.claim("action", verb.i, max(end, verb.i + 1), verb=lemma, object=obj_lemma, target=target)

    def _passive_subject(self, verb: Token) -> str | None:
        """'butter is placed into a pan': what is placed is the subject."""
        i = verb.i - 1
        if i < 1 or self.toks[i].pos_ != "AUX" or self.toks[i].lower_ not in ("is", "are", "was", "were", "being",
                                                                           "been", "be"):
            return None
        for c in reversed(self.chunks):
            if c.end == i and c.start not in self.persons:
                return c.lemma
        return None

    def _target(self, j: int) -> tuple[str | None, int]:
        """The first 'into / onto / with ... <phrase>' within a few words after the object."""
        doc = self.toks
        for k in range(j, min(j + 4, len(doc))):
            t = doc[k]
            if t.pos_ in ("PUNCT", "CCONJ", "VERB", "SCONJ", "AUX"):
                break
            if t.lower_ in lexicon.TARGET_PREPOSITIONS and k + 1 in self.chunk_at:
                c = self.chunk_at[k + 1]
                if c.start not in self.persons:
                    return c.lemma, c.end
        return None, j

    # ------------------------------------------------------------------ objects, attributes, places
    def objects(self) -> list[Claim]:
        out = []
        for c in self.chunks:
            if c.start in self.persons or c.head.pos_ == "PRON":
                continue
            place = self._place(c)
            if place is not None:
                out.append(place)
                if self._place_of(c.lemma) is not None:
                    continue  # the phrase IS the place ("in a kitchen"), not a thing in it
            if c.lemma in lexicon.NOT_OBJECTS or len(c.lemma) < 2 or not c.head.is_alpha and "-" not in c.head.text:
                continue
            out += self._object(c)
        return out

    def _object(self, c: Chunk) -> list[Claim]:
        attrs = {"colour": colours_of(c), "count": count_of(c), "material": material_of(c), "size": size_of(c)}
        out = [self.claim("object", c.start, c.end, head=c.lemma, **attrs)]
        for name, v in attrs.items():
            if v:
                out.append(self.claim("attribute", c.start, c.end, head=c.lemma, attribute=name, **{name: v}))
        return out

    @staticmethod
    def _place_of(lemma: str) -> str | None:
        return lexicon.PLACES.get(lemma)

    def _place(self, c: Chunk) -> Claim | None:
        """A place: the phrase's head ("in a kitchen", "the dog park") or a modifier ("kitchen counter")."""
        prev = self.toks[c.start - 1].lower_ if c.start > 0 else ""
        after_prep = prev in lexicon.PLACE_PREPOSITIONS
        bigram = f"{c.mods[-1].lemma_.lower()} {c.lemma}" if c.mods else ""
        for name in (bigram, c.lemma):
            setting = lexicon.PLACES.get(name)
            if setting and (after_prep or setting not in lexicon.MOVABLE_SETTINGS):
                return self.claim("place", c.start, c.end, head=name, place=setting)
        for m in c.mods:
            setting = lexicon.PLACES.get(m.lemma_.lower())
            if m.pos_ == "NOUN" and setting and setting not in lexicon.MOVABLE_SETTINGS:
                return self.claim("place", c.start, c.end, head=m.lemma_.lower(), place=setting)
        return None

    # ------------------------------------------------------------------ order
    def orders(self) -> list[Claim]:
        """'X, then Y' / 'X before Y' / 'after X, Y': two actions and which came first."""
        out = []
        vc = self.verb_claims
        for (ta, a), (tb, b) in zip(vc, vc[1:]):
            if a.verb == b.verb:
                continue
            seq = self._order(ta, tb, a.verb, b.verb)
            if seq is None:
                continue
            out.append(self.claim("order", ta.i, tb.i + 1, sequence=seq))
        return out

    def _order(self, ta: Token, tb: Token, a: str, b: str) -> tuple[str, str] | None:
        doc = self.toks
        just_before_b = doc[tb.i - 1].lower_
        before_a = doc[ta.i - 1].lower_ if ta.i > 0 else ""
        between = {t.lower_ for t in doc[ta.i + 1: tb.i]}
        if just_before_b in ("after", "before"):
            joined = tb.i >= 2 and (doc[tb.i - 2].pos_ in ("PUNCT", "CCONJ"))
            if joined:  # "X, and after rinsing it, Z": the clause belongs to Z, not to X
                return None
            return (b, a) if just_before_b == "after" else (a, b)  # "rinse after cutting", "cut before rinsing"
        if between & lexicon.ORDER_NEXT or "after" in between:
            return a, b  # "cut it, then rinse", "cut it before rinsing", "cut it; after that rinse"
        if before_a == "after":  # "after cutting it, rinse"
            return a, b
        if before_a == "before":  # "before rinsing, cut it"
            return b, a
        return None
