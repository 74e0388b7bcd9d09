"""A SIMULATED second annotator for the sample dataset (not a model, not a person).

It stands in for a second opinion (e.g. a video-language model asked to describe the
video and to list timed events) so the audit's agreement signals have something to
compare against without any model. It is generated from the CLEAN rows and their hidden
spec, in different words (synonyms and other sentence structures) from the release's
``gpt`` fields, and it makes its own, recorded, mistakes:

- ``wrong_text``: an event's text describes an action from another category;
- ``missed``: an event is dropped;
- ``shifted``: an event's boundaries move by 30-50 % of its length;
- ``wrong_description``: the video description paraphrases a video of another category.

Every line carries ``"source": "simulated-annotator"``; every mistake is a
``{"type": "annotator_mistake", ...}`` record of ``truth.jsonl``.
"""

from __future__ import annotations

import random

from .vocab import CATEGORIES, CATEGORY_BY_NAME, Category, alt_step_clause, cap, paraphrase, third_person

SOURCE = "simulated-annotator"
MISTAKE_KINDS = ("wrong_text", "missed", "shifted", "wrong_description")
_ALT_CONNECTORS = ("To begin with,", "Afterwards,", "Subsequently,", "Once that is done,", "After this,",
                   "Later on,", "Next up,")


def _describe(cat: Category, actor_idx: int, setting_idx: int, goal: str, steps: list[dict],
              rng: random.Random) -> str:
    actor = cat.actors[actor_idx]
    setting_alt = cat.settings[setting_idx][1]
    parts = [f"This clip was filmed in {setting_alt}.",
             f"{cap(actor.alt_full)} walks the viewer through the process to {paraphrase(goal, rng)}."]
    for n, st in enumerate(steps):
        conn = "At the end," if n == len(steps) - 1 and n > 0 else _ALT_CONNECTORS[min(n, len(_ALT_CONNECTORS) - 1)]
        if st["kind"] == "title":
            clause = "the clip shows an intro screen with the name of the tutorial"
        else:
            step = cat.idle if st["kind"] == "idle" else cat.steps[st["step"]]
            clause = alt_step_clause(actor.alt_short, step, rng)
        parts.append(f"{conn} {clause}.")
    return paraphrase(" ".join(parts), rng)


def _event_text(cat: Category, actor_idx: int, st: dict, rng: random.Random) -> str:
    actor = cat.actors[actor_idx]
    if st["kind"] == "title":
        return "an opening title screen is shown"
    if st["kind"] == "idle":
        return alt_step_clause(actor.alt_short, cat.idle, rng, structure=1)
    step = cat.steps[st["step"]]
    verb = rng.choice(step.alt_verbs)
    obj = rng.choice(step.alt_objs)
    return f"{actor.alt_short} {third_person(verb)} {obj} with {step.alt_tool}"


def _deepest_gpt_nodes(row: dict) -> list[dict]:
    has_gpt = {n["node_id"] for n in row["nodes"] if n.get("gpt")}
    children: dict[str, list[str]] = {}
    for n in row["nodes"]:
        if n.get("parent_id"):
            children.setdefault(n["parent_id"], []).append(n["node_id"])
    out = [n for n in row["nodes"] if n["node_id"] in has_gpt
           and not any(c in has_gpt for c in children.get(n["node_id"], []))]
    return sorted(out, key=lambda n: n["start"])


def simulate_annotator(rows: list[dict], seed: int, mistake_rate: float = 0.10,
                       wrong_description_rate: float = 0.03) -> tuple[list[dict], list[dict]]:
    """Opinion lines and annotator-mistake truth records for clean generated rows (with ``_spec``)."""
    opinions: list[dict] = []
    truth: list[dict] = []
    for row in rows:
        uid = row["video_uid"]
        rng = random.Random(f"videoaudit-sample/annotator/{seed}/{uid}")
        text = _description(row, rng, wrong_description_rate, truth)
        opinions.append({"video_id": uid, "source": SOURCE, "kind": "description", "text": text})
        events = []
        for node in _deepest_gpt_nodes(row):
            ev = _event(row, node, rng, mistake_rate, truth)
            if ev is not None:
                events.append(ev)
        for ev in _flatten(events):
            opinions.append({"video_id": uid, "source": SOURCE, "kind": "event",
                             "start": round(ev["start"], 2), "end": round(ev["end"], 2), "text": ev["text"]})
    return opinions, truth


