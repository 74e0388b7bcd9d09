"""Vocabulary and paraphrase machinery of the synthetic sample dataset.

Everything here is invented for the sample: categories of how-to videos, each with a
visual signature (what ``render.py`` draws) and a vocabulary (what ``generator.py``
writes). Two ways of saying the same thing exist for every phrase: the "GPT" wording
used in the release's ``gpt`` fields, and an alternative wording (synonyms plus a
different sentence structure) used by the PerceptionLM-like captions and by the
simulated second annotator. A paraphrase keeps the meaning and shares few characters,
so lexical similarity is low while sentence-embedding similarity stays high.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- inflection

_DOUBLE_FINAL = {
    "cut", "chop", "stir", "trim", "pat", "dig", "scrub", "wrap", "tap", "mop", "plan",
    "snip", "drop", "jog", "skip", "grab", "sip", "rub", "pop", "clip", "dip", "set",
    "put", "get", "hit", "sit", "swap", "strip", "plug", "spin", "drag", "tug", "pin", "let",
}


def third_person(phrase: str) -> str:
    """``"pick up the box"`` -> ``"picks up the box"`` (inflects the first word only)."""
    head, _, rest = phrase.partition(" ")
    if head == "be":
        word = "is"
    elif head == "have":
        word = "has"
    elif re.search(r"(s|sh|ch|x|z|o)$", head):
        word = head + "es"
    elif re.search(r"[^aeiou]y$", head):
        word = head[:-1] + "ies"
    else:
        word = head + "s"
    return f"{word} {rest}".strip()


def gerund(phrase: str) -> str:
    """``"whisk the eggs"`` -> ``"whisking the eggs"`` (inflects the first word only)."""
    head, _, rest = phrase.partition(" ")
    if head == "be":
        word = "being"
    elif head.endswith("ie"):
        word = head[:-2] + "ying"
    elif head.endswith("e") and not head.endswith(("ee", "ye", "oe")):
        word = head[:-1] + "ing"
    elif head in _DOUBLE_FINAL:
        word = head + head[-1] + "ing"
    else:
        word = head + "ing"
    return f"{word} {rest}".strip()


def cap(text: str) -> str:
    """Upper-case the first character only (``str.capitalize`` would lower the rest)."""
    return text[:1].upper() + text[1:] if text else text


def words(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Step:
    """One action of a how-to video, in both wordings.

    ``verb``/``alt_verbs`` are base forms (possibly multi-word), ``obj`` carries its
    article, ``bare`` is the object as it appears in a 2-4 word ``action.brief``.
    """

    verb: str
    obj: str
    bare: str
    tool: str
    where: str
    detail: str
    alt_verbs: tuple[str, ...]
    alt_objs: tuple[str, ...]
    alt_tool: str
    say: str  # what a narrator says over this step (transcript)
    actor_na: bool = False  # no person visible, the action happens on its own

    def brief(self) -> str:
        return cap(f"{self.verb} {self.bare}")


@dataclass(frozen=True)
class Actor:
    full: str  # "a woman in a red apron" (the actor field, 3-7 words)
    short: str  # "the woman"
    alt_full: str  # "a lady wearing a crimson apron"
    alt_short: str  # "the cook"
    pronoun: str  # "she" | "he" | "they"


@dataclass(frozen=True)
class Category:
    name: str
    topic: str  # "cooking"
    goals: tuple[str, ...]  # "make a fluffy omelette"
    titles: tuple[str, ...]  # "How to {Goal} | Easy Breakfast"
    palette: tuple[tuple[int, int, int], ...]
    texture: str  # stripes | checker | noise | gradient | rings | dots
    motion: str  # pan | zoom | bounce | rotate | static | sway
    actors: tuple[Actor, ...]
    settings: tuple[tuple[str, str], ...]  # (gpt wording, alternative wording)
    steps: tuple[Step, ...]
    idle: Step  # an actor-less step ("the sauce simmers on its own")
    extra_objects: tuple[str, ...] = field(default=())


def _s(verb, obj, bare, tool, where, detail, alt_verbs, alt_objs, alt_tool, say, actor_na=False):
    return Step(verb, obj, bare, tool, where, detail, tuple(alt_verbs), tuple(alt_objs), alt_tool, say, actor_na)


# --------------------------------------------------------------------------- categories

CATEGORIES: tuple[Category, ...] = (
    Category(
        name="cooking",
        topic="cooking",
        goals=("make a fluffy omelette", "cook a simple vegetable stir fry", "prepare a quick breakfast scramble"),
        titles=("How to {Goal} | Easy Home Cooking", "{Goal} in 10 Minutes!", "Quick Recipe: {Goal}"),
        palette=((235, 200, 150), (200, 90, 60), (250, 240, 220), (120, 160, 80)),
        texture="checker",
        motion="pan",
        actors=(
            Actor("a woman in a red apron", "the woman", "a lady wearing a crimson pinafore", "the cook", "she"),
            Actor("a man with a grey beard", "the man", "a bearded gentleman", "the home chef", "he"),
            Actor("a young woman with a ponytail", "the young woman", "a girl whose hair is tied back", "the cook", "she"),
        ),
        settings=(
            ("a bright home kitchen with white cabinets", "a sunlit domestic cookery space with pale cupboards"),
            ("a small apartment kitchen with a gas stove", "a compact flat's cooking area featuring a hob"),
        ),
        steps=(
            _s("crack", "two eggs", "eggs", "the rim of a bowl", "over a glass bowl", "letting the yolks slide in whole",
               ("break open", "split"), ("a pair of eggs", "the shells"), "the bowl's edge", "first  crack  your  eggs  into  a  bowl"),
            _s("whisk", "the eggs", "eggs", "a wire whisk", "in a glass bowl", "until the mixture turns pale and frothy",
               ("beat", "whip"), ("the yolks and whites", "the egg mixture"), "a balloon beater", "now  whisk  them  really  well"),
            _s("chop", "a yellow onion", "onion", "a chef's knife", "on a wooden cutting board", "working from root to tip in even strokes",
               ("dice", "mince"), ("the bulb", "the peeled allium"), "a large blade", "chop  your  onion  nice  and  small"),
            _s("slice", "a red bell pepper", "bell pepper", "a paring knife", "on the cutting board", "removing the seeds and white ribs first",
               ("julienne", "carve"), ("the capsicum", "the crimson pepper"), "a small blade", "then  slice  up  the  pepper"),
            _s("heat", "olive oil", "oil", "a non-stick frying pan", "on the front burner", "tilting the pan so the oil coats the surface",
               ("warm", "preheat"), ("the cooking fat", "a drizzle of oil"), "a skillet", "get  your  pan  nice  and  hot"),
            _s("pour", "the egg mixture", "eggs", "the frying pan", "over medium heat", "spreading it evenly across the base",
               ("tip", "empty"), ("the beaten yolks", "the whisked liquid"), "the skillet", "pour  the  eggs  into  the  pan"),
            _s("stir", "the vegetables", "vegetables", "a wooden spatula", "in the hot pan", "keeping everything moving so nothing burns",
               ("toss", "turn over"), ("the chopped produce", "the diced veggies"), "a wooden spoon", "keep  stirring  everything"),
            _s("season", "the dish", "dish", "a pinch of salt and pepper", "over the pan", "sprinkling from a little height for even coverage",
               ("sprinkle", "add spice to"), ("the food", "the meal"), "some salt and ground pepper", "season  with  salt  and  pepper"),
            _s("plate", "the omelette", "omelette", "a flat spatula", "onto a white ceramic plate", "folding it in half as it slides out",
               ("serve", "transfer"), ("the finished eggs", "the cooked dish"), "a turner", "and  plate  it  up"),
        ),
        idle=_s("simmer", "the tomato sauce", "sauce", "a small saucepan", "on the back burner", "with bubbles rising slowly to the surface",
                ("bubble", "cook gently"), ("the red sauce", "the sauce"), "a little pot", "let  that  simmer  for  a  bit", actor_na=True),
    ),
    Category(
        name="woodworking",
        topic="woodworking",
        goals=("build a simple pine bookshelf", "make a wooden cutting board", "build a small step stool"),
        titles=("DIY: {Goal}", "How to {Goal} - Beginner Woodworking", "{Goal} (Easy Weekend Project)"),
        palette=((190, 140, 90), (120, 80, 45), (230, 210, 170), (70, 70, 75)),
        texture="stripes",
        motion="static",
        actors=(
            Actor("a man in a plaid flannel shirt", "the man", "a guy wearing a checked lumberjack top", "the woodworker", "he"),
            Actor("a woman wearing safety glasses", "the woman", "a lady with protective goggles", "the maker", "she"),
            Actor("a bald man in a leather apron", "the man", "a hairless craftsman wearing a hide smock", "the carpenter", "he"),
        ),
        settings=(
            ("a cluttered garage workshop with pegboard walls", "an untidy home shop whose walls hold perforated hanging panels"),
            ("a woodshop with a long workbench", "a carpentry room featuring an extended bench"),
        ),
        steps=(
            _s("measure", "the pine board", "board", "a steel tape measure", "on the workbench", "marking the length with a carpenter's pencil",
               ("size up", "check the length of"), ("the plank", "the lumber"), "a retractable rule", "measure  twice  cut  once"),
            _s("cut", "the plank", "plank", "a circular saw", "across two sawhorses", "following the pencil line slowly",
               ("saw through", "trim down"), ("the length of pine", "the lumber piece"), "a power saw", "now  we  cut  it  to  length"),
            _s("sand", "the edges", "edges", "an orbital sander", "on the workbench", "moving from coarse to fine grit",
               ("smooth", "abrade"), ("the sides of the board", "the rough corners"), "a vibrating smoothing tool", "sand  all  the  edges  smooth"),
            _s("drill", "pilot holes", "holes", "a cordless drill", "along the marked line", "keeping the bit perfectly vertical",
               ("bore", "make"), ("guide holes", "small openings"), "a battery driver", "drill  your  pilot  holes  first"),
            _s("glue", "the joints", "joints", "a bottle of wood glue", "on the bench", "spreading a thin bead along each seam",
               ("bond", "apply adhesive to"), ("the seams", "the connections"), "carpenter's adhesive", "add  some  glue  to  the  joints"),
            _s("clamp", "the two boards", "boards", "a pair of bar clamps", "on the workbench", "tightening until a little glue squeezes out",
               ("press together", "secure"), ("the pieces", "the planks"), "two long vises", "clamp  it  up  and  let  it  dry"),
            _s("drive", "wood screws", "screws", "an impact driver", "into the frame", "sinking each head just below the surface",
               ("screw in", "fasten"), ("the fasteners", "the screws"), "a power screwdriver", "then  drive  in  the  screws"),
            _s("stain", "the shelf", "shelf", "a foam brush", "over a drop cloth", "wiping off the excess with a rag",
               ("finish", "color"), ("the ledge", "the project"), "a sponge applicator", "now  put  on  the  stain"),
        ),
        idle=_s("cure", "the glued panel", "panel", "the bar clamps", "on the bench", "left untouched while the glue sets",
                ("dry", "set"), ("the clamped boards", "the glue-up"), "the clamps", "let  the  glue  dry  overnight", actor_na=True),
    ),
    Category(
        name="gardening",
        topic="gardening",
        goals=("plant tomato seedlings", "repot a leggy houseplant", "start a raised vegetable bed"),
        titles=("How to {Goal} the Right Way", "{Goal} - Gardening Tips for Beginners", "Spring Garden: {Goal}"),
        palette=((90, 150, 60), (60, 110, 40), (140, 100, 60), (210, 220, 120)),
        texture="noise",
        motion="sway",
        actors=(
            Actor("a woman in a straw hat", "the woman", "a lady wearing a woven sun hat", "the gardener", "she"),
            Actor("an older man in green overalls", "the man", "a senior gentleman in olive dungarees", "the grower", "he"),
            Actor("a man in a denim shirt", "the man", "a guy wearing a jean top", "the gardener", "he"),
        ),
        settings=(
            ("a sunny backyard vegetable garden", "a bright rear yard growing plot"),
            ("a greenhouse with wooden shelves", "a glass plant house lined with timber racks"),
        ),
        steps=(
            _s("dig", "a planting hole", "hole", "a hand trowel", "in the raised bed", "making it twice as wide as the root ball",
               ("excavate", "scoop out"), ("an opening in the soil", "a pit"), "a small spade", "dig  a  nice  deep  hole"),
            _s("mix", "compost into the soil", "compost", "a garden fork", "in the bed", "breaking up the large clumps",
               ("blend", "work"), ("rich humus into the earth", "organic matter into the dirt"), "a pitchfork", "mix  in  some  compost"),
            _s("remove", "the seedling from its pot", "seedling", "gloved hands", "beside the bed", "gently loosening the tangled roots",
               ("take out", "lift"), ("the young plant from its container", "the sprout"), "her gloves", "take  the  plant  out  of  its  pot"),
            _s("plant", "the tomato seedling", "tomato", "both hands", "in the hole", "burying the stem up to the first leaves",
               ("set", "place"), ("the young tomato", "the sapling"), "bare palms", "pop  it  in  the  hole"),
            _s("water", "the new plants", "plants", "a green watering can", "along the row", "soaking the soil around each stem",
               ("irrigate", "give a drink to"), ("the fresh transplants", "the seedlings"), "a sprinkling pail", "give  it  a  good  drink"),
            _s("spread", "mulch", "mulch", "a bucket of wood chips", "around the stems", "leaving a small gap next to each stem",
               ("scatter", "lay down"), ("bark chips", "a layer of shredded wood"), "a pail of chips", "add  a  layer  of  mulch"),
            _s("prune", "the lower leaves", "leaves", "a pair of pruning shears", "at the base of the plant", "cutting just above a node",
               ("trim", "snip off"), ("the bottom foliage", "the low growth"), "secateurs", "prune  off  the  bottom  leaves"),
            _s("tie", "the stem to a stake", "stem", "soft garden twine", "next to the plant", "looping it loosely in a figure eight",
               ("fasten", "secure"), ("the stalk to a support", "the main shoot"), "string", "tie  it  up  to  the  stake"),
        ),
        idle=_s("sway", "the tomato plants", "plants", "the breeze", "in the bed", "with no one in the frame",
                ("move", "flutter"), ("the leaves", "the foliage"), "the wind", "look  how  well  they  are  doing", actor_na=True),
    ),
    Category(
        name="fitness",
        topic="fitness",
        goals=("do a full body home workout", "warm up before a run", "build core strength at home"),
        titles=("{Goal} - 15 Minute Routine", "How to {Goal} (No Equipment)", "Daily Fitness: {Goal}"),
        palette=((60, 120, 200), (240, 240, 245), (230, 80, 120), (40, 40, 60)),
        texture="gradient",
        motion="bounce",
        actors=(
            Actor("a woman in a black sports bra", "the woman", "a lady wearing a dark athletic top", "the trainer", "she"),
            Actor("a muscular man in a grey tank top", "the man", "a well-built guy in a sleeveless ash shirt", "the instructor", "he"),
            Actor("a woman with braided hair", "the woman", "a lady whose hair is plaited", "the coach", "she"),
        ),
        settings=(
            ("a living room with a yoga mat on the floor", "a lounge where an exercise mat lies on the carpet"),
            ("a home gym with mirrored walls", "a private training room lined with mirrors"),
        ),
        steps=(
            _s("stretch", "the hamstrings", "hamstrings", "a yoga mat", "on the floor", "holding the position for a slow count of ten",
               ("loosen", "lengthen"), ("the backs of the thighs", "the leg muscles"), "an exercise mat", "let's  start  with  a  stretch"),
            _s("do", "jumping jacks", "jumping jacks", "no equipment", "in the middle of the room", "clapping the hands overhead on every jump",
               ("perform", "complete"), ("star jumps", "a set of star jumps"), "bodyweight only", "okay  jumping  jacks  let's  go"),
            _s("perform", "bodyweight squats", "squats", "a mat", "facing the camera", "keeping the knees behind the toes",
               ("complete", "work through"), ("deep knee bends", "a set of squats"), "just the floor", "now  squats  keep  your  back  straight"),
            _s("hold", "a forearm plank", "plank", "a yoga mat", "on the floor", "keeping the back flat and the core tight",
               ("maintain", "sustain"), ("a plank position", "the elbow plank"), "an exercise mat", "hold  that  plank  thirty  seconds"),
            _s("lift", "a pair of dumbbells", "dumbbells", "both arms", "beside a bench", "curling the weights up to the shoulders",
               ("raise", "curl"), ("two hand weights", "the free weights"), "the arms", "grab  your  dumbbells"),
            _s("do", "push-ups", "push-ups", "the floor", "on the mat", "lowering the chest until it nearly touches the mat",
               ("perform", "bang out"), ("press-ups", "a round of press-ups"), "the ground", "drop  down  for  push  ups"),
            _s("perform", "walking lunges", "lunges", "no equipment", "across the room", "dropping the back knee close to the floor",
               ("complete", "step through"), ("forward steps with bent knees", "a row of lunges"), "bodyweight only", "lunges  across  the  room"),
            _s("cool", "down with deep breathing", "down", "a yoga mat", "seated on the floor", "inhaling slowly through the nose",
               ("wind", "settle"), ("down with slow breaths", "down calmly"), "an exercise mat", "and  cool  down  breathe  deep"),
        ),
        idle=_s("tick", "the interval timer", "timer", "a digital clock", "on the wall", "while the mat sits empty",
                ("count down", "run"), ("the countdown clock", "the rest clock"), "a timer display", "rest  for  ten  seconds", actor_na=True),
    ),
    Category(
        name="car_repair",
        topic="car repair",
        goals=("change the engine oil", "replace a flat tire", "replace the brake pads"),
        titles=("How to {Goal} Yourself", "{Goal} - Step by Step DIY", "Save Money: {Goal} at Home"),
        palette=((50, 50, 55), (200, 40, 40), (180, 180, 190), (240, 180, 40)),
        texture="rings",
        motion="zoom",
        actors=(
            Actor("a mechanic in blue coveralls", "the mechanic", "a technician wearing navy overalls", "the repairman", "he"),
            Actor("a man in a black baseball cap", "the man", "a guy wearing a dark ball cap", "the driver", "he"),
            Actor("a woman in nitrile gloves", "the woman", "a lady wearing disposable work gloves", "the technician", "she"),
        ),
        settings=(
            ("a home garage with a concrete floor", "a residential carport on bare cement"),
            ("a driveway next to a silver sedan", "a paved drive beside a grey four-door car"),
        ),
        steps=(
            _s("loosen", "the lug nuts", "lug nuts", "a lug wrench", "on the front wheel", "turning each nut a half turn counterclockwise",
               ("break free", "unfasten"), ("the wheel nuts", "the bolts on the rim"), "a tire iron", "first  loosen  the  lug  nuts"),
            _s("jack", "up the car", "up car", "a hydraulic floor jack", "under the frame rail", "raising it until the wheel clears the ground",
               ("lift", "hoist"), ("up the vehicle", "up the sedan"), "a trolley lift", "jack  the  car  up"),
            _s("remove", "the wheel", "wheel", "both hands", "from the hub", "setting it flat on the ground",
               ("pull off", "take off"), ("the tire", "the rim and tire"), "bare hands", "pull  the  wheel  off"),
            _s("drain", "the old oil", "oil", "a plastic drain pan", "under the engine", "letting it run until only drips remain",
               ("empty", "let out"), ("the used lubricant", "the dirty oil"), "a catch basin", "let  the  old  oil  drain  out"),
            _s("unscrew", "the oil filter", "oil filter", "a filter wrench", "under the engine", "catching the dripping oil with a rag",
               ("twist off", "remove"), ("the filter canister", "the cartridge"), "a strap tool", "now  take  off  the  filter"),
            _s("install", "the new brake pads", "brake pads", "a C-clamp", "in the caliper bracket", "pressing the piston back first",
               ("fit", "put in"), ("fresh pads", "the replacement pads"), "a screw clamp", "put  the  new  pads  in"),
            _s("tighten", "the bolts", "bolts", "a torque wrench", "on the wheel", "working in a star pattern",
               ("snug down", "torque"), ("the fasteners", "the nuts"), "a click wrench", "torque  them  in  a  star  pattern"),
            _s("pour", "fresh motor oil", "oil", "a plastic funnel", "into the engine", "checking the dipstick halfway through",
               ("add", "fill with"), ("new lubricant", "clean oil"), "a cone", "fill  it  back  up  with  new  oil"),
        ),
        idle=_s("drip", "the old oil", "oil", "the drain plug", "into the pan", "slowing to a trickle with no one in view",
                ("trickle", "run"), ("the dark lubricant", "the used oil"), "the plug hole", "let  it  finish  draining", actor_na=True),
    ),
    Category(
        name="crafts",
        topic="painting and crafts",
        goals=("paint a watercolor sunset", "make a paper flower bouquet", "decorate a clay pot"),
        titles=("{Goal} - Easy Craft Tutorial", "How to {Goal} for Beginners", "Art Time: {Goal}"),
        palette=((250, 230, 240), (120, 80, 200), (250, 150, 60), (60, 180, 200)),
        texture="dots",
        motion="rotate",
        actors=(
            Actor("a woman with curly red hair", "the woman", "a lady with ginger ringlets", "the artist", "she"),
            Actor("a teenage girl in a striped sweater", "the girl", "a young teen wearing a banded jumper", "the crafter", "she"),
            Actor("a man wearing round glasses", "the man", "a gentleman in circular spectacles", "the painter", "he"),
        ),
        settings=(
            ("an art corner with a craft table covered in paper and paint tubes", "a hobby nook whose desk is strewn with sheets and pigment tubes"),
            ("a bright art studio by a large window", "a well-lit atelier beside a big pane"),
        ),
        steps=(
            _s("sketch", "the outline", "outline", "a soft pencil", "on watercolor paper", "keeping the lines light and loose",
               ("draw", "trace"), ("the basic shapes", "the contours"), "a graphite stick", "lightly  sketch  the  outline"),
            _s("wet", "the paper", "paper", "a wide flat brush", "on the table", "brushing clean water over the whole sky area",
               ("dampen", "moisten"), ("the sheet", "the page"), "a broad brush", "wet  the  paper  first"),
            _s("paint", "the sky", "sky", "a round brush", "across the top of the page", "blending orange into purple",
               ("color", "brush in"), ("the upper background", "the heavens"), "a pointed brush", "now  paint  in  the  sky"),
            _s("cut", "colored paper petals", "petals", "a pair of craft scissors", "over the table", "following a cardboard template",
               ("snip", "trim out"), ("tissue paper shapes", "the bright petal shapes"), "small shears", "cut  out  your  petals"),
            _s("fold", "the paper strips", "strips", "both hands", "on the table", "creasing each fold with a fingernail",
               ("crease", "bend"), ("the thin sheets", "the ribbons of paper"), "the fingers", "fold  it  like  this"),
            _s("glue", "the petals together", "petals", "a hot glue gun", "around a wire stem", "holding each petal for a few seconds",
               ("stick", "attach"), ("the paper shapes", "the leaves of paper"), "a melt adhesive tool", "glue  the  petals  on"),
            _s("paint", "the clay pot", "pot", "a small acrylic brush", "on a sheet of newspaper", "adding white polka dots over a blue base",
               ("decorate", "coat"), ("the terracotta planter", "the flowerpot"), "a fine brush", "paint  the  pot  however  you  like"),
            _s("add", "fine details", "details", "a thin liner brush", "to the painting", "drawing small silhouettes of birds",
               ("include", "put in"), ("tiny accents", "small touches"), "a detail brush", "add  some  little  details"),
        ),
        idle=_s("dry", "the painted sheet", "paint", "the open air", "on the drying rack", "with nobody touching it",
                ("set", "cure"), ("the wet artwork", "the page"), "room air", "let  it  dry  completely", actor_na=True),
    ),
    Category(
        name="pets",
        topic="pet care",
        goals=("groom a long-haired dog at home", "trim your cat's nails", "bathe a puppy"),
        titles=("How to {Goal}", "{Goal} - Easy Pet Care Tips", "Pet Care 101: {Goal}"),
        palette=((240, 220, 190), (150, 110, 80), (100, 170, 220), (250, 250, 250)),
        texture="stripes",
        motion="bounce",
        actors=(
            Actor("a woman in a teal scrub top", "the woman", "a lady wearing a turquoise medical shirt", "the groomer", "she"),
            Actor("a man in a grey hoodie", "the man", "a guy wearing an ash sweatshirt", "the owner", "he"),
            Actor("a young woman with a nose ring", "the young woman", "a girl with a pierced nostril", "the pet owner", "she"),
        ),
        settings=(
            ("a bathroom with a white bathtub", "a washroom featuring a pale tub"),
            ("a grooming salon with a steel table", "a pet parlor with a metal bench"),
        ),
        steps=(
            _s("brush", "the dog's coat", "coat", "a slicker brush", "on the grooming table", "working out the tangles behind the ears",
               ("comb", "groom"), ("the pup's fur", "the long hair"), "a wire comb", "brush  out  all  the  tangles"),
            _s("wet", "the puppy", "puppy", "a handheld shower head", "in the bathtub", "testing the water temperature on the wrist",
               ("rinse", "soak"), ("the young dog", "the little pup"), "a spray nozzle", "get  him  nice  and  wet"),
            _s("lather", "the shampoo", "shampoo", "both hands", "into the fur", "avoiding the eyes and ears",
               ("massage", "work in"), ("the soap", "the cleanser"), "the fingers", "lather  up  the  shampoo"),
            _s("rinse", "the suds", "suds", "a plastic cup", "over the bathtub", "pouring until the water runs clear",
               ("wash off", "flush"), ("the foam", "the bubbles"), "a scoop", "rinse  it  all  out"),
            _s("towel", "the dog dry", "dog", "a large bath towel", "beside the tub", "rubbing gently along the back",
               ("dry", "pat down"), ("the wet pup", "the pet"), "a fluffy cloth", "towel  him  off"),
            _s("trim", "the cat's nails", "nails", "a pair of pet nail clippers", "on a lap", "cutting only the clear tips",
               ("clip", "shorten"), ("the claws", "the kitty's claws"), "small clippers", "just  trim  the  tips"),
            _s("blow-dry", "the fur", "fur", "a pet hair dryer", "on a low setting", "brushing the coat at the same time",
               ("fluff-dry", "air-dry"), ("the coat", "the hair"), "a blower", "blow  dry  on  low"),
            _s("reward", "the dog with a treat", "dog", "a small biscuit", "at the end", "praising it in a cheerful voice",
               ("give", "offer"), ("the pup a snack", "the pet a biscuit"), "a cookie", "good  boy  here's  a  treat"),
        ),
        idle=_s("drip", "the wet towel", "towel", "the rail", "over the edge of the tub", "while no person is in the shot",
                ("leak", "trickle"), ("the soaked cloth", "the damp towel"), "the bar", "look  at  that  mess", actor_na=True),
    ),
)

CATEGORY_BY_NAME = {c.name: c for c in CATEGORIES}

# Objects that appear nowhere in the sample vocabulary (and in no real example we know of):
# (key word to check against the video's texts, clause for summary.brief, sentence for detailed).
HALLUCINATION_OBJECTS: tuple[tuple[str, str, str], ...] = (
    ("bicycle", "while a red bicycle leans against the wall", "A red bicycle leans against the wall behind them."),
    ("giraffe", "next to a large stuffed giraffe", "A large stuffed giraffe stands in the corner of the frame."),
    ("saxophone", "while a golden saxophone rests on a chair", "A golden saxophone rests on a chair nearby."),
    ("surfboard", "beside a yellow surfboard", "A yellow surfboard is propped up in the background."),
    ("chandelier", "under a crystal chandelier", "A crystal chandelier hangs from the ceiling above."),
    ("accordion", "as an accordion sits on the shelf", "An old accordion sits on a shelf behind them."),
    ("telescope", "next to a brass telescope", "A brass telescope on a tripod points toward the window."),
    ("flamingo", "beside a pink plastic flamingo", "A pink plastic flamingo stands in the background."),
    ("snowman", "while a small snowman figurine watches", "A small snowman figurine sits on the counter."),
    ("harp", "in front of a tall wooden harp", "A tall wooden harp stands against the back wall."),
    ("canoe", "while a green canoe hangs overhead", "A green canoe hangs upside down from the ceiling."),
    ("typewriter", "beside an antique typewriter", "An antique typewriter sits on a side table."),
)

# Actors that no category uses: (key word, actor text).
FOREIGN_ACTORS: tuple[tuple[str, str], ...] = (
    ("raincoat", "A young girl in a yellow raincoat"),
    ("cane", "An elderly man with a wooden cane"),
    ("firefighter", "A firefighter in full turnout gear"),
    ("jersey", "A teenage boy in a hockey jersey"),
    ("tutu", "A ballerina in a pink tutu"),
    ("astronaut", "An astronaut in a white spacesuit"),
    ("wetsuit", "A diver in a black wetsuit"),
    ("toddler", "A toddler in a dinosaur costume"),
)

REFUSALS: tuple[str, ...] = (
    "I'm sorry, but I can't help with describing this video.",
    "I'm sorry, but I cannot provide a description of this content.",
    "As an AI language model, I am unable to view videos and therefore cannot describe this segment.",
)

# Title-card (actionless) step wording.
TITLE_CARD = {
    "summary": "An opening title card shows the video's name in bold white letters over a plain {color} background.",
    "detail": "The screen stays still while the words fade in, and no person, hand or tool is visible.",
    "plm": "The video shows a title screen with large white text on a plain {color} background. There are no people "
           "or objects in the frame, only the writing, which fades in slowly and stays on screen. The frame does not "
           "move and nothing happens apart from the text appearing, so this is an intro screen.",
    "llama": "The image is a graphic title card. Large white letters are centred on a flat {color} background.\n\n"
             "Here are the key elements of the image:\n\n* Text: the title of the video in a bold sans-serif font.\n"
             "* Background: a solid {color} color with no texture.\n* People: none are visible.\n\nOverall, the image "
             "is an intro screen that introduces the video before the tutorial begins.",
    "plm_action": "Show title screen.",
    "say": "hey  guys  welcome  back  to  the  channel",
}

# --------------------------------------------------------------------------- generic word-level synonyms

#: Word/phrase substitutions used by :func:`paraphrase`; keys are matched as whole words, lower case.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "begins": ("starts", "opens"),
    "starts": ("begins", "kicks off"),
    "then": ("after that", "next"),
    "next": ("afterwards", "following that"),
    "finally": ("at the end", "to finish"),
    "first": ("to begin with", "initially"),
    "shows": ("depicts", "presents"),
    "carefully": ("with care", "cautiously"),
    "quickly": ("rapidly", "briskly"),
    "slowly": ("gradually", "unhurriedly"),
    "small": ("little", "compact"),
    "large": ("big", "sizeable"),
    "uses": ("employs", "makes use of"),
    "using": ("with", "by means of"),
    "places": ("puts", "sets"),
    "holds": ("grips", "keeps hold of"),
    "camera": ("lens", "recording"),
    "video": ("clip", "footage"),
    "segment": ("section", "portion"),
    "person": ("individual", "figure"),
    "table": ("desk", "surface"),
    "bright": ("well-lit", "luminous"),
    "background": ("backdrop", "rear of the shot"),
    "continues": ("keeps going", "carries on"),
    "works": ("labours", "operates"),
    "surface": ("top", "face"),
    "visible": ("in view", "on show"),
    "while": ("as", "whilst"),
    "around": ("about", "round"),
    "demonstrates": ("illustrates", "walks through"),
    "explains": ("describes", "talks through"),
    "close-up": ("tight shot", "near view"),
    "wide": ("broad", "distant"),
}

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def paraphrase(text: str, rng: random.Random, rate: float = 0.9) -> str:
    """Replace words found in :data:`SYNONYMS` (keeps capitalisation of the first letter).

    Meant for text the generator did not compose itself (e.g. real captions); for its
    own texts the generator renders the alternative wording from the spec instead.
    """

    def sub(m: re.Match) -> str:
        w = m.group(0)
        alts = SYNONYMS.get(w.lower())
        if not alts or rng.random() > rate:
            return w
        alt = rng.choice(alts)
        return cap(alt) if w[0].isupper() else alt

    return _WORD.sub(sub, text)


# --------------------------------------------------------------------------- sentence builders

def alt_step_clause(actor_alt: str, step: Step, rng: random.Random, structure: int | None = None) -> str:
    """Alternative wording of a step, one of several sentence structures (no final period)."""
    verb = rng.choice(step.alt_verbs)
    obj = rng.choice(step.alt_objs)
    if step.actor_na:
        forms = (
            f"{obj} can be seen to {verb} by itself",
            f"with nobody around, {obj} {third_person(verb).split(' ', 1)[0]} on its own",
            f"there is a shot where {obj} {third_person(verb).split(' ', 1)[0]} untouched",
        )
    else:
        forms = (
            f"using {step.alt_tool}, {actor_alt} {third_person(verb)} {obj}",
            f"{actor_alt} can be seen {gerund(verb)} {obj}",
            f"we watch as {actor_alt} {third_person(verb)} {obj} with {step.alt_tool}",
            f"there is a moment where {actor_alt} {third_person(verb)} {obj}",
        )
    k = rng.randrange(len(forms)) if structure is None else structure % len(forms)
    return forms[k]
