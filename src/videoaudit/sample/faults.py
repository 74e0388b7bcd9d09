"""Known faults injected into release rows, with a truth record for each.

Works on any Action100M release rows (the generated sample or real data such as the 5
public example videos): it only needs ``video_uid`` and ``nodes`` with ``node_id``,
``parent_id``, ``level``, ``start``, ``end`` and ``gpt``; missing fields are tolerated.
The input rows are never modified; faulty deep copies are returned.
"""

from __future__ import annotations

import copy
import random
import re
from typing import Iterable

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

DEGENERATE_VARIANTS = ("repetition", "truncation", "refusal")


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


def _overlaps(a: dict, b: dict) -> bool:
    try:
        return float(a["start"]) < float(b["end"]) and float(b["start"]) < float(a["end"])
    except (KeyError, TypeError):
        return True


# --------------------------------------------------------------------------- injection


def inject_faults(rows: list[dict], seed: int, rate: float = 0.25,
                  kinds: Iterable[str] | None = None) -> tuple[list[dict], list[dict]]:
    """Fault about ``rate`` of the gpt-bearing nodes of ``rows``, one fault per node.

    Kinds are dealt round-robin (a kind that fits no remaining node is dropped), nodes
    are taken in a seeded random order, and a node whose parent or child is already
    faulted is skipped while another choice exists. Returns ``(faulty_rows, truth)``:
    deep copies of the rows and one record per faulted node,
    ``{"type": "fault", "video_id", "segment_id", "fault", "detail"}``, sorted by row and
    node order. Deterministic by ``seed``.
    """
    kinds = list(FAULT_KINDS if kinds is None else kinds)
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(FAULT_KINDS)}")
    out = copy.deepcopy(rows)
    ctx = _Ctx(rows)
    rng = random.Random(f"videoaudit-sample/faults/{seed}")
    order = list(ctx.gpt_nodes)
    rng.shuffle(order)
    target = round(rate * len(order))
    if rate > 0 and order and target == 0:
        target = 1
    faulted: set[tuple[int, int]] = set()
    blocked: set[tuple[int, int]] = set()
    records: list[tuple[tuple[int, int], dict]] = []
    dead: set[str] = set()
    variant_counter = [0]

    def mark(c: tuple[int, int], kind: str, detail: str) -> None:
        faulted.add(c)
        blocked.update(ctx.family(c))
        node = ctx.node(c)
        records.append((c, {"type": "fault", "video_id": ctx.rows[c[0]].get("video_uid"),
                            "segment_id": node.get("node_id"), "fault": kind, "detail": detail}))

    def ok(c: tuple[int, int], strict: bool) -> bool:
        return c not in faulted and not (strict and c in blocked)

    def onode(c: tuple[int, int]) -> dict:
        return out[c[0]]["nodes"][c[1]]

    # ---- one function per kind: apply to candidate c, return True if applied
    def swap_cross_video(c, strict):
        def fits(p):
            return p[0] != c[0] and bool(_get(ctx.node(p)["gpt"], "summary", "brief"))

        level = ctx.node(c).get("level") or 0
        src = None
        for lv in sorted(ctx.gpt_by_level, key=lambda lv: (abs(lv - level), lv)):  # nearest level first
            src = _pick(rng, ctx.gpt_by_level[lv], fits)
            if src is not None:
                break
        if src is None:
            return False
        onode(c)["gpt"] = copy.deepcopy(ctx.node(src)["gpt"])
        s = ctx.node(src)
        mark(c, "swap_cross_video", f"all gpt fields taken from video {ctx.rows[src[0]].get('video_uid')} "
                                    f"node {s.get('node_id')} (level {s.get('level')})")
        return True

    def swap_within_video(c, strict):
        me = ctx.node(c)
        mine = _get(me["gpt"], "summary", "brief")
        pool = [p for p in ctx.gpt_by_row[c[0]] if p != c and ok(p, strict)
                and p not in ctx.family(c) and not _overlaps(me, ctx.node(p))
                and _get(ctx.node(p)["gpt"], "summary", "brief") != mine]
        if strict:
            pool = [p for p in pool if not (ctx.family(p) & faulted)]
        if not pool:
            return False
        p = rng.choice(pool)
        onode(c)["gpt"] = copy.deepcopy(ctx.node(p)["gpt"])
        onode(p)["gpt"] = copy.deepcopy(me["gpt"])
        mark(c, "swap_within_video", f"gpt fields exchanged with node {ctx.node(p).get('node_id')}")
        mark(p, "swap_within_video", f"gpt fields exchanged with node {me.get('node_id')}")
        return True

    def hallucinated_object(c, strict):
        text = ctx.text[c[0]]
        choices = [h for h in HALLUCINATION_OBJECTS if h[0] not in text]
        if not choices:
            return False
        key, clause, sentence = rng.choice(choices)
        node = onode(c)
        brief = (_get(node["gpt"], "summary", "brief") or "").strip().rstrip(".")
        detailed = (_get(node["gpt"], "summary", "detailed") or "").strip()
        _set(node, "summary", "brief", f"{brief}, {clause}." if brief else f"{clause[0].upper()}{clause[1:]}.")
        _set(node, "summary", "detailed", f"{detailed} {sentence}".strip())
        mark(c, "hallucinated_object", f"added a {key} that appears nowhere in the video's texts")
        return True

    def wrong_actor(c, strict):
        old = _get(ctx.node(c)["gpt"], "action", "actor")
        if _is_na(old):
            return False
        text = ctx.text[c[0]]
        choices = [a for k, a in FOREIGN_ACTORS if k not in text]
        if not choices:
            return False
        new = rng.choice(choices)
        _set(onode(c), "action", "actor", new)
        mark(c, "wrong_actor", f"actor {_short(old, 50)!r} replaced by {new!r}")
        return True

    def moved_boundaries(c, strict):
        node = ctx.node(c)
        if node.get("parent_id") is None or node.get("start") is None or node.get("end") is None:
            return False
        start, end = float(node["start"]), float(node["end"])
        dur = end - start
        vend = ctx.video_end[c[0]]
        if dur <= 0 or vend <= 0:
            return False
        frac = rng.uniform(0.25, 0.6)
        delta = frac * dur * rng.choice((-1.0, 1.0))
        if start + delta < 0 or end + delta > vend:
            delta = -delta
        if start + delta < 0 or end + delta > vend:  # too long to move either way: shrink instead
            new_start, new_end = start + abs(delta), end
        else:
            new_start, new_end = start + delta, end + delta
        new_start, new_end = round(new_start, 2), round(new_end, 2)
        onode(c)["start"], onode(c)["end"] = new_start, new_end
        mark(c, "moved_boundaries", f"[{start:.2f}, {end:.2f}] -> [{new_start:.2f}, {new_end:.2f}] "
                                    f"({frac:.0%} of {dur:.2f} s)")
        return True

    def degenerate_text(c, strict):
        node = onode(c)
        variant = DEGENERATE_VARIANTS[variant_counter[0] % len(DEGENERATE_VARIANTS)]
        detailed = _get(ctx.node(c)["gpt"], "summary", "detailed") or ""
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
            base = _get(ctx.node(c)["gpt"], "action", "detailed")
            if _is_na(base):
                base = _get(ctx.node(c)["gpt"], "summary", "brief") or "the person does the task"
            sentence = _first_sentence(base)
            sentence = sentence[:1].lower() + sentence[1:]
            n = rng.randint(6, 9)
            _set(node, "summary", "detailed", " ".join([f"{sentence}."] * n))
            detail = f"repetition: one sentence repeated {n} times"
        if variant == "refusal":
            text = rng.choice(REFUSALS)
            _set(node, "summary", "detailed", text)
            detail = "refusal: boilerplate instead of a description"
        variant_counter[0] += 1
        mark(c, "degenerate_text", detail)
        return True

    def _other_action_pool(c, same_video_ok):
        mine = (_get(ctx.node(c)["gpt"], "action", "brief") or "").strip().lower()
        def fits(p):
            brief = _get(ctx.node(p)["gpt"], "action", "brief")
            return (not _is_na(brief) and brief.strip().lower() != mine
                    and _get(ctx.node(p)["gpt"], "summary", "brief"))
        p = _pick(rng, ctx.gpt_nodes, lambda p: p[0] != c[0] and fits(p))
        if p is None and same_video_ok:
            p = _pick(rng, ctx.gpt_by_row[c[0]],
                      lambda p: p != c and fits(p) and not _overlaps(ctx.node(c), ctx.node(p)))
        return p

    def brief_contradicts_detailed(c, strict):
        picked = _other_action_pool(c, same_video_ok=True)
        if picked is None:
            return False
        src = ctx.node(picked)
        node = onode(c)
        _set(node, "summary", "brief", _get(src["gpt"], "summary", "brief"))
        _set(node, "action", "brief", _get(src["gpt"], "action", "brief"))
        mark(c, "brief_contradicts_detailed", f"summary.brief and action.brief from node {src.get('node_id')} "
                                              f"({_short(_get(src['gpt'], 'action', 'brief'), 40)!r})")
        return True

    def parent_mismatch(c, strict):
        if ctx.gpt_children(c) < 1 and ctx.n_children(c) < 2:
            return False
        sp = _pick(rng, ctx.gpt_nodes,
                   lambda p: p[0] != c[0] and bool(_get(ctx.node(p)["gpt"], "summary", "detailed")))
        if sp is None:
            return False
        src = ctx.node(sp)
        node = onode(c)
        _set(node, "summary", "brief", _get(src["gpt"], "summary", "brief") or "")
        _set(node, "summary", "detailed", _get(src["gpt"], "summary", "detailed"))
        mark(c, "parent_mismatch", f"summary taken from unrelated node {src.get('node_id')} of video "
                                   f"{ctx.rows[sp[0]].get('video_uid')}; the children no longer match it")
        return True

    def wrong_na(c, strict):
        old = _get(ctx.node(c)["gpt"], "action", "brief")
        if _is_na(old):
            return False
        node = onode(c)
        for key in ("brief", "detailed", "actor"):
            _set(node, "action", key, NA)
        mark(c, "wrong_na", f"action {_short(old, 40)!r} (visible) set to N/A")
        return True

    apply = {k: v for k, v in locals().items() if k in FAULT_KINDS}

    k_i = 0
    # Per (kind, strictness) cursor into ``order``: a node passed over once (faulted,
    # blocked, or unfit for that kind) is not looked at again, so injection stays linear.
    cursor: dict[tuple[str, bool], int] = {}
    while len(faulted) < target and len(dead) < len(kinds):
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
                if ok(c, strict) and apply[kind](c, strict):
                    done = True
                    break
            cursor[(kind, strict)] = i
            if done:
                break
        if not done:
            dead.add(kind)

    records.sort(key=lambda r: r[0])
    return out, [r for _, r in records]


__all__ = ["FAULT_KINDS", "DEGENERATE_VARIANTS", "inject_faults"]