def _mistake(uid: str, node: dict, kind: str) -> dict:
    return {"type": "annotator_mistake", "video_id": uid, "segment_id": node["node_id"], "mistake": kind}


def _description(row: dict, rng: random.Random, wrong_rate: float, truth: list[dict]) -> str:
    """The video's description; with probability ``wrong_rate`` one of another category (recorded)."""
    spec = row["_spec"]
    cat = CATEGORY_BY_NAME[spec["category"]]
    if rng.random() < wrong_rate:
        others = [c for c in CATEGORIES if c.name != cat.name]
        other = rng.choice(others)
        fake_steps = [{"kind": "step", "step": k} for k in sorted(rng.sample(range(len(other.steps)), 5))]
        text = _describe(other, 0, 0, other.goals[0], fake_steps, rng)
        truth.append(_mistake(row["video_uid"], row["nodes"][0], "wrong_description"))
        return text
    return _describe(cat, spec["actor"], spec["setting"], spec["goal"], spec["steps"], rng)


def _event(row: dict, node: dict, rng: random.Random, mistake_rate: float, truth: list[dict]) -> dict | None:
    """The timed event the annotator reports for ``node`` (None when it missed it); a mistake, drawn
    with probability ``mistake_rate``, is appended to ``truth``."""
    spec = row["_spec"]
    cat = CATEGORY_BY_NAME[spec["category"]]
    uid = row["video_uid"]
    st = spec["steps"][spec["nodes"][node["node_id"]]["dominant"]]
    start, end = float(node["start"]), float(node["end"])
    dur = end - start
    mistake = None
    if rng.random() < mistake_rate:
        mistake = rng.choices(("wrong_text", "missed", "shifted"), weights=(0.4, 0.3, 0.3))[0]
    if mistake == "missed":
        truth.append(_mistake(uid, node, "missed"))
        return None
    if mistake == "wrong_text":
        other = rng.choice([c for c in CATEGORIES if c.name != cat.name])
        fake = {"kind": "step", "step": rng.randrange(len(other.steps))}
        text = _event_text(other, min(spec["actor"], len(other.actors) - 1), fake, rng)
    else:
        text = _event_text(cat, spec["actor"], st, rng)
    s = start + rng.uniform(-0.5, 0.5)
    e = end + rng.uniform(-0.5, 0.5)
    if mistake == "shifted":
        shift = rng.uniform(0.3, 0.5) * dur * rng.choice((-1, 1))
        if s + shift < 0 or e + shift > spec["duration"]:
            shift = -shift
        s, e = s + shift, e + shift
    s = max(0.0, s)
    e = min(spec["duration"], max(e, s + 0.3))
    if mistake:
        truth.append(_mistake(uid, node, mistake))
    return {"start": s, "end": e, "text": text, "shifted": mistake == "shifted"}


def _flatten(events: list[dict]) -> list[dict]:
    """The events sorted, flat and non-overlapping: where two overlap, the one not shifted yields."""
    events.sort(key=lambda ev: ev["start"])
    for prev, ev in zip(events, events[1:]):
        if ev["start"] < prev["end"]:
            if ev["shifted"] and ev["start"] - prev["start"] >= 0.3:
                prev["end"] = ev["start"]
            else:
                ev["start"] = prev["end"]
                ev["end"] = max(ev["end"], ev["start"] + 0.3)
    return events


__all__ = ["simulate_annotator", "SOURCE", "MISTAKE_KINDS"]
