"""Known faults injected into release rows, with a truth record for each.

Three families of kinds:

- ``existing``: the original nine kinds (``FAULT_KINDS``), the default;
- ``fine``: realistic captioner errors, one word or one copy away from the truth
  (FactVC-style): an object replaced by another object of the same video, the action verb
  replaced by its opposite, a changed count, a swapped colour, the actor's gender swapped,
  a segment whose five fields are its parent's;
- ``unfamiliar``: the existing ideas done differently: an action text moved in from a
  distant segment of the same video, an object nothing else mentions appended to the
  summary, another video's actor.

A fine or unfamiliar kind applies only where its word exists (no colour, no colour swap),
so ``rate`` is a share of the *eligible* audited segments; :func:`inject` reports how many
were eligible per kind.

Works on any Action100M release rows (the generated sample or real data such as the 5
public example videos): it only needs ``video_uid`` and ``nodes`` with ``node_id``,
``parent_id``, ``level``, ``start``, ``end`` and ``gpt``; missing fields are tolerated.
The input rows are never modified; faulty deep copies are returned.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Iterable

from . import text_faults as tf
from .vocab import FOREIGN_ACTORS, HALLUCINATION_OBJECTS, REFUSALS

NA = "N/A"

FAULT_KINDS: tuple[str, ...] = (
    "swap_cross_video",
    "swap_within_video",
    "hallucinated_object",
    "wrong_actor",
    "moved_boundaries",
    "degenerate_text",
    "brief_contradicts_detailed",
    "parent_mismatch",
    "wrong_na",
)

FINE_KINDS: tuple[str, ...] = (
    "object_swap_same_video",
    "opposite_action",
    "changed_number",
    "swapped_colour",
    "swapped_gender",
    "copied_from_parent",
)

UNFAMILIAR_KINDS: tuple[str, ...] = (
    "distant_action_moved",
    "unmentioned_object_appended",
    "other_video_actor",
)

#: family name -> its kinds; every truth record of an explicit-kinds call names its family
FAMILIES: dict[str, tuple[str, ...]] = {"existing": FAULT_KINDS, "fine": FINE_KINDS, "unfamiliar": UNFAMILIAR_KINDS}
ALL_KINDS: tuple[str, ...] = FAULT_KINDS + FINE_KINDS + UNFAMILIAR_KINDS

DEGENERATE_VARIANTS = ("repetition", "truncation", "refusal")


def fault_family(kind: str) -> str:
    """The family of a fault kind ("existing", "fine" or "unfamiliar")."""
    for name, kinds in FAMILIES.items():
        if kind in kinds:
            return name
    raise ValueError(f"unknown fault kind {kind!r}")


# --------------------------------------------------------------------------- helpers


def _get(gpt: dict | None, group: str, key: str) -> str | None:
    if not isinstance(gpt, dict):
        return None
    sub = gpt.get(group)
    if not isinstance(sub, dict):
        return None
    value = sub.get(key)
    return value if isinstance(value, str) else None


def _set(node: dict, group: str, key: str, value: str) -> None:
    gpt = node.get("gpt")
    if not isinstance(gpt, dict):
        gpt = node["gpt"] = {}
    sub = gpt.get(group)
    if not isinstance(sub, dict):
        sub = gpt[group] = {}
    sub[key] = value


def _is_na(text: str | None) -> bool:
    return text is None or text.strip().upper() in {"N/A", "NA", ""}


def _strings(obj) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if not str(k).startswith("_"):
                yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)


def _short(text: str | None, n: int = 60) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= n else text[: n - 3] + "..."


def _first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return (m.group(1) if m else text.strip()).rstrip(".!?")


def _pick(rng: random.Random, candidates: list, fits, tries: int = 64):
    """A uniform random candidate that ``fits``, or None: rejection sampling first (the
    pools are large and mostly fit), a full scan only when that fails. Keeps injection
    linear in the number of videos instead of quadratic."""
    if not candidates:
        return None
    for _ in range(tries):
        c = rng.choice(candidates)
        if fits(c):
            return c
    pool = [c for c in candidates if fits(c)]
    return rng.choice(pool) if pool else None


class _Ctx:
    """Indexes of the (clean) input rows."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.gpt_nodes: list[tuple[int, int]] = []
        self.gpt_by_row: list[list[tuple[int, int]]] = []
        self.gpt_by_level: dict[int, list[tuple[int, int]]] = {}
        self.children: list[dict[str, list[int]]] = []
        self.by_id: list[dict[str, int]] = []
        self.text: list[str] = []
        self.video_end: list[float] = []
        for ri, row in enumerate(rows):
            nodes = row.get("nodes") or []
            kids: dict[str, list[int]] = {}
            ids: dict[str, int] = {}
            first = len(self.gpt_nodes)
            for ni, node in enumerate(nodes):
                if node.get("node_id") is not None:
                    ids[node["node_id"]] = ni
                if node.get("parent_id") is not None:
                    kids.setdefault(node["parent_id"], []).append(ni)
                if isinstance(node.get("gpt"), dict) and node.get("node_id") is not None:
                    self.gpt_nodes.append((ri, ni))
                    self.gpt_by_level.setdefault(node.get("level") or 0, []).append((ri, ni))
            self.gpt_by_row.append(self.gpt_nodes[first:])
            self.children.append(kids)
            self.by_id.append(ids)
            self.text.append(" ".join(_strings(row)).lower())
            ends = [float(n["end"]) for n in nodes if n.get("end") is not None]
            self.video_end.append(max(ends) if ends else 0.0)

    def node(self, c: tuple[int, int]) -> dict:
        return self.rows[c[0]]["nodes"][c[1]]

    def family(self, c: tuple[int, int]) -> set[tuple[int, int]]:
        ri, ni = c
        node = self.node(c)
        out = {(ri, k) for k in self.children[ri].get(node.get("node_id"), [])}
        parent = self.by_id[ri].get(node.get("parent_id"))
        if parent is not None:
            out.add((ri, parent))
        return out

    def gpt_children(self, c: tuple[int, int]) -> int:
        ri, _ = c
        kids = self.children[ri].get(self.node(c).get("node_id"), [])
        return sum(1 for k in kids if isinstance(self.rows[ri]["nodes"][k].get("gpt"), dict))

    def n_children(self, c: tuple[int, int]) -> int:
        return len(self.children[c[0]].get(self.node(c).get("node_id"), []))

    def parent(self, c: tuple[int, int]) -> tuple[int, int] | None:
        p = self.by_id[c[0]].get(self.node(c).get("parent_id"))
        return None if p is None else (c[0], p)

    @cached_property
    def objects(self) -> list[list[str]]:
        """Per row, the sorted objects of its action phrases ("Whisk eggs" -> "eggs")."""
        return [sorted({o for c in nodes if (o := tf.action_object(_get(self.node(c)["gpt"], "action", "brief")))})
                for nodes in self.gpt_by_row]

    @cached_property
    def actors(self) -> list[list[str]]:
        """Per row, its sorted distinct actors (N/A left out)."""
        return [sorted({a.strip() for c in nodes if not _is_na(a := _get(self.node(c)["gpt"], "action", "actor"))})
                for nodes in self.gpt_by_row]

    def foreign(self, ri: int, pools: list[list[str]]) -> list[str]:
        """Items of the OTHER rows' pools that row ``ri``'s text never mentions."""
        key = (ri, id(pools))
        cache = self.__dict__.setdefault("_foreign", {})
        if key not in cache:
            cache[key] = sorted({x for rj, pool in enumerate(pools) if rj != ri for x in pool
                                 if x.lower() not in self.text[ri]})
        return cache[key]


