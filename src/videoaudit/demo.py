"""`videoaudit demo`: the whole audit, offline, on the embedded sample."""

from __future__ import annotations

import time
from pathlib import Path

from .api import Workspace, progress_bar
from .evaluate import detection, read_truth

#: share of videos the demo's second opinion sees (benchmarks/cascade.py measures the trade-off)
DEMO_BUDGET = 0.25


def run_demo(out: Path, videos: int = 12, seed: int = 0, media: bool = True, console=None,
             budget: float = DEMO_BUDGET, text_model: str | None = None) -> dict:
    """sample -> ingest -> cascade (cheap signals, second opinion on the least-confident ``budget``
    share, ``people`` grounding where they disagree) -> report.

    The second opinion is the sample's SIMULATED annotator (not a model): its JSONL is served
    through the ``replay`` backend, so the cascade asks for it only where it is needed and the
    model calls it saves are counted exactly as they would be for a VLM.
    """
    from .opinions.cascade import describe_savings
    from .sample import write_sample

    out = Path(out)
    say = console.print if console else (lambda *a, **k: None)
    t0 = time.perf_counter()
    data = out / "sample"
    say(f"[bold]1/4 sample[/bold] {videos} videos -> {data}")
    with progress_bar(console is not None, "sample", videos) as advance:
        write_sample(data, videos=videos, seed=seed, media=media, progress=advance)
    ws = Workspace(out / "workspace", progress=console is not None, text_model=text_model)
    say("[bold]2/4 ingest[/bold]")
    ing = ws.ingest(data / "annotations.parquet", format="action100m", media=data / "videos" if media else None)
    grounding = "people" if media else None
    say(f"[bold]3/4 cascade[/bold] cheap signals on every video; the SIMULATED second annotator (demo data, not a "
        f"model, replayed) on the {budget:.0%} least-confident; "
        + ("people grounding (OpenCV HOG) where they disagree" if grounding else "no grounding (no media)"))
    c = ws.cascade("replay", budget=budget, grounding=grounding, second_options={"path": str(data / "opinions.jsonl")},
                   second_source="simulated-annotator")
    say(f"    {describe_savings(c)}")
    truth = read_truth(data / "truth.jsonl")
    det = detection(ws.confidence_map(), truth)
    say("[bold]4/4 report[/bold]")
    report = ws.report(out / "report.html", truth=data / "truth.jsonl")
    tiers = ws.confidence_map().column("tier").to_pylist()
    failed = sum(len(r.failed) for r in c.reports["cheap"].values()) + sum(len(r.failed) for r in c.runs.values())
    summary = {
        "videos": ing.videos, "segments audited": len(tiers),
        "trusted": tiers.count("trusted"), "uncertain": tiers.count("uncertain"), "review": tiers.count("review"),
        "unverified": tiers.count("unverified"),
        "opinions stored": ws.store.count("opinions"),
        "second opinion": "SIMULATED annotator replayed from the sample's file (not a model)",
        "model calls spent": c.model_calls, "model calls avoided": c.model_calls_avoided,
        "verdicts decided": sum(v for k, v in c.verdicts.items() if k in ("annotation", "second_opinion", "diverge")),
        "faults injected": det["n_faulted"], "fault AUROC": det["auroc"] if det["auroc"] is not None else float("nan"),
        "errors": failed,
        "seconds": time.perf_counter() - t0,
    }
    return {"summary": summary, "report": report, "detection": det, "cascade": c}
