"""Clean synthetic Action100M-like rows, deterministic by seed.

Each video is a how-to of one category (``vocab.CATEGORIES``): a sequence of steps that
tiles the timeline, each step cut into 1-4 "shots" (visual changes, which ``render.py``
draws). The Tree-of-Captions is built the way the release's is shaped: a binary tree
that splits a node at a visual boundary (a step boundary while the node spans several
steps, else a shot boundary) near its middle, until a node is one shot or shorter than
2.5 s. Nodes are listed breadth-first; ``gpt`` is present exactly on internal nodes of
at least 4 s; a parent's summary lists its children's steps in order.

Each row carries a hidden ``_spec`` (the semantic description the texts were rendered
from); ``write_release`` ignores it, the annotator and the renderer use it.
"""

from __future__ import annotations

import datetime as _dt
import random
import uuid

import numpy as np

from .vocab import (
    CATEGORIES,
    TITLE_CARD,
    Category,
    Step,
    alt_step_clause,
    cap,
    gerund,
    third_person,
    words,
)

NA = "N/A"
FPS = 15
LEAF_MAX_SECONDS = 2.5
GPT_MIN_SECONDS = 4.0
MIN_SHOT = 0.6
_UID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_CONNECTORS = ("First,", "Next,", "After that,", "Then", "Following this,", "Later,", "Afterwards,")
_TITLE_COLORS = {
    "cooking": "cream", "woodworking": "tan", "gardening": "leaf-green", "fitness": "blue",
    "car_repair": "charcoal", "crafts": "pale pink", "pets": "beige",
}
_CAMERA = {
    "pan": ("the camera pans slowly across the scene", "the view drifts sideways"),
    "zoom": ("the camera slowly zooms in and out", "the shot pushes in and pulls back"),
    "bounce": ("the handheld camera bobs slightly", "the footage jiggles a little"),
    "rotate": ("the camera circles gently around the work", "the view turns around the subject"),
    "static": ("the camera stays fixed on a tripod", "the shot is locked off"),
    "sway": ("the camera sways gently", "the frame rocks softly"),
}
_LIGHT = ("soft daylight", "warm indoor lighting", "bright overhead light", "even natural light")


def f32(x: float) -> float:
    """The value a float32 column will hold (what a reader will see)."""
    return float(np.float32(x))


def make_uid(rng: random.Random) -> str:
    return "".join(rng.choice(_UID_ALPHABET) for _ in range(11))


def make_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def video_rng(seed: int, index: int, purpose: str = "video") -> random.Random:
    """Per-video RNG: the first N videos are the same whatever ``videos`` is."""
    return random.Random(f"videoaudit-sample/{purpose}/{seed}/{index}")


# --------------------------------------------------------------------------- timeline


def _split(a: float, b: float, k: int, rng: random.Random, minimum: float) -> list[float]:
    """Cut [a, b] into k pieces of at least ``minimum`` s; returns k+1 boundaries (2 decimals)."""
    length = b - a
    weights = [rng.uniform(1.0, 2.0) for _ in range(k)]
    total = sum(weights)
    free = length - k * minimum
    cuts = [a]
    acc = a
    for w in weights[:-1]:
        acc += minimum + free * w / total
        cuts.append(round(acc, 2))
    cuts.append(b)
    return cuts


