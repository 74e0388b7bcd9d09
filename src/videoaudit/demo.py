"""`videoaudit demo`: the whole audit, offline, on the embedded sample."""

from __future__ import annotations

import time
from pathlib import Path

from .api import Workspace, progress_bar
from .evaluate import detection, read_truth


def run_demo(out: Path, videos: int = 12, seed: int = 0, media: bool = True, console=None) -> dict:
    from .sample import write_sample

    out = Path(out)
    say = console.print if console else (lambda *a, **k: None)
    t0 = time.perf_counter()
    data = out / "sample"
    say(f"[bold]1/5 sample[/bold] {videos} videos -> {data}")
    with progress_bar(console is not None, "sample", videos) as advance:
        write_sample(data, videos=videos, seed=seed, media=media, progress=advance)
    ws = Workspace(out / "workspace", progress=console is not None)
    say("[bold]2/5 ingest[/bold]")
    ing = ws.ingest(data / "annotations.parquet", format="action100m", media=data / "videos" if media else None)
    say("[bold]3/5 opinions[/bold] importing the SIMULATED second annotator (demo data, not a model)")
    op = ws.import_opinions(data / "opinions.jsonl", source="simulated-annotator")
    say("[bold]4/5 run[/bold]")
    reports = ws.run()
    truth = read_truth(data / "truth.jsonl")
    det = detection(ws.confidence_map(), truth)
    say("[bold]5/5 report[/bold]")
    report = ws.report(out / "report.html", truth=data / "truth.jsonl")
    tiers = ws.confidence_map().column("tier").to_pylist()
    summary = {
        "videos": ing.videos, "segments audited": len(tiers),
        "trusted": tiers.count("trusted"), "uncertain": tiers.count("uncertain"), "review": tiers.count("review"),
        "opinions imported": op["imported"],
        "faults injected": det["n_faulted"], "fault AUROC": det["auroc"] if det["auroc"] is not None else float("nan"),
        "errors": sum(len(r.failed) for r in reports.values()),
        "seconds": time.perf_counter() - t0,
    }
    return {"summary": summary, "report": report, "detection": det}