def _overlaps(a: dict, b: dict) -> bool:
    try:
        return float(a["start"]) < float(b["end"]) and float(b["start"]) < float(a["end"])
    except (KeyError, TypeError):
        return True


def _gap(a: dict, b: dict) -> float:
    """Seconds between two segments (0 when they overlap)."""
    try:
        return max(0.0, float(b["start"]) - float(a["end"]), float(a["start"]) - float(b["end"]))
    except (KeyError, TypeError):
        return 0.0


# --------------------------------------------------------------------------- fine and unfamiliar kinds
# Each maker returns ``(new_gpt, detail)`` for candidate ``c``, or None where the kind does not
# fit; the injector applies it only when the text really changes.

Made = tuple[dict, str] | None


def _gpt(ctx: _Ctx, c: tuple[int, int]) -> dict:
    return ctx.node(c)["gpt"]


def _object_swap_choices(ctx: _Ctx, c: tuple[int, int]) -> tuple[str | None, list[str]]:
    own = tf.action_object(_get(_gpt(ctx, c), "action", "brief"))
    if own is None:
        return None, []
    seg_text = " ".join(t for f in tf.GPT_FIELDS if (t := tf.field(_gpt(ctx, c), f)))
    words = set(own.split())
    return own, [o for o in ctx.objects[c[0]] if not (set(o.split()) & words)
                 and not tf.object_pattern(o).search(seg_text)]


