"""One claim against one source: supported, contradicted, or unchecked (None), with the deciding words.

A source's claims are indexed once (``SourceIndex``); checking a claim is then a few look-ups.
Rules, per slot (the lexicon names the values):

- actor: same gender, or the same kind of person, supports; a source whose people all have the
  other gender, an age class that cannot be the same person (a boy vs a man), or another explicit
  number of the same actor, contradicts.
- action: the same verb (or a synonym) on the same or an unnamed object supports; its antonym on
  the same named object, or the same verb on another concrete object while the source never
  names the claim's, contradicts. A different target ("into a bin" vs "into the trash") never
  contradicts: without an embedder, synonyms look like different things.
- object: named in the source (lemma, compound head or synonym) supports; there is no contradiction
  for an object by itself (an object nothing names is simply unchecked).
- attribute: the same object with the same colour / count / material / size supports; the same
  object with an incompatible one contradicts.
- place: the same place or setting supports; another setting that cannot hold it, while the
  source never names the claim's place, contradicts.
- order: the source's own "then" in the same order supports, reversed contradicts; the order in
  which a source merely mentions two actions can support but never contradicts.

Word similarity beyond the lexicon comes from an injected ``similar(a, b) -> float`` (e.g. the run's
sentence embedder on two lemmas); none is needed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

from ..claims import Claim
from ..claims import lexicon as lx
from .sources import Source

Similar = Callable[[str, str], float]
#: Rules whose contradiction is weak evidence: two captioners of the same clip often name
#: different objects for one action ("demonstrating the features" / "the FoodSaver") or
#: name a setting differently; a wrong gender, count, colour, age or an opposite verb is a
#: disagreement about the same thing.
WEAK_RULES = frozenset({"other object", "place"})
#: Share of a segment a source must cover to contradict it (a child covers half of its parent).
MIN_COVER = 0.5


@dataclass(frozen=True)
class Verdict:
    status: str  # "supported" | "contradicted"
    source: Source
    words: str  # the source's words that decided it
    rule: str  # which rule: gender, age, who, count, verb, antonym, other object, colour, ...


@dataclass
class SourceIndex:
    """A source's claims, grouped for look-up."""

    actors: list[Claim] = field(default_factory=list)
    actions: list[Claim] = field(default_factory=list)
    objects: dict[str, list[Claim]] = field(default_factory=dict)
    places: list[Claim] = field(default_factory=list)
    orders: list[Claim] = field(default_factory=list)
    by_verb: dict[str, list[Claim]] = field(default_factory=dict)  # verb_key -> actions
    nouns: set[str] = field(default_factory=set)  # every noun lemma the source names

    @classmethod
    def of(cls, claims: list[Claim]) -> "SourceIndex":
        """Objects and nouns are keyed by ``noun_key``, so look-ups need no pairwise comparison."""
        ix = cls()
        for c in claims:
            if c.slot == "actor":
                ix.actors.append(c)
                if c.head:
                    ix.nouns.add(noun_key(c.head))
            elif c.slot == "action":
                ix.actions.append(c)
                ix.by_verb.setdefault(verb_key(c.verb), []).append(c)
                ix.nouns.update(noun_key(x) for x in (c.object, c.target) if x)
            elif c.slot == "object":
                ix.objects.setdefault(noun_key(c.head), []).append(c)
                ix.nouns.add(noun_key(c.head))
            elif c.slot == "place":
                ix.places.append(c)
                ix.nouns.add(noun_key(c.head))
            elif c.slot == "order":
                ix.orders.append(c)
        return ix


_PERSON_GROUP = {w: min(g) for g in lx.PERSON_SYNONYMS for w in g}
_VERB_GROUP = {v: min(g) for g in lx.VERB_SYNONYMS for v in g}


@functools.lru_cache(maxsize=65536)
def noun_key(n: str) -> str:
    """Nouns with the same key are the same thing: a compound's head ("egg-topper" -> "topper",
    "t-shirt" -> "shirt") and one name per person-synonym group ("guy" -> "gentleman")."""
    last = n.rpartition("-")[2] or n
    return _PERSON_GROUP.get(n) or _PERSON_GROUP.get(last) or last


def verb_key(v: str) -> str:
    return _VERB_GROUP.get(v, v)