def _plan_steps(cat: Category, duration: float, rng: random.Random) -> list[dict]:
    """Steps tiling [0, duration]: optional title card, regular steps (in recipe order), optional idle step."""
    title = rng.random() < 0.5
    idle = rng.random() < 0.35
    outro = rng.random() < 0.15
    title_len = round(rng.uniform(4.2, 6.0), 2) if title else 0.0
    outro_len = round(rng.uniform(4.2, 5.5), 2) if outro else 0.0
    idle_len = round(rng.uniform(3.0, 6.0), 2) if idle else 0.0
    special = title_len + outro_len + idle_len
    remaining = duration - special
    n = max(3, min(len(cat.steps), round(remaining / rng.uniform(4.5, 7.5))))
    chosen = sorted(rng.sample(range(len(cat.steps)), n))
    kinds: list[tuple[str, int]] = [("step", k) for k in chosen]
    if idle:
        kinds.insert(rng.randrange(1, len(kinds)), ("idle", -2))
    if title:
        kinds.insert(0, ("title", -1))
    if outro:
        kinds.append(("title", -1))
    # lay out: fixed lengths for title/outro/idle, the rest shares what remains
    fixed = []
    for i, (kind, _) in enumerate(kinds):
        if kind == "title":
            fixed.append(title_len if i == 0 and title else outro_len)
        elif kind == "idle":
            fixed.append(idle_len)
        else:
            fixed.append(None)
    free_idx = [i for i, f in enumerate(fixed) if f is None]
    weights = [rng.uniform(1.0, 2.2) for _ in free_idx]
    min_step = 2.0
    free_total = remaining - min_step * len(free_idx)
    for i, w in zip(free_idx, weights):
        fixed[i] = min_step + free_total * w / sum(weights)
    steps = []
    t = 0.0
    for i, ((kind, k), length) in enumerate(zip(kinds, fixed)):
        end = duration if i == len(kinds) - 1 else round(t + length, 2)
        steps.append({"kind": kind, "step": k, "start": t, "end": end})
        t = end
    return steps