def _object_swap(ctx: _Ctx, c, rng: random.Random) -> Made:
    own, choices = _object_swap_choices(ctx, c)
    return tf.apply_object_swap(_gpt(ctx, c), own, rng.choice(choices)) if choices else None


def _copied_from_parent(ctx: _Ctx, c, rng: random.Random) -> Made:
    p = ctx.parent(c)
    if p is None or not isinstance(_gpt(ctx, p), dict) or _gpt(ctx, p) == _gpt(ctx, c):
        return None
    return copy.deepcopy(_gpt(ctx, p)), f"all five gpt fields copied from the parent node {ctx.node(p).get('node_id')}"


def _distant_choices(ctx: _Ctx, c) -> list[tuple[int, int]]:
    """Same-video segments at least a quarter of the video away, with another action text."""
    me, far = ctx.node(c), 0.25 * ctx.video_end[c[0]]
    mine = (_get(me["gpt"], "action", "brief") or "").strip().lower()
    return [p for p in ctx.gpt_by_row[c[0]] if p != c and _gap(me, ctx.node(p)) >= far > 0
            and not _is_na(b := _get(_gpt(ctx, p), "action", "brief")) and b.strip().lower() != mine]


def _distant_action(ctx: _Ctx, c, rng: random.Random) -> Made:
    choices = _distant_choices(ctx, c)
    if not choices:
        return None
    p = rng.choice(choices)
    new = copy.deepcopy(_gpt(ctx, c))
    for key in ("brief", "detailed"):
        value = _get(_gpt(ctx, p), "action", key)
        if value is not None:
            new.setdefault("action", {})[key] = value
    return new, (f"action.brief and action.detailed moved in from node {ctx.node(p).get('node_id')}, "
                 f"{_gap(ctx.node(c), ctx.node(p)):.1f} s away ({_short(_get(_gpt(ctx, p), 'action', 'brief'), 40)!r})")


def _appended_object(ctx: _Ctx, c, rng: random.Random) -> Made:
    choices = ctx.foreign(c[0], ctx.objects)
    return tf.apply_appended_object(_gpt(ctx, c), rng.choice(choices), rng) if choices else None


def _other_video_actor(ctx: _Ctx, c, rng: random.Random) -> Made:
    old = _get(_gpt(ctx, c), "action", "actor")
    choices = ctx.foreign(c[0], ctx.actors)
    if _is_na(old) or not choices:
        return None
    new_actor = rng.choice(choices)
    new = copy.deepcopy(_gpt(ctx, c))
    new["action"]["actor"] = new_actor
    return new, f"actor {_short(old, 50)!r} replaced by another video's actor {_short(new_actor, 50)!r}"


def _text_maker(apply: Callable[[dict, random.Random], Made]):
    return lambda ctx, c, rng: apply(_gpt(ctx, c), rng)