class Matcher:
    """Checks claims against indexed sources; ``similar`` widens noun and verb matching."""

    def __init__(self, similar: Similar | None = None, threshold: float = 0.8):
        self.similar, self.threshold = similar, threshold
        self._antonyms: dict[str, set[str]] = {}
        for a, b in lx.ANTONYM_VERBS:
            self._antonyms.setdefault(a, set()).add(b)
            self._antonyms.setdefault(b, set()).add(a)
        self._cache: dict[tuple[str, str], bool] = {}

    # ------------------------------------------------------------------ word equality
    def same_noun(self, a: str | None, b: str | None) -> bool:
        if not a or not b:
            return False
        return a == b or noun_key(a) == noun_key(b) or self._similar(a, b)

    def same_verb(self, a: str, b: str) -> bool:
        return a == b or verb_key(a) == verb_key(b) or self._similar(a, b)

    def antonyms(self, a: str, b: str) -> bool:
        return b in self._antonyms.get(a, ())

    def named(self, noun: str, ix: SourceIndex) -> bool:
        if noun_key(noun) in ix.nouns:
            return True
        return self.similar is not None and any(self._similar(noun, n) for n in ix.nouns)

    def _similar(self, a: str, b: str) -> bool:
        if self.similar is None:
            return False
        key = (a, b) if a < b else (b, a)
        if key not in self._cache:
            self._cache[key] = self.similar(a, b) >= self.threshold
        return self._cache[key]

    # ------------------------------------------------------------------ dispatch
    def check(self, claim: Claim, ix: SourceIndex, source: Source, cover: float = 1.0) -> Verdict | None:
        """The verdict of ``source`` on ``claim``; None = the source says nothing about this slot.

        ``cover`` is the share of the claim's segment that the source's window covers: a source
        covering less than ``MIN_COVER`` of it (a grandchild's caption) can support, not contradict.
        """
        v = getattr(self, f"_{claim.slot}")(claim, ix, source)
        if v is not None and v.status == "contradicted" and (not source.can_contradict or cover < MIN_COVER):
            return None
        return v

    # ------------------------------------------------------------------ slots
    def _actor(self, c: Claim, ix: SourceIndex, src: Source) -> Verdict | None:
        people = ix.actors
        if not people:
            if c.head and c.gender is None and self.named(c.head, ix):  # "two dogs" named as objects
                return Verdict("supported", src, c.head, "who")
            return None
        ok = [p for p in people if self._actor_compatible(c, p) and (
            (c.gender and p.gender == c.gender) or self.same_noun(c.head, p.head))]
        if ok:
            return Verdict("supported", src, ok[0].span, "gender" if c.gender and ok[0].gender == c.gender else "who")
        if c.gender and all(p.gender for p in people) and all(p.gender != c.gender for p in people):
            return Verdict("contradicted", src, people[0].span, "gender")
        for p in people:
            if (c.gender and p.gender == c.gender) or self.same_noun(c.head, p.head):
                if _age_conflict(c.age, p.age):
                    return Verdict("contradicted", src, p.span, "age")
                if _count_conflict(c.number, p.number):
                    return Verdict("contradicted", src, p.span, "number")
        return None

    @staticmethod
    def _actor_compatible(c: Claim, p: Claim) -> bool:
        return (not (c.gender and p.gender and c.gender != p.gender) and not _age_conflict(c.age, p.age)
                and not _count_conflict(c.number, p.number))

    def _action(self, c: Claim, ix: SourceIndex, src: Source) -> Verdict | None:
        if not ix.actions:
            return None
        same = ix.by_verb.get(verb_key(c.verb), [])
        if not same and self.similar is not None:
            same = [a for a in ix.actions if self._similar(c.verb, a.verb)]
        contra = None
        for a in same:
            if self._args_agree(c.object, a.object, ix):
                return Verdict("supported", src, a.span, "verb")
            if contra is None and a.verb == c.verb and _specific(c.object) and _specific(a.object):
                contra = Verdict("contradicted", src, a.span, "other object")
        if contra is None and c.object:
            for opp in self._antonyms.get(c.verb, ()):
                for a in ix.by_verb.get(verb_key(opp), ()):
                    if a.verb == opp and a.object and self.same_noun(c.object, a.object):
                        return Verdict("contradicted", src, a.span, "antonym")  # open vs close the lid
        return contra

    def _args_agree(self, mine: str | None, theirs: str | None, ix: SourceIndex) -> bool:
        """Two arguments agree unless both are named, differ, and the source never names mine."""
        if not mine or not theirs or self.same_noun(mine, theirs):
            return True
        return self.named(mine, ix)

    def _object(self, c: Claim, ix: SourceIndex, src: Source) -> Verdict | None:
        same = self._same_objects(c.head, ix)
        if same:
            return Verdict("supported", src, same[0].span, "object")
        if self.named(c.head, ix):
            return Verdict("supported", src, c.head, "object")
        return None

    def _same_objects(self, head: str, ix: SourceIndex) -> list[Claim]:
        same = ix.objects.get(noun_key(head), [])
        if same or self.similar is None:
            return same
        return [o for n, cs in ix.objects.items() if self._similar(head, cs[0].head) for o in cs]

    def _attribute(self, c: Claim, ix: SourceIndex, src: Source) -> Verdict | None:
        said = [o for o in self._same_objects(c.head, ix) if getattr(o, c.attribute) not in (None, ())]
        if not said:
            return None
        for o in said:
            if _attr_agrees(c.attribute, getattr(c, c.attribute), getattr(o, c.attribute)):
                return Verdict("supported", src, o.span, c.attribute)
        for o in said:
            if _attr_conflicts(c.attribute, getattr(c, c.attribute), getattr(o, c.attribute)):
                return Verdict("contradicted", src, o.span, c.attribute)
        return None

    def _place(self, c: Claim, ix: SourceIndex, src: Source) -> Verdict | None:
        for p in ix.places:
            if p.head == c.head or p.place == c.place:
                return Verdict("supported", src, p.span, "place")
        if self.named(c.head, ix):
            return None
        if ix.places and all(not _settings_compatible(c.place, p.place) for p in ix.places):
            return Verdict("contradicted", src, ix.places[0].span, "place")
        return None

    def _order(self, c: Claim, ix: SourceIndex, src: Source) -> Verdict | None:
        a, b = c.sequence
        for o in ix.orders:
            x, y = o.sequence
            if self.same_verb(a, x) and self.same_verb(b, y):
                return Verdict("supported", src, o.span, "order")
            if self.same_verb(a, y) and self.same_verb(b, x):
                return Verdict("contradicted", src, o.span, "order")
        pos = {}
        for i, act in enumerate(ix.actions):
            for v in (a, b):
                if v not in pos and self.same_verb(v, act.verb):
                    pos[v] = (i, act.span)
        if a in pos and b in pos and pos[a][0] < pos[b][0]:
            return Verdict("supported", src, f"{pos[a][1]} ... {pos[b][1]}", "mention order")
        return None


