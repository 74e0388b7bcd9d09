"""Every word list the claim extractor and the matcher use, in one place.

Why a lexicon at all: there is no trained English pipeline on PyPI from its authors, so part of
speech comes from lemminflect's dictionary plus context (``tagger.py``), and the slot values
(gender, age, colour, material, size, places, antonym verbs) are closed, small vocabularies that
a list states more honestly than a model would. Lists hold lemmas, lower-cased.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- closed word classes
#: Part of speech of function words (Universal POS tags); they override lemminflect.
CLOSED_CLASS: dict[str, str] = {
    **dict.fromkeys("a an the this that these those each every some any no another both all several many "
                    "few various multiple either neither such".split(), "DET"),
    **dict.fromkeys("he she they it him them i you we me us who whom which what whose someone somebody "
                    "something everyone everybody anyone nobody nothing everything himself herself themselves "
                    "itself yourself one's".split(), "PRON"),
    **dict.fromkeys("his her their its my your our".split(), "DET"),  # possessive determiners
    **dict.fromkeys("in on at into onto from with without of for by over under above below behind beside "
                    "besides between through across along around near toward towards against inside outside "
                    "within upon off out up down about after before during like via past underneath beneath "
                    "amid among alongside throughout".split(), "ADP"),
    **dict.fromkeys("and or but nor yet &".split(), "CCONJ"),
    **dict.fromkeys("while as because if when whereas although though until unless since whether where "
                    "once".split(), "SCONJ"),
    **dict.fromkeys("is are was were be been being am has have had do does did can could will would should "
                    "may might must".split(), "AUX"),
    **dict.fromkeys("to not n't".split(), "PART"),
    **dict.fromkeys("then first next finally afterwards afterward later again also just still very slightly "
                    "briefly quickly slowly carefully gently back away together there here now soon "
                    "meanwhile simultaneously repeatedly".split(), "ADV"),
}

#: Words that possessive determiners are (their noun is someone else's).
POSSESSIVES = frozenset("his her their its my your our".split())

# --------------------------------------------------------------------------- numbers
NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "dozen": 12, "single": 1, "pair": 2, "couple": 2, "both": 2,
}

# --------------------------------------------------------------------------- people
#: Person nouns with what they say about gender and age (None = not said).
PERSON_NOUNS: dict[str, tuple[str | None, str | None]] = {
    "man": ("male", "adult"), "men": ("male", "adult"), "guy": ("male", "adult"), "gentleman": ("male", "adult"),
    "boy": ("male", "child"), "father": ("male", "adult"), "dad": ("male", "adult"), "husband": ("male", "adult"),
    "son": ("male", None), "brother": ("male", None), "grandfather": ("male", "elderly"),
    "businessman": ("male", "adult"), "sir": ("male", None), "king": ("male", None), "uncle": ("male", "adult"),
    "woman": ("female", "adult"), "women": ("female", "adult"), "lady": ("female", "adult"),
    "girl": ("female", "child"), "mother": ("female", "adult"), "mom": ("female", "adult"),
    "wife": ("female", "adult"), "daughter": ("female", None), "sister": ("female", None),
    "grandmother": ("female", "elderly"), "businesswoman": ("female", "adult"), "queen": ("female", None),
    "aunt": ("female", "adult"),
    "child": (None, "child"), "kid": (None, "child"), "baby": (None, "child"), "toddler": (None, "child"),
    "infant": (None, "child"), "teenager": (None, "young"), "teen": (None, "young"), "youth": (None, "young"),
    "adult": (None, "adult"), "elder": (None, "elderly"), "senior": (None, "elderly"),
    "person": (None, None), "people": (None, None), "individual": (None, None), "someone": (None, None),
    "somebody": (None, None), "user": (None, None), "presenter": (None, None), "host": (None, None),
    "narrator": (None, None), "speaker": (None, None), "chef": (None, None), "cook": (None, None),
    "baker": (None, None), "worker": (None, None), "technician": (None, None), "mechanic": (None, None),
    "driver": (None, None), "player": (None, None), "owner": (None, None), "customer": (None, None),
    "instructor": (None, None), "teacher": (None, None), "student": (None, None), "artist": (None, None),
    "performer": (None, None), "dancer": (None, None), "singer": (None, None), "musician": (None, None),
    "athlete": (None, None), "rider": (None, None), "cyclist": (None, None), "runner": (None, None),
    "swimmer": (None, None), "climber": (None, None), "hiker": (None, None), "gardener": (None, None),
    "farmer": (None, None), "doctor": (None, None), "nurse": (None, None), "officer": (None, None),
    "firefighter": (None, None), "crowd": (None, None), "group": (None, None),
    "team": (None, None), "audience": (None, None), "viewer": (None, None), "demonstrator": (None, None),
    "tutor": (None, None), "trainer": (None, None), "coach": (None, None), "vlogger": (None, None),
    "interviewer": (None, None), "interviewee": (None, None), "reporter": (None, None),
    "guest": (None, None), "friend": (None, None), "operator": (None, None), "carpenter": (None, None),
    "plumber": (None, None), "electrician": (None, None), "hairdresser": (None, None), "stylist": (None, None),
    "model": (None, None), "waiter": ("male", None), "waitress": ("female", None),
    "actor": ("male", None), "actress": ("female", None),
}
#: Body parts that stand for their owner ("the cook's hand" is the cook).
BODY_PARTS = frozenset("hand finger arm palm thumb fist foot leg".split())
#: Adjectives and pronouns that state gender / age.
GENDER_WORDS: dict[str, str] = {
    "male": "male", "he": "male", "him": "male", "his": "male", "himself": "male", "masculine": "male",
    "female": "female", "she": "female", "her": "female", "herself": "female", "feminine": "female",
}
AGE_WORDS: dict[str, str] = {
    "young": "young", "younger": "young", "little": "child", "elderly": "elderly", "old": "elderly",
    "older": "elderly", "aged": "elderly", "middle-aged": "adult", "grown": "adult",
}
#: Age classes that cannot describe the same person.
AGE_CONFLICTS = frozenset({frozenset({"child", "adult"}), frozenset({"child", "elderly"}),
                           frozenset({"young", "elderly"})})
#: Synonym groups for who-heads (same group = same kind of actor).
PERSON_SYNONYMS: tuple[frozenset[str], ...] = (
    frozenset("man guy gentleman men male".split()), frozenset("woman lady women female".split()),
    frozenset("person individual someone somebody people user".split()), frozenset("child kid".split()),
    frozenset("presenter host narrator speaker demonstrator vlogger instructor tutor".split()),
    frozenset("chef cook baker".split()), frozenset("mom mother".split()), frozenset("dad father".split()),
)

# --------------------------------------------------------------------------- object attributes
COLOURS = frozenset("""red blue green yellow orange purple violet pink brown black white grey gray silver gold
golden beige tan cream ivory maroon navy teal turquoise cyan magenta lavender lilac olive khaki crimson scarlet
burgundy bronze copper charcoal blond blonde brunette colorless colourless multicolored multicoloured""".split())
#: Colour names that mean the same colour.
COLOUR_SYNONYMS: tuple[frozenset[str], ...] = (
    frozenset({"grey", "gray", "charcoal", "silver"}), frozenset({"gold", "golden", "blond", "blonde"}),
    frozenset({"purple", "violet", "lavender", "lilac"}), frozenset({"red", "crimson", "scarlet", "maroon",
                                                                   "burgundy"}),
    frozenset({"blue", "navy", "turquoise", "teal", "cyan"}), frozenset({"beige", "tan", "cream", "ivory",
                                                                        "khaki"}),
    frozenset({"brown", "tan", "bronze", "copper", "brunette"}), frozenset({"green", "olive", "teal", "turquoise"}),
    frozenset({"pink", "magenta"}), frozenset({"white", "cream", "ivory"}),
)
#: Words that soften a colour ("light blue" is still blue); kept out of the colour value.
COLOUR_SHADES = frozenset("light dark pale bright deep neon pastel".split())
MATERIALS = frozenset("""wooden wood metal metallic steel stainless iron aluminum aluminium copper brass glass
plastic paper cardboard leather cotton wool woolen woollen denim silk ceramic porcelain clay stone marble granite
concrete rubber fabric cloth nylon silicone foam cast-iron stainless-steel wicker bamboo""".split())
#: Materials that can be said of one object at once (a stainless-steel pan is steel and metal).
MATERIAL_GROUPS: tuple[frozenset[str], ...] = (
    frozenset("metal metallic steel stainless iron aluminum aluminium copper brass cast-iron stainless-steel".split()),
    frozenset("wooden wood bamboo wicker".split()), frozenset("fabric cloth cotton wool woolen woollen denim silk "
                                                              "nylon".split()),
    frozenset("ceramic porcelain clay".split()), frozenset("stone marble granite concrete".split()),
    frozenset("paper cardboard".split()), frozenset("plastic silicone rubber foam".split()),
)
SIZES: dict[str, str] = {
    **dict.fromkeys("small little tiny mini miniature petite compact".split(), "small"),
    **dict.fromkeys("large big huge giant enormous massive oversized jumbo".split(), "large"),
    **dict.fromkeys("medium medium-sized mid-sized".split(), "medium"),
}

# --------------------------------------------------------------------------- nouns that are not objects
#: Nouns about the video itself, parts of a frame, or too vague to be an object claim.
NOT_OBJECTS = frozenset("""video clip segment scene frame camera footage shot view close-up closeup viewer image
picture screen background foreground side top bottom left right middle center centre end beginning start moment
time second minute process step way area part piece portion thing item object motion movement action activity
sequence series transition cut angle perspective tutorial demonstration lot number amount kind type sort bit
front back rest edge corner surface direction position place spot point line text word title caption overlay
frame subtitle""".split())

#: Nouns that count or measure the noun after "of" ("a pair of hands" is hands).
PARTITIVES = frozenset("""pair piece slice bunch stack pile handful group couple set bowl cup glass spoonful
drop dash pinch bit kind type sort lot number amount series variety row line bottle jar bag box can pack
packet sheet strip chunk""".split())

# --------------------------------------------------------------------------- places
#: Place nouns and the setting each stands for; two different settings cannot be the same place.
PLACES: dict[str, str] = {
    **dict.fromkeys("kitchen".split(), "kitchen"), "bathroom": "bathroom", "restroom": "bathroom",
    "bedroom": "bedroom", "living room": "living room", "lounge": "living room", "office": "office",
    "garage": "garage", "workshop": "workshop", "classroom": "classroom", "gym": "gym", "studio": "studio",
    "store": "shop", "shop": "shop", "supermarket": "shop", "market": "shop", "restaurant": "restaurant",
    "cafe": "restaurant", "church": "church", "hospital": "hospital", "school": "school",
    "laboratory": "laboratory", "warehouse": "warehouse", "basement": "basement",
    "attic": "attic", "hallway": "hallway", "corridor": "hallway", "arena": "arena",
    "stadium": "stadium", "park": "park", "garden": "garden", "yard": "garden", "backyard": "garden",
    "lawn": "garden", "meadow": "field", "farm": "farm", "beach": "beach", "shore": "beach",
    "sea": "sea", "ocean": "sea", "lake": "lake", "pond": "lake", "river": "river", "stream": "river",
    "pool": "pool", "swimming pool": "pool", "street": "street", "road": "street", "sidewalk": "street",
    "highway": "street", "parking lot": "parking lot", "car park": "parking lot", "driveway": "driveway",
    "forest": "forest", "woods": "forest", "jungle": "forest", "trail": "trail", "mountain": "mountain",
    "hill": "mountain", "desert": "desert", "snow": "snow", "city": "city", "town": "city", "village": "city",
    "airport": "airport", "boat": "boat", "ship": "boat", "bus": "vehicle",
    "car": "vehicle", "truck": "vehicle", "vehicle": "vehicle", "train": "vehicle", "plane": "vehicle",
    "room": "room", "house": "house", "home": "house", "apartment": "house", "building": "building",
    "outdoors": "outdoors", "indoors": "indoors",
}
#: Settings that can hold each other (a kitchen is in a house; a pool can be in a garden).
PLACE_CONTAINS: dict[str, frozenset[str]] = {
    "house": frozenset("kitchen bathroom bedroom living room office garage basement attic hallway room garden "
                       "pool driveway indoors".split(" ")) | {"living room"},
    "building": frozenset("office hallway room shop restaurant classroom gym studio laboratory warehouse "
                          "basement indoors stage".split()),
    "room": frozenset("kitchen bathroom bedroom office classroom studio laboratory indoors".split()) | {"living room"},
    "indoors": frozenset("kitchen bathroom bedroom office garage workshop classroom gym studio shop restaurant "
                         "church hospital school laboratory warehouse basement attic hallway room house building "
                         "stage arena".split()) | {"living room"},
    "outdoors": frozenset("park garden field farm beach sea lake river street parking lot driveway forest trail "
                          "mountain desert snow city stadium pool".split(" ")) | {"parking lot"},
    "city": frozenset("street park shop restaurant building station parking lot".split(" ")) | {"parking lot"},
    "park": frozenset("field garden lake trail pool river".split()),
    "farm": frozenset("field garden barn".split()),
    "school": frozenset("classroom gym hallway field".split()),
    "beach": frozenset("sea".split()),
    "sea": frozenset("beach boat".split()),
    "mountain": frozenset("trail forest snow".split()),
    "forest": frozenset("trail river lake".split()),
    "arena": frozenset("stage".split()),
    "stadium": frozenset("field stage".split()),
}
#: Settings vague enough to hold any other (a room, a building, indoors): they never contradict.
GENERIC_SETTINGS = frozenset({"room", "building", "house", "indoors", "outdoors", "city"})
#: Settings that are also things handled in a video ("opens the car"): places only after a preposition.
MOVABLE_SETTINGS = frozenset({"vehicle", "boat"})
#: Prepositions that introduce a place.
PLACE_PREPOSITIONS = frozenset("in at inside outside on near beside by within across along through around "
                               "into".split())

# --------------------------------------------------------------------------- verbs
#: Verbs that say nothing checkable about what is done (the video "shows", a man "is").
LIGHT_VERBS = frozenset("""be have do show appear seem become begin start continue remain display feature include
depict see look watch make let get keep go come use end finish stay capture film record highlight reveal
present avoid try allow cause help need want attempt manage ensure""".split())
#: Particles that make a phrasal verb ("pick up", "turn off").
PARTICLES = frozenset("up down on off out in away back over around aside apart together".split())
#: Pairs of actions that undo each other (a verb and its opposite on the same object contradict).
ANTONYM_VERBS: tuple[tuple[str, str], ...] = (
    ("add", "remove"), ("open", "close"), ("open", "shut"), ("put on", "take off"), ("turn on", "turn off"),
    ("switch on", "switch off"), ("pick up", "put down"), ("pick up", "set down"), ("lift", "lower"),
    ("push", "pull"), ("insert", "remove"), ("attach", "detach"), ("connect", "disconnect"), ("plug", "unplug"),
    ("lock", "unlock"), ("fold", "unfold"), ("tie", "untie"), ("wrap", "unwrap"), ("zip", "unzip"),
    ("button", "unbutton"), ("fill", "empty"), ("pour in", "pour out"), ("load", "unload"), ("pack", "unpack"),
    ("raise", "lower"), ("tighten", "loosen"), ("screw", "unscrew"), ("enter", "exit"), ("enter", "leave"),
    ("arrive", "leave"), ("stand up", "sit down"), ("freeze", "thaw"), ("heat", "cool"),
    ("start", "stop"), ("mount", "dismount"), ("cover", "uncover"), ("install", "uninstall"), ("give", "take"),
    ("win", "lose"), ("inflate", "deflate"), ("increase", "decrease"), ("accelerate", "brake"),
    ("throw", "catch"), ("buy", "sell"), ("dress", "undress"), ("plug in", "unplug"), ("hang up", "take down"),
    ("put in", "take out"), ("wet", "dry"),
)
#: Verbs that mean the same action (one lemma each group).
VERB_SYNONYMS: tuple[frozenset[str], ...] = (
    frozenset("cut slice chop dice mince".split()), frozenset("mix stir whisk beat blend combine".split()),
    frozenset("put place set lay".split()), frozenset({"pick up", "lift", "raise", "grab", "take"}),
    frozenset("speak talk say explain describe narrate address tell discuss".split()),
    frozenset("walk stroll".split()), frozenset("run jog sprint".split()), frozenset("wipe clean scrub rub "
                                                                                    "polish buff".split()),
    frozenset("pour add".split()), frozenset("hold grip grasp".split()), frozenset("point gesture".split()),
    frozenset("drive steer".split()), frozenset("shut close".split()), frozenset({"remove", "take off"}),
    frozenset("attach fasten fix mount".split()), frozenset("spray squirt".split()),
    frozenset("apply spread".split()), frozenset("fry cook saute sauté".split()), frozenset("bake roast".split()),
    frozenset("boil simmer".split()), frozenset("peel skin".split()), frozenset("play".split()),
    frozenset("sprinkle garnish top".split()), frozenset("press push".split()), frozenset("tap click".split()),
    frozenset("type enter".split()), frozenset("drag move slide".split()), frozenset("sit".split()),
)

#: Prepositions that introduce where / with what an action is done ("crack an egg into a bowl").
TARGET_PREPOSITIONS = frozenset("into onto in on to over from with inside under across through off onto "
                                "toward towards against".split())
#: Person nouns that stand for several people.
COLLECTIVE_PERSONS = frozenset("people crowd group team audience family couple".split())

#: Words that set the order of the actions around them.
ORDER_NEXT = frozenset("then next afterwards afterward later finally subsequently".split())
ORDER_FIRST = frozenset("first initially".split())


def person_gender_age(lemma: str) -> tuple[str | None, str | None] | None:
    """Gender and age a person noun states, or None if ``lemma`` is not a person noun."""
    return PERSON_NOUNS.get(lemma)


#: Phrasal verbs the extractor joins into one lemma ("pick" + "up" -> "pick up"): those the
#: antonym and synonym lists name.
PHRASAL_VERBS = frozenset(v for pair in ANTONYM_VERBS for v in pair if " " in v) | frozenset(
    v for group in VERB_SYNONYMS for v in group if " " in v)