MAKERS: dict[str, Callable[[_Ctx, tuple[int, int], random.Random], Made]] = {
    "object_swap_same_video": _object_swap,
    "opposite_action": _text_maker(tf.apply_opposite_verb),
    "changed_number": _text_maker(tf.apply_changed_number),
    "swapped_colour": _text_maker(tf.apply_swapped_colour),
    "swapped_gender": _text_maker(tf.apply_swapped_gender),
    "copied_from_parent": _copied_from_parent,
    "distant_action_moved": _distant_action,
    "unmentioned_object_appended": _appended_object,
    "other_video_actor": _other_video_actor,
}


# --------------------------------------------------------------------------- eligibility


def _other_row_has(ctx: _Ctx, c, group: str, key: str) -> bool:
    """Does a row other than ``c``'s hold a gpt node with a non-empty ``group.key``?"""
    cache = ctx.__dict__.setdefault("_rows_with", {})
    if (group, key) not in cache:
        cache[(group, key)] = [ri for ri, nodes in enumerate(ctx.gpt_by_row)
                               if any(_get(_gpt(ctx, p), group, key) for p in nodes)][:2]
    return any(ri != c[0] for ri in cache[(group, key)])


def _eligible_swap_within(ctx: _Ctx, c) -> bool:
    me, mine = ctx.node(c), _get(_gpt(ctx, c), "summary", "brief")
    fam = ctx.family(c)
    return any(p != c and p not in fam and not _overlaps(me, ctx.node(p))
               and _get(_gpt(ctx, p), "summary", "brief") != mine for p in ctx.gpt_by_row[c[0]])


def _eligible_moved(ctx: _Ctx, c) -> bool:
    n = ctx.node(c)
    return (n.get("parent_id") is not None and n.get("start") is not None and n.get("end") is not None
            and float(n["end"]) > float(n["start"]) and ctx.video_end[c[0]] > 0)


ELIGIBLE: dict[str, Callable[[_Ctx, tuple[int, int]], bool]] = {
    "swap_cross_video": lambda ctx, c: _other_row_has(ctx, c, "summary", "brief"),
    "swap_within_video": _eligible_swap_within,
    "hallucinated_object": lambda ctx, c: any(h[0] not in ctx.text[c[0]] for h in HALLUCINATION_OBJECTS),
    "wrong_actor": lambda ctx, c: not _is_na(_get(_gpt(ctx, c), "action", "actor"))
    and any(k not in ctx.text[c[0]] for k, _ in FOREIGN_ACTORS),
    "moved_boundaries": _eligible_moved,
    "degenerate_text": lambda ctx, c: True,
    "brief_contradicts_detailed": lambda ctx, c: any(
        not _is_na(_get(_gpt(ctx, p), "action", "brief")) and p != c for p in ctx.gpt_nodes[:2000]),
    "parent_mismatch": lambda ctx, c: (ctx.gpt_children(c) >= 1 or ctx.n_children(c) >= 2)
    and _other_row_has(ctx, c, "summary", "detailed"),
    "wrong_na": lambda ctx, c: not _is_na(_get(_gpt(ctx, c), "action", "brief")),
    "object_swap_same_video": lambda ctx, c: bool(_object_swap_choices(ctx, c)[1]),
    "opposite_action": lambda ctx, c: tf.find_verb(_gpt(ctx, c)) is not None,
    "changed_number": lambda ctx, c: tf.find_number(_gpt(ctx, c)) is not None,
    "swapped_colour": lambda ctx, c: tf.find_colour(_gpt(ctx, c)) is not None,
    "swapped_gender": lambda ctx, c: tf.find_gender(_gpt(ctx, c)) is not None,
    "copied_from_parent": lambda ctx, c: (p := ctx.parent(c)) is not None and isinstance(_gpt(ctx, p), dict)
    and _gpt(ctx, p) != _gpt(ctx, c),
    "distant_action_moved": lambda ctx, c: bool(_distant_choices(ctx, c)),
    "unmentioned_object_appended": lambda ctx, c: bool(ctx.foreign(c[0], ctx.objects))
    and bool(_get(_gpt(ctx, c), "summary", "brief") or _get(_gpt(ctx, c), "summary", "detailed")),
    "other_video_actor": lambda ctx, c: not _is_na(_get(_gpt(ctx, c), "action", "actor"))
    and bool(ctx.foreign(c[0], ctx.actors)),
}


