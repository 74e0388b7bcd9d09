"""Word tables for the fine-grained fault kinds (``faults.py``): opposite verbs, numbers,
colours and gendered words.

These are the injector's data, not a grammar: each fault swaps one kind of word for a
value a captioner could plausibly have written instead. Verb forms are listed explicitly
(base, third person, past, -ing) so a swap keeps the sentence's tense.
"""

from __future__ import annotations

#: base verb -> its opposite; phrasal verbs are written with one space
OPPOSITE_VERBS: dict[str, str] = {
    "add": "remove", "remove": "add", "insert": "remove", "apply": "remove",
    "open": "close", "close": "open", "push": "pull", "pull": "push",
    "attach": "detach", "detach": "attach", "connect": "disconnect", "disconnect": "connect",
    "reconnect": "disconnect", "lift": "lower", "raise": "lower", "lower": "raise",
    "tighten": "loosen", "loosen": "tighten", "fill": "empty", "lock": "unlock", "unlock": "lock",
    "fold": "unfold", "unfold": "fold", "plug": "unplug", "unplug": "plug", "screw": "unscrew",
    "unscrew": "screw", "wrap": "unwrap", "unwrap": "wrap", "tie": "untie", "untie": "tie",
    "pack": "unpack", "unpack": "pack", "load": "unload", "unload": "load", "cover": "uncover",
    "uncover": "cover", "enter": "exit", "exit": "enter", "start": "stop", "stop": "start",
    "increase": "decrease", "decrease": "increase", "heat": "cool", "cool": "heat",
    "show": "hide", "hide": "show", "press": "release", "release": "press", "give": "take",
    "mount": "dismount", "assemble": "disassemble", "disassemble": "assemble",
    "inflate": "deflate", "deflate": "inflate", "freeze": "thaw", "thaw": "freeze",
    "dip": "lift", "drop": "catch", "throw": "catch", "catch": "throw", "buy": "sell", "sell": "buy",
    "turn on": "turn off", "turn off": "turn on", "switch on": "switch off", "switch off": "switch on",
    "put on": "take off", "take off": "put on", "pick up": "put down", "put down": "pick up",
    "sit down": "stand up", "stand up": "sit down", "plug in": "unplug", "zip": "unzip", "unzip": "zip",
}

_IRREGULAR: dict[str, tuple[str, str, str]] = {  # base -> (3rd person, past, -ing)
    "take": ("takes", "took", "taking"), "put": ("puts", "put", "putting"), "sit": ("sits", "sat", "sitting"),
    "stand": ("stands", "stood", "standing"), "give": ("gives", "gave", "giving"),
    "hide": ("hides", "hid", "hiding"), "show": ("shows", "showed", "showing"),
    "throw": ("throws", "threw", "throwing"), "catch": ("catches", "caught", "catching"),
    "freeze": ("freezes", "froze", "freezing"), "buy": ("buys", "bought", "buying"),
    "sell": ("sells", "sold", "selling"), "tie": ("ties", "tied", "tying"), "untie": ("unties", "untied", "untying"),
}
_DOUBLE_FINAL = {"stop", "plug", "unplug", "drop", "wrap", "unwrap", "dip", "zip", "unzip"}


def verb_forms(base: str) -> tuple[str, str, str, str]:
    """(base, 3rd person, past, -ing) of a verb or phrasal verb ("turn on" -> "turns on", ...)."""
    head, _, tail = base.partition(" ")
    if head in _IRREGULAR:
        s3, past, ing = _IRREGULAR[head]
    else:
        s3 = head + "es" if head.endswith(("s", "sh", "ch", "x", "z", "o")) else (
            head[:-1] + "ies" if head.endswith("y") and head[-2:-1] not in "aeiou" else head + "s")
        stem = head + head[-1] if head in _DOUBLE_FINAL else head
        if head.endswith("e"):
            past, ing = head + "d", head[:-1] + "ing"
        elif head.endswith("y") and head[-2:-1] not in "aeiou":
            past, ing = head[:-1] + "ied", head + "ing"
        else:
            past, ing = stem + "ed", stem + "ing"
    suffix = f" {tail}" if tail else ""
    return base, s3 + suffix, past + suffix, ing + suffix


#: number words a captioner writes for a count ("one" is left out: it is mostly a pronoun)
NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")

#: colour words; "orange" is left out (mostly the fruit), capitalised uses are left alone (names)
COLOURS = ("red", "blue", "green", "yellow", "black", "white", "grey", "gray", "brown", "purple", "pink",
           "silver", "beige", "violet", "turquoise")

#: gendered word -> the other gender's word (both directions; "her" is resolved by context)
GENDER_SWAP: dict[str, str] = {
    "man": "woman", "woman": "man", "men": "women", "women": "men", "boy": "girl", "girl": "boy",
    "boys": "girls", "girls": "boys", "he": "she", "she": "he", "him": "her", "his": "her",
    "himself": "herself", "herself": "himself", "male": "female", "female": "male",
    "gentleman": "lady", "lady": "gentleman", "gentlemen": "ladies", "ladies": "gentlemen",
    "father": "mother", "mother": "father", "dad": "mom", "mom": "dad", "husband": "wife", "wife": "husband",
    "son": "daughter", "daughter": "son", "brother": "sister", "sister": "brother",
    "guy": "woman", "guys": "women", "mr": "ms",
    "businessman": "businesswoman", "businesswoman": "businessman", "her": "his",
}

#: words after which "her" is an object pronoun ("hands it to her.") rather than a possessive
HER_OBJECT_NEXT = {"", "to", "with", "and", "in", "on", "at", "as", "from", "up", "down", "a", "an", "the",
                   "that", "this", "while", "then", "again", "back", "out", "off", "how", "what"}

#: words stripped from the front of an action's object ("Pick up the spoon" -> "spoon")
OBJECT_LEAD = {"the", "a", "an", "some", "his", "her", "their", "its", "up", "down", "on", "off", "in", "out",
               "over", "away", "back", "into", "onto", "to", "at", "with", "from", "of", "and", "more", "all"}

__all__ = ["OPPOSITE_VERBS", "verb_forms", "NUMBER_WORDS", "COLOURS", "GENDER_SWAP", "HER_OBJECT_NEXT",
           "OBJECT_LEAD"]