def _specific(noun: str | None) -> bool:
    """A named, concrete object (not "the side", "the end", "the frame")."""
    return bool(noun) and noun not in lx.NOT_OBJECTS and noun_key(noun) not in lx.NOT_OBJECTS


def _age_conflict(a: str | None, b: str | None) -> bool:
    return bool(a and b) and frozenset({a, b}) in lx.AGE_CONFLICTS


def _count_conflict(a: str | None, b: str | None) -> bool:
    """Two explicit head counts (2 vs 3); "1" and "several" are too loose to conflict."""
    return bool(a and b) and a.isdigit() and b.isdigit() and a != b and "1" not in (a, b)


def _colour_agrees(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    for x in a:
        for y in b:
            if x == y or any(x in g and y in g for g in lx.COLOUR_SYNONYMS):
                return True
    return False


def _attr_agrees(name: str, a, b) -> bool:
    if name == "colour":
        return _colour_agrees(a, b)
    if name == "material":
        return a == b or any(a in g and b in g for g in lx.MATERIAL_GROUPS)
    return a == b


def _attr_conflicts(name: str, a, b) -> bool:
    if name == "size":
        return {a, b} == {"small", "large"}
    return not _attr_agrees(name, a, b)


def _settings_compatible(a: str | None, b: str | None) -> bool:
    if not a or not b or a == b or a in lx.GENERIC_SETTINGS or b in lx.GENERIC_SETTINGS:
        return True
    return a in lx.PLACE_CONTAINS.get(b, ()) or b in lx.PLACE_CONTAINS.get(a, ())