@dataclass
class Injection:
    """What :func:`inject` did: the faulty rows, one truth record per faulted segment, and
    how many audited segments each kind could have faulted (its word or source existed)."""

    rows: list[dict]
    truth: list[dict]
    rate: float
    kinds: tuple[str, ...]
    audited: int = 0  # gpt-bearing segments
    eligible: int = 0  # segments at least one requested kind fits
    eligible_per_kind: dict[str, int] = field(default_factory=dict)
    target: int = 0  # round(rate * eligible)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in self.kinds}
        for t in self.truth:
            out[t["fault"]] = out.get(t["fault"], 0) + 1
        return out


# --------------------------------------------------------------------------- injection


def inject_faults(rows: list[dict], seed: int, rate: float = 0.25,
                  kinds: Iterable[str] | None = None) -> tuple[list[dict], list[dict]]:
    """``(faulty_rows, truth)`` of :func:`inject` (the default: the nine existing kinds)."""
    got = inject(rows, seed, rate, kinds)
    return got.rows, got.truth


class _Injector:
    """The state of one :func:`inject` call: faulty copies, what is faulted, and the truth."""

    def __init__(self, ctx: _Ctx, out: list[dict], rng: random.Random, named: bool):
        self.ctx, self.out, self.rng, self.named = ctx, out, rng, named
        self.faulted: set[tuple[int, int]] = set()
        self.blocked: set[tuple[int, int]] = set()  # parents and children of faulted nodes
        self.records: list[tuple[tuple[int, int], dict]] = []
        self.degenerate_count = 0  # deals the degenerate variants round-robin

    def mark(self, c: tuple[int, int], kind: str, detail: str) -> None:
        self.faulted.add(c)
        self.blocked.update(self.ctx.family(c))
        node = self.ctx.node(c)
        rec = {"type": "fault", "video_id": self.ctx.rows[c[0]].get("video_uid"),
               "segment_id": node.get("node_id"), "fault": kind, "detail": detail}
        if self.named:
            rec["family"] = fault_family(kind)
        self.records.append((c, rec))

    def ok(self, c: tuple[int, int], strict: bool) -> bool:
        return c not in self.faulted and not (strict and c in self.blocked)

    def onode(self, c: tuple[int, int]) -> dict:
        """The faulty copy of node ``c``."""
        return self.out[c[0]]["nodes"][c[1]]

    def run(self, kinds: list[str], order: list[tuple[int, int]], target: int) -> None:
        """Deal ``kinds`` round-robin over ``order`` until ``target`` nodes are faulted."""
        dead: set[str] = set()
        k_i = 0
        # Per (kind, strictness) cursor into ``order``: a node passed over once (faulted,
        # blocked, or unfit for that kind) is not looked at again, so injection stays linear.
        cursor: dict[tuple[str, bool], int] = {}
        while len(self.faulted) < target and len(dead) < len(kinds):
            kind = kinds[k_i % len(kinds)]
            k_i += 1
            if kind in dead:
                continue
            done = False
            for strict in (True, False):
                i = cursor.get((kind, strict), 0)
                while i < len(order):
                    c = order[i]
                    i += 1
                    if self.ok(c, strict) and APPLY[kind](self, c, strict):
                        done = True
                        break
                cursor[(kind, strict)] = i
                if done:
                    break
            if not done:
                dead.add(kind)


# ---- one function per existing kind: apply to candidate c, return True if applied