def _plan_shots(steps: list[dict], rng: random.Random) -> list[dict]:
    shots = []
    for pos, st in enumerate(steps):
        length = st["end"] - st["start"]
        if st["kind"] == "title":
            k = 2
        else:
            k = max(1, min(4, round(length / rng.uniform(1.6, 3.2))))
        k = max(1, min(k, int(length // (MIN_SHOT + 0.05))))
        cuts = _split(st["start"], st["end"], k, rng, MIN_SHOT)
        for s, (a, b) in enumerate(zip(cuts, cuts[1:])):
            shots.append({"start": a, "end": b, "step_pos": pos, "shot": s})
    return shots


def _build_tree(shots: list[dict]) -> list[dict]:
    """Binary tree over shot ranges; returns nodes (without ids) breadth-first."""
    out: list[dict] = []

    def rec(i: int, j: int, level: int, parent: int | None) -> None:
        start, end = shots[i]["start"], shots[j - 1]["end"]
        idx = len(out)
        node = {"i": i, "j": j, "level": level, "parent": parent, "start": start, "end": end, "children": []}
        out.append(node)
        if j - i == 1 or f32(end) - f32(start) < LEAF_MAX_SECONDS:
            return
        steps_in = {shots[k]["step_pos"] for k in range(i, j)}
        if len(steps_in) > 1:
            cands = [k for k in range(i + 1, j) if shots[k]["step_pos"] != shots[k - 1]["step_pos"]]
        else:
            cands = list(range(i + 1, j))
        mid = (start + end) / 2
        cut = min(cands, key=lambda k: (abs(shots[k]["start"] - mid), k))
        node["children"] = [len(out)]
        rec(i, cut, level + 1, idx)
        node["children"].append(len(out))
        rec(cut, j, level + 1, idx)

    rec(0, len(shots), 0, None)
    order = sorted(range(len(out)), key=lambda n: (out[n]["level"], out[n]["start"]))
    remap = {old: new for new, old in enumerate(order)}
    nodes = []
    for old in order:
        n = dict(out[old])
        n["parent"] = remap[n["parent"]] if n["parent"] is not None else None
        n["children"] = [remap[c] for c in n["children"]]
        nodes.append(n)
    return nodes


# --------------------------------------------------------------------------- texts


_PHASE_BRIEF = {"whole": "", "start": "starts to ", "middle": "keeps working and ", "end": "finishes the step and "}
_PHASE_DETAILED = {
    "start": "The step gets under way here, with the first strokes and the setup still visible.",
    "middle": "Midway through the task, the rhythm is steady and nothing new is introduced.",
    "end": "As the step comes to an end, the result becomes visible and the pace slows.",
}


class _Texts:
    """Renders the release texts of one video from its spec."""

    def __init__(self, cat: Category, spec: dict, rng: random.Random):
        self.cat = cat
        self.spec = spec
        self.rng = rng
        self.actor = cat.actors[spec["actor"]]
        self.setting, self.setting_alt = cat.settings[spec["setting"]]
        self.goal = spec["goal"]
        self.color = _TITLE_COLORS[cat.name]

    def step_of(self, pos: int) -> tuple[str, Step | None]:
        st = self.spec["steps"][pos]
        if st["kind"] == "title":
            return "title", None
        if st["kind"] == "idle":
            return "idle", self.cat.idle
        return "step", self.cat.steps[st["step"]]

    # -- GPT wording
    def vp(self, pos: int) -> str:
        kind, step = self.step_of(pos)
        if kind == "title":
            return "open with a title card"
        if kind == "idle":
            return f"let {step.obj} {step.verb}"
        return f"{step.verb} {step.obj}"

    def sentence(self, pos: int, connector: str | None, detail: bool = True) -> str:
        kind, step = self.step_of(pos)
        if kind == "title":
            s = TITLE_CARD["summary"].format(color=self.color)
            body = s[0].lower() + s[1:]
        elif kind == "idle":
            body = step_sentence_idle(step, detail)
        else:
            body = f"{self.actor.short} {third_person(step.verb)} {step.obj} with {step.tool} {step.where}"
            body += f", {step.detail}." if detail else "."
        return cap(f"{connector} {body}") if connector else cap(body)

    def phase(self, pos: int, span: tuple[float, float] | None) -> str:
        """Which part of a step a node covers: siblings inside one long step are told apart,
        as GPT does for the halves of one action (never word-for-word twins)."""
        if span is None:
            return "whole"
        st = self.spec["steps"][pos]
        starts, ends = span[0] <= st["start"] + 0.05, span[1] >= st["end"] - 0.05
        return "whole" if starts and ends else "start" if starts else "end" if ends else "middle"

    def summary_brief(self, poss: list[int], is_root: bool, span: tuple[float, float] | None = None) -> str:
        kinds = [self.step_of(p)[0] for p in poss]
        if len(poss) == 1:
            kind, step = self.step_of(poss[0])
            if kind == "title":
                return TITLE_CARD["summary"].format(color=self.color)
            if kind == "idle":
                return step_sentence_idle(step, True)
            lead = _PHASE_BRIEF[self.phase(poss[0], span)]
            s = f"{cap(self.actor.full)} {lead}{third_person(step.verb)} {step.obj} with {step.tool} {step.where}"
            if words(s) + words(step.detail) <= 22:
                s += f", {step.detail}"
            return s + "."
        subject = cap(self.actor.full) if any(k == "step" for k in kinds) else "The segment"
        if is_root or len(poss) > 3:
            first = next(p for p in poss if self.step_of(p)[0] == "step") if "step" in kinds else poss[0]
            last = [p for p in poss if self.step_of(p)[0] == "step"][-1] if "step" in kinds else poss[-1]
            return (f"{subject} shows how to {self.goal} in {self.setting}, from "
                    f"{gerund(self.vp(first))} to {gerund(self.vp(last))}.")
        vps = [third_person(self.vp(p)) for p in poss]
        if len(vps) == 2:
            body = f"{vps[0]}, then {vps[1]}"
        else:
            body = ", then ".join(vps[:-1]) + f", and finally {vps[-1]}"
        return f"{subject} {body}."

    def summary_detailed(self, poss: list[int], is_root: bool, n_shots: int, motion: str,
                         span: tuple[float, float] | None = None) -> str:
        camera = _CAMERA[motion][0]
        if len(poss) == 1:
            kind, step = self.step_of(poss[0])
            if kind == "title":
                return " ".join([TITLE_CARD["summary"].format(color=self.color), TITLE_CARD["detail"],
                                 "A second card follows with the same lettering before the tutorial begins."])
            parts = [self.sentence(poss[0], None)]
            if kind == "step" and self.phase(poss[0], span) != "whole":
                parts.insert(0, _PHASE_DETAILED[self.phase(poss[0], span)])
            if kind == "step":
                parts.append(f"The scene is set in {self.setting}, and {camera} over {n_shots} short shots.")
                parts.append(f"Close-ups show {step.obj} and {step.tool} clearly while {self.actor.short} works.")
            else:
                parts.append(f"No person is visible, and {camera}.")
            return " ".join(parts)
        parts = []
        if is_root:
            parts.append(f"The video takes place in {self.setting}, where {self.actor.full} shows how to {self.goal}.")
        else:
            parts.append(f"In {self.setting}, the segment follows several steps of the project.")
        for n, p in enumerate(poss):
            conn = "Finally," if n == len(poss) - 1 and n > 0 else _CONNECTORS[min(n, len(_CONNECTORS) - 1)]
            parts.append(self.sentence(p, conn, detail=True))
        if is_root or len(parts) < 4:
            parts.append(f"Throughout, {camera}, and {self.actor.short} explains each step to the viewer.")
        return " ".join(parts)

    def action(self, pos: int) -> tuple[str, str, str]:
        kind, step = self.step_of(pos)
        if kind == "title":
            return NA, NA, NA
        if kind == "idle":
            return cap(f"{step.bare} {third_person(step.verb)}"), step_sentence_idle(step, True), NA
        detailed = (f"{cap(self.actor.short)} {third_person(step.verb)} {step.obj} with {step.tool} "
                    f"{step.where}, {step.detail}.")
        return step.brief(), detailed, cap(self.actor.full)

    # -- evidence (alternative wording)
    def plm_caption(self, poss: list[int], motion: str) -> str:
        rng = self.rng
        if all(self.step_of(p)[0] == "title" for p in poss):
            return TITLE_CARD["plm"].format(color=self.color)
        parts = [f"The video shows {self.actor.alt_full} in {self.setting_alt}."]
        shown = [p for p in poss if self.step_of(p)[0] != "title"][:3]
        if any(self.step_of(p)[0] == "title" for p in poss):
            parts.append("It starts with a title screen.")
        for p in shown:
            kind, step = self.step_of(p)
            parts.append(cap(alt_step_clause(self.actor.alt_short, step, rng)) + ".")
        parts.append(cap(_CAMERA[motion][1]) + f", and the scene is lit by {rng.choice(_LIGHT)}.")
        if words(" ".join(parts)) < 45:
            parts.append(f"{cap(self.actor.alt_short)} seems calm and focused, and the work area is tidy.")
        if words(" ".join(parts)) < 45:
            parts.append("The colours in the frame are warm and the background stays the same throughout.")
        return " ".join(parts)

    def plm_action(self, pos: int) -> str:
        kind, step = self.step_of(pos)
        if kind == "title":
            return TITLE_CARD["plm_action"]
        verb = self.rng.choice(step.alt_verbs)
        if kind == "idle":
            return cap(f"{self.rng.choice(step.alt_objs)} {third_person(verb)}")
        return cap(f"{verb} {step.bare}")

    def llama3_caption(self, pos: int) -> str:
        kind, step = self.step_of(pos)
        if kind == "title":
            return TITLE_CARD["llama"].format(color=self.color)
        others = [s.tool for s in self.cat.steps if s is not step][:3]
        if kind == "idle":
            head = (f"The image shows {self.rng.choice(step.alt_objs)} {step.where} in {self.setting_alt}, "
                    f"with no people in the frame.")
            person = "* People: none are visible in this frame."
        else:
            head = (f"The image shows {self.actor.alt_full} {gerund(self.rng.choice(step.alt_verbs))} "
                    f"{self.rng.choice(step.alt_objs)} in {self.setting_alt}.")
            person = (f"* Person: {self.actor.alt_full}, seen from the waist up; {self.actor.pronoun} looks down "
                      f"at the task with a focused expression.")
        return (f"{head}\n\nHere are the key elements of the image:\n\n{person}\n"
                f"* Objects: {step.tool}, {step.obj}, and nearby {others[0]} and {others[1]}.\n"
                f"* Setting: {self.setting}, with {self.rng.choice(_LIGHT)}.\n"
                f"* Composition: the main action is in the centre of the frame and the background is slightly "
                f"blurred.\n\nOverall, the image captures a moment of a {self.cat.topic} tutorial, showing the "
                f"materials and the work in progress in a clear and practical way.")


def step_sentence_idle(step: Step, detail: bool) -> str:
    s = f"{cap(step.obj)} {third_person(step.verb)} {step.where}"
    return s + (f", {step.detail}." if detail else ".")


def _title_case(text: str) -> str:
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in text.split())


# --------------------------------------------------------------------------- rows


def generate_video(seed: int, index: int) -> dict:
    """One clean release row (plus ``_spec``) for video ``index`` of seed ``seed``.

    Every draw comes from the video's one rng, in a fixed order (spec, steps, shots, node
    texts, metadata), so a seed always gives the same row.
    """
    rng = video_rng(seed, index)
    cat = CATEGORIES[(index + seed) % len(CATEGORIES)]
    uid = make_uid(rng)
    duration = round(rng.uniform(30.0, 90.0), 2)
    spec = {
        "index": index,
        "category": cat.name,
        "actor": rng.randrange(len(cat.actors)),
        "setting": rng.randrange(len(cat.settings)),
        "goal": rng.choice(cat.goals),
        "duration": duration,
        "fps": FPS,
        "palette": [list(c) for c in cat.palette],
        "texture": cat.texture,
        "motion": cat.motion,
    }
    steps = _plan_steps(cat, duration, rng)
    shots = _plan_shots(steps, rng)
    spec["steps"] = steps
    spec["shots"] = shots
    tree = _build_tree(shots)
    texts = _Texts(cat, spec, rng)
    nodes, spec["nodes"] = _nodes(tree, shots, texts, rng)
    spec["video_uid"] = uid
    metadata = _metadata(texts, steps, rng, duration, _transcript_draw(seed, index))
    return {"video_uid": uid, "metadata": metadata, "nodes": nodes, "_spec": spec}


def _steps_of_node(n: dict, shots: list[dict], steps: list[dict]) -> tuple[list[int], int]:
    """The step positions a tree node spans, and its dominant one: the longest, ties to the later
    one; a title card only if nothing else."""
    poss = sorted({shots[k]["step_pos"] for k in range(n["i"], n["j"])})
    overlap = {}
    for k in range(n["i"], n["j"]):
        p = shots[k]["step_pos"]
        overlap[p] = overlap.get(p, 0.0) + shots[k]["end"] - shots[k]["start"]
    real = {p: v for p, v in overlap.items() if steps[p]["kind"] != "title"} or overlap
    return poss, max(real, key=lambda p: (real[p], p))


def _gpt(n: dict, poss: list[int], dominant: int, texts: _Texts) -> dict | None:
    """The node's ``gpt`` fields: on internal nodes of at least GPT_MIN_SECONDS, else None."""
    if not n["children"] or f32(n["end"]) - f32(n["start"]) < GPT_MIN_SECONDS:
        return None
    a_brief, a_detailed, actor = texts.action(dominant)
    motion = texts.cat.motion
    return {
        "summary": {
            "brief": texts.summary_brief(poss, n["level"] == 0, (n["start"], n["end"])),
            "detailed": texts.summary_detailed(poss, n["level"] == 0, n["j"] - n["i"], motion,
                                               (n["start"], n["end"])),
        },
        "action": {"brief": a_brief, "detailed": a_detailed, "actor": actor},
    }


def _nodes(tree: list[dict], shots: list[dict], texts: _Texts,
           rng: random.Random) -> tuple[list[dict], dict[str, dict]]:
    """The release's nodes of the tree, and the spec's view of each (steps, dominant, children)."""
    steps = texts.spec["steps"]
    motion = texts.cat.motion
    ids = [make_uuid(rng) for _ in tree]
    nodes = []
    spec_nodes = {}
    for n_idx, n in enumerate(tree):
        poss, dominant = _steps_of_node(n, shots, steps)
        is_leaf = not n["children"]
        gpt = _gpt(n, poss, dominant, texts)
        mid = (n["start"] + n["end"]) / 2
        mid_pos = next(s["step_pos"] for s in shots[n["i"]:n["j"]] if s["start"] <= mid <= s["end"])
        nodes.append({
            "node_id": ids[n_idx],
            "parent_id": ids[n["parent"]] if n["parent"] is not None else None,
            "level": n["level"],
            "start": n["start"],
            "end": n["end"],
            "plm_action": texts.plm_action(dominant) if rng.random() < 0.97 else None,
            "plm_caption": texts.plm_caption(poss, motion) if rng.random() < 0.99 else None,
            "llama3_caption": texts.llama3_caption(mid_pos) if is_leaf else None,
            "gpt": gpt,
        })
        spec_nodes[ids[n_idx]] = {
            "steps": poss,
            "dominant": dominant,
            "children": [ids[c] for c in n["children"]],
        }
    return nodes, spec_nodes


def _transcript_draw(seed: int, index: int) -> float:
    """A low-discrepancy draw in [0, 1): about 72% of any run of videos has a transcript (real data:
    72%), 14% an empty one."""
    return ((index + 7 * seed) * 0.6180339887498949 + 0.5) % 1.0


def _transcript(texts: _Texts, steps: list[dict], rng: random.Random, draw: float) -> list[dict] | None:
    """Timed lines: what each step says, and a second, loosely spoken line in long steps."""
    if draw >= 0.86:
        return None
    if draw >= 0.72:
        return []
    transcript = []
    for st in steps:
        kind, step = texts.step_of(steps.index(st))
        say = TITLE_CARD["say"] if kind == "title" else step.say
        t = st["start"] + rng.uniform(0.1, 0.6)
        transcript.append({"time": str(round(t, 2)), "text": say})
        if kind == "step" and st["end"] - st["start"] > 4.0:
            t2 = (st["start"] + st["end"]) / 2 + rng.uniform(-0.5, 0.5)
            line = f"you  want  to  {step.verb.replace(' ', '  ')}  the  {step.bare.replace(' ', '  ')}  like  this"
            transcript.append({"time": str(round(t2, 2)), "text": line})
    return transcript


def _metadata(texts: _Texts, steps: list[dict], rng: random.Random, duration: float, draw: float) -> dict:
    """The video's metadata: title, description, counts, upload date and transcript."""
    cat = texts.cat
    tools = [cat.steps[s["step"]].tool for s in steps if s["kind"] == "step"]
    objs = [cat.steps[s["step"]].obj for s in steps if s["kind"] == "step"]
    goal = texts.goal
    description = (
        f"In this {cat.topic} video I show you how to {goal}. You will need {tools[1]} and {tools[-1]}, "
        f"plus {objs[0]}. It is easier than it looks! Don't forget to like and subscribe for more {cat.topic} videos."
    )
    views = int(10 ** rng.uniform(2.0, 6.5))
    transcript = _transcript(texts, steps, rng, draw)
    return {
        "title": rng.choice(cat.titles).format(Goal=_title_case(goal)),
        "description": description,
        "view_count": views,
        "like_count": int(views * rng.uniform(0.005, 0.04)),
        "duration": int(duration),
        "upload_date": (_dt.date(2008, 1, 1) + _dt.timedelta(days=rng.randrange(4500))).strftime("%Y%m%d"),
        "transcript": transcript,
    }


def generate_rows(videos: int, seed: int) -> list[dict]:
    """Clean release rows for ``videos`` videos; each row also holds the hidden ``_spec``."""
    return [generate_video(seed, i) for i in range(videos)]


def release_row(row: dict) -> dict:
    """The row without the hidden spec (what goes into the parquet)."""
    return {k: v for k, v in row.items() if not k.startswith("_")}
