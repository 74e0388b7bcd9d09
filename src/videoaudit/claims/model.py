"""The Claim: one checkable statement of an annotation field, with the words it came from."""

from __future__ import annotations

from dataclasses import dataclass

#: The slots a claim can fill.
SLOTS: tuple[str, ...] = ("actor", "action", "object", "attribute", "place", "order")
#: The attributes an attribute claim states (one per claim: claims are atomic).
ATTRIBUTES: tuple[str, ...] = ("colour", "count", "material", "size")


@dataclass(frozen=True)
class Claim:
    """One atomic claim. Only the values of its own slot are set; ``span`` quotes the source text.

    actor: ``head`` (who, a lemma), ``gender``, ``age``, ``number`` ("1", "2", ..., "several");
    action: ``verb`` (lemma, phrasal verbs joined: "pick up"), ``object`` and ``target`` (lemmas of
    what is acted on and of where / with what: "crack egg into bowl");
    object: ``head`` plus the attributes said of it; attribute: ``head`` and ONE of ``colour``
    (a tuple: "black and white"), ``count``, ``material``, ``size``, named by ``attribute``;
    place: ``head`` (the place noun) and ``place`` (its setting, lexicon.PLACES);
    order: ``sequence`` (two verb lemmas, the first happens first).
    """

    field: str
    slot: str
    span: str
    start: int  # character offsets of span in the field's text
    end: int
    sentence: str = ""  # the whole sentence, for sentence-level entailment
    head: str | None = None
    gender: str | None = None
    age: str | None = None
    number: str | None = None
    verb: str | None = None
    object: str | None = None
    target: str | None = None
    attribute: str | None = None
    colour: tuple[str, ...] = ()
    count: int | None = None
    material: str | None = None
    size: str | None = None
    place: str | None = None
    sequence: tuple[str, ...] = ()

    @property
    def value(self) -> str:
        """A short human-readable value, e.g. ``woman (female, adult, 1)`` or ``crack egg -> bowl``."""
        if self.slot == "actor":
            extra = ", ".join(x for x in (self.gender, self.age, self.number) if x)
            return f"{self.head or '?'} ({extra})" if extra else (self.head or "?")
        if self.slot == "action":
            out = self.verb or "?"
            if self.object:
                out += f" {self.object}"
            return out + (f" -> {self.target}" if self.target else "")
        if self.slot == "attribute":
            return f"{self.head} {self.attribute}={self.attribute_value}"
        if self.slot == "order":
            return " > ".join(self.sequence)
        return self.head or "?"

    @property
    def attribute_value(self) -> str | None:
        if self.attribute == "colour":
            return "+".join(self.colour)
        v = getattr(self, self.attribute) if self.attribute else None
        return None if v is None else str(v)

    def key(self) -> tuple:
        """What makes two claims the same claim (used to drop repeats within one text)."""
        return (self.slot, self.head, self.gender, self.age, self.number, self.verb, self.object, self.target,
                self.attribute, self.colour, self.count, self.material, self.size, self.place, self.sequence)