def _swap_cross_video(inj: _Injector, c, strict: bool) -> bool:
    ctx = inj.ctx

    def fits(p):
        return p[0] != c[0] and bool(_get(ctx.node(p)["gpt"], "summary", "brief"))

    level = ctx.node(c).get("level") or 0
    src = None
    for lv in sorted(ctx.gpt_by_level, key=lambda lv: (abs(lv - level), lv)):  # nearest level first
        src = _pick(inj.rng, ctx.gpt_by_level[lv], fits)
        if src is not None:
            break
    if src is None:
        return False
    inj.onode(c)["gpt"] = copy.deepcopy(ctx.node(src)["gpt"])
    s = ctx.node(src)
    inj.mark(c, "swap_cross_video", f"all gpt fields taken from video {ctx.rows[src[0]].get('video_uid')} "
                                    f"node {s.get('node_id')} (level {s.get('level')})")
    return True


def _swap_within_video(inj: _Injector, c, strict: bool) -> bool:
    ctx = inj.ctx
    me = ctx.node(c)
    mine = _get(me["gpt"], "summary", "brief")
    pool = [p for p in ctx.gpt_by_row[c[0]] if p != c and inj.ok(p, strict)
            and p not in ctx.family(c) and not _overlaps(me, ctx.node(p))
            and _get(ctx.node(p)["gpt"], "summary", "brief") != mine]
    if strict:
        pool = [p for p in pool if not (ctx.family(p) & inj.faulted)]
    if not pool:
        return False
    p = inj.rng.choice(pool)
    inj.onode(c)["gpt"] = copy.deepcopy(ctx.node(p)["gpt"])
    inj.onode(p)["gpt"] = copy.deepcopy(me["gpt"])
    inj.mark(c, "swap_within_video", f"gpt fields exchanged with node {ctx.node(p).get('node_id')}")
    inj.mark(p, "swap_within_video", f"gpt fields exchanged with node {me.get('node_id')}")
    return True


def _hallucinated_object(inj: _Injector, c, strict: bool) -> bool:
    text = inj.ctx.text[c[0]]
    choices = [h for h in HALLUCINATION_OBJECTS if h[0] not in text]
    if not choices:
        return False
    key, clause, sentence = inj.rng.choice(choices)
    node = inj.onode(c)
    brief = (_get(node["gpt"], "summary", "brief") or "").strip().rstrip(".")
    detailed = (_get(node["gpt"], "summary", "detailed") or "").strip()
    _set(node, "summary", "brief", f"{brief}, {clause}." if brief else f"{clause[0].upper()}{clause[1:]}.")
    _set(node, "summary", "detailed", f"{detailed} {sentence}".strip())
    inj.mark(c, "hallucinated_object", f"added a {key} that appears nowhere in the video's texts")
    return True


def _wrong_actor(inj: _Injector, c, strict: bool) -> bool:
    old = _get(inj.ctx.node(c)["gpt"], "action", "actor")
    if _is_na(old):
        return False
    text = inj.ctx.text[c[0]]
    choices = [a for k, a in FOREIGN_ACTORS if k not in text]
    if not choices:
        return False
    new = inj.rng.choice(choices)
    _set(inj.onode(c), "action", "actor", new)
    inj.mark(c, "wrong_actor", f"actor {_short(old, 50)!r} replaced by {new!r}")
    return True


def _moved_boundaries(inj: _Injector, c, strict: bool) -> bool:
    node = inj.ctx.node(c)
    if node.get("parent_id") is None or node.get("start") is None or node.get("end") is None:
        return False
    start, end = float(node["start"]), float(node["end"])
    dur = end - start
    vend = inj.ctx.video_end[c[0]]
    if dur <= 0 or vend <= 0:
        return False
    frac = inj.rng.uniform(0.25, 0.6)
    delta = frac * dur * inj.rng.choice((-1.0, 1.0))
    if start + delta < 0 or end + delta > vend:
        delta = -delta
    if start + delta < 0 or end + delta > vend:  # too long to move either way: shrink instead
        new_start, new_end = start + abs(delta), end
    else:
        new_start, new_end = start + delta, end + delta
    new_start, new_end = round(new_start, 2), round(new_end, 2)
    inj.onode(c)["start"], inj.onode(c)["end"] = new_start, new_end
    inj.mark(c, "moved_boundaries", f"[{start:.2f}, {end:.2f}] -> [{new_start:.2f}, {new_end:.2f}] "
                                    f"({frac:.0%} of {dur:.2f} s)")
    return True


