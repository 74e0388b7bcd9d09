"""Atomic claims from annotation text: who acts, what is done to what, objects and their
attributes, places and the order of actions, each quoting the words it came from.

    from videoaudit.claims import extract_claims
    claims = extract_claims(["A woman cracks two eggs into a glass bowl."], "summary_brief")[0]

Rule-based and offline: a blank spaCy English pipeline with dictionary part-of-speech tags
(lemminflect + spaCy's lookup tables) and noun phrases from a pattern over the tags; word lists live in ``lexicon``.
"""

from .extract import FIELDS, IMPERATIVE_FIELDS, claims_of_doc, extract_claims
from .model import ATTRIBUTES, SLOTS, Claim

__all__ = ["ATTRIBUTES", "Claim", "FIELDS", "IMPERATIVE_FIELDS", "SLOTS", "claims_of_doc", "extract_claims"]