def _degenerate_text(inj: _Injector, c, strict: bool) -> bool:
    rng, gpt = inj.rng, inj.ctx.node(c)["gpt"]
    node = inj.onode(c)
    variant = DEGENERATE_VARIANTS[inj.degenerate_count % len(DEGENERATE_VARIANTS)]
    detailed = _get(gpt, "summary", "detailed") or ""
    if variant == "truncation":
        lo, hi = int(len(detailed) * 0.35), int(len(detailed) * 0.65)
        cuts = [i for i in range(max(lo, 1), hi) if detailed[i - 1].isalpha() and detailed[i].isalpha()
                and i >= 2 and detailed[i - 2].isalpha()]
        if not cuts:
            variant = "refusal"
        else:
            cut = rng.choice(cuts)
            _set(node, "summary", "detailed", detailed[:cut])
            detail = f"truncation: cut mid-word at character {cut} of {len(detailed)}"
    if variant == "repetition":
        base = _get(gpt, "action", "detailed")
        if _is_na(base):
            base = _get(gpt, "summary", "brief") or "the person does the task"
        sentence = _first_sentence(base)
        sentence = sentence[:1].lower() + sentence[1:]
        n = rng.randint(6, 9)
        _set(node, "summary", "detailed", " ".join([f"{sentence}."] * n))
        detail = f"repetition: one sentence repeated {n} times"
    if variant == "refusal":
        _set(node, "summary", "detailed", rng.choice(REFUSALS))
        detail = "refusal: boilerplate instead of a description"
    inj.degenerate_count += 1
    inj.mark(c, "degenerate_text", detail)
    return True


def _other_action_source(inj: _Injector, c) -> tuple[int, int] | None:
    """A gpt node of another video (else a non-overlapping one of this video) with another action."""
    ctx, rng = inj.ctx, inj.rng
    mine = (_get(ctx.node(c)["gpt"], "action", "brief") or "").strip().lower()

    def fits(p):
        brief = _get(ctx.node(p)["gpt"], "action", "brief")
        return (not _is_na(brief) and brief.strip().lower() != mine
                and _get(ctx.node(p)["gpt"], "summary", "brief"))
    p = _pick(rng, ctx.gpt_nodes, lambda p: p[0] != c[0] and fits(p))
    if p is None:
        p = _pick(rng, ctx.gpt_by_row[c[0]], lambda p: p != c and fits(p) and not _overlaps(ctx.node(c), ctx.node(p)))
    return p


def _brief_contradicts_detailed(inj: _Injector, c, strict: bool) -> bool:
    picked = _other_action_source(inj, c)
    if picked is None:
        return False
    src = inj.ctx.node(picked)
    node = inj.onode(c)
    _set(node, "summary", "brief", _get(src["gpt"], "summary", "brief"))
    _set(node, "action", "brief", _get(src["gpt"], "action", "brief"))
    inj.mark(c, "brief_contradicts_detailed", f"summary.brief and action.brief from node {src.get('node_id')} "
                                              f"({_short(_get(src['gpt'], 'action', 'brief'), 40)!r})")
    return True


def _parent_mismatch(inj: _Injector, c, strict: bool) -> bool:
    ctx = inj.ctx
    if ctx.gpt_children(c) < 1 and ctx.n_children(c) < 2:
        return False
    sp = _pick(inj.rng, ctx.gpt_nodes,
               lambda p: p[0] != c[0] and bool(_get(ctx.node(p)["gpt"], "summary", "detailed")))
    if sp is None:
        return False
    src = ctx.node(sp)
    node = inj.onode(c)
    _set(node, "summary", "brief", _get(src["gpt"], "summary", "brief") or "")
    _set(node, "summary", "detailed", _get(src["gpt"], "summary", "detailed"))
    inj.mark(c, "parent_mismatch", f"summary taken from unrelated node {src.get('node_id')} of video "
                                   f"{ctx.rows[sp[0]].get('video_uid')}; the children no longer match it")
    return True


def _wrong_na(inj: _Injector, c, strict: bool) -> bool:
    old = _get(inj.ctx.node(c)["gpt"], "action", "brief")
    if _is_na(old):
        return False
    node = inj.onode(c)
    for key in ("brief", "detailed", "actor"):
        _set(node, "action", key, NA)
    inj.mark(c, "wrong_na", f"action {_short(old, 40)!r} (visible) set to N/A")
    return True


def _made(kind: str) -> Callable[[_Injector, tuple[int, int], bool], bool]:
    """A fine / unfamiliar kind: its MAKERS entry, applied only when the text really changes."""
    def apply_made(inj: _Injector, c, strict: bool) -> bool:
        got = MAKERS[kind](inj.ctx, c, inj.rng)
        if got is None or got[0] == inj.ctx.node(c)["gpt"]:  # a fault must change the text
            return False
        inj.onode(c)["gpt"] = got[0]
        inj.mark(c, kind, got[1])
        return True
    return apply_made


APPLY: dict[str, Callable[[_Injector, tuple[int, int], bool], bool]] = {
    "swap_cross_video": _swap_cross_video,
    "swap_within_video": _swap_within_video,
    "hallucinated_object": _hallucinated_object,
    "wrong_actor": _wrong_actor,
    "moved_boundaries": _moved_boundaries,
    "degenerate_text": _degenerate_text,
    "brief_contradicts_detailed": _brief_contradicts_detailed,
    "parent_mismatch": _parent_mismatch,
    "wrong_na": _wrong_na,
    **{k: _made(k) for k in MAKERS},
}


def _eligibility(ctx: _Ctx, kinds: list[str]) -> tuple[dict[str, int], int]:
    """(eligible nodes per kind, nodes that at least one kind fits)."""
    per_kind = {k: 0 for k in kinds}
    eligible = 0
    for c in ctx.gpt_nodes:
        fits = [k for k in kinds if ELIGIBLE[k](ctx, c)]
        for k in fits:
            per_kind[k] += 1
        eligible += bool(fits)
    return per_kind, eligible


def inject(rows: list[dict], seed: int, rate: float = 0.25, kinds: Iterable[str] | None = None) -> Injection:
    """Fault about ``rate`` of the eligible gpt-bearing nodes of ``rows``, one fault per node.

    A node is eligible when at least one of ``kinds`` fits it (every node fits
    ``degenerate_text``, so with the default kinds every gpt node is eligible). Kinds are
    dealt round-robin (a kind that fits no remaining node is dropped), nodes are taken in
    a seeded random order, and a node whose parent or child is already faulted is skipped
    while another choice exists. Truth records are
    ``{"type": "fault", "video_id", "segment_id", "fault", "detail"}``, sorted by row and
    node order, plus ``"family"`` when ``kinds`` is given: the default call's output is
    kept byte for byte as samples written before had it (its family is "existing").
    Deterministic by ``seed``.
    """
    named = kinds is not None
    kinds = list(FAULT_KINDS if kinds is None else kinds)
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(ALL_KINDS)}")
    ctx = _Ctx(rows)
    inj = _Injector(ctx, copy.deepcopy(rows), random.Random(f"videoaudit-sample/faults/{seed}"), named)
    order = list(ctx.gpt_nodes)
    inj.rng.shuffle(order)
    per_kind, eligible = _eligibility(ctx, kinds)
    target = round(rate * eligible)
    if rate > 0 and eligible and target == 0:
        target = 1
    inj.run(kinds, order, target)
    records = sorted(inj.records, key=lambda r: r[0])
    return Injection(rows=inj.out, truth=[r for _, r in records], rate=rate, kinds=tuple(kinds),
                     audited=len(ctx.gpt_nodes), eligible=eligible, eligible_per_kind=per_kind, target=target)


__all__ = ["FAULT_KINDS", "FINE_KINDS", "UNFAMILIAR_KINDS", "FAMILIES", "ALL_KINDS", "DEGENERATE_VARIANTS",
           "Injection", "fault_family", "inject", "inject_faults"]
