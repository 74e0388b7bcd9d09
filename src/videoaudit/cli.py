"""The ``videoaudit`` command: a thin typer layer over the Python API (api.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Audit machine-generated, hierarchical, timed video annotations.", no_args_is_help=True,
                  add_completion=False)
opinions_app = typer.Typer(help="Opinions of other models: import them (or, later, run them).", no_args_is_help=True)
app.add_typer(opinions_app, name="opinions")
console = Console()

WS = typer.Option(..., "--workspace", "-w", help="Workspace directory (a LanceDB database).")


def _ws(path: Path, **kw):
    from .api import Workspace

    return Workspace(path, progress=True, **kw)


def _check_format(value: str, known) -> None:
    """A wrong --format is a usage error (message, exit 2), not a traceback after the workspace was opened."""
    if value not in known:
        raise typer.BadParameter(f"unknown format {value!r}; one of {', '.join(known)}", param_hint="'--format' / '-f'")


@app.command()
def sample(out: Path = typer.Argument(..., help="Folder to write the sample into."),
           videos: int = typer.Option(24, help="Number of videos."),
           seed: int = typer.Option(0, help="Random seed (the sample is deterministic by seed)."),
           media: bool = typer.Option(True, "--media/--no-media", help="Render H.264 videos too."),
           fault_rate: float = typer.Option(0.25, help="Share of annotated segments given a known fault.")):
    """Write a synthetic dataset in the Action100M release format, with known faults and a truth file."""
    from .api import progress_bar
    from .sample import write_sample

    with progress_bar(True, "sample", videos) as advance:
        info = write_sample(out, videos=videos, seed=seed, media=media, fault_rate=fault_rate, progress=advance)
    console.print(json.dumps(info, indent=2, default=str))


def _fiftyone_guard(fn):
    """Run ``fn``; a missing FiftyOne (optional extra) or a bad dataset becomes a message and exit 1."""
    from .fiftyone import FiftyOneMissing

    try:
        return fn()
    except FiftyOneMissing as e:
        console.print(str(e), style="red", markup=False, highlight=False)  # "[fiftyone]" is not markup
        raise typer.Exit(1) from None
    except ValueError as e:
        console.print(f"error: {e}", style="red", markup=False, highlight=False)
        raise typer.Exit(1) from None


@app.command()
def ingest(source: str = typer.Argument(..., help="Annotations file, or a FiftyOne dataset name (--format fiftyone)."),
           format: str = typer.Option("action100m", "--format", "-f", help="action100m | jsonl | fiftyone"),
           workspace: Path = WS,
           media: Optional[Path] = typer.Option(None, help="Folder holding <video_uid>.mp4 files."),
           clip: Optional[float] = typer.Option(None, help="Keep only the first CLIP seconds (FiftyOne subset: 90)."),
           force: bool = typer.Option(False, help="Re-ingest videos already in the workspace."),
           fields: Optional[str] = typer.Option(None, help="fiftyone: TemporalDetections fields, e.g. "
                                                "'summary_brief=captions,actor=who' (default: the Voxel51 "
                                                "Action100M gpt_* fields)."),
           frames: str = typer.Option("action100m", help="fiftyone: frame-support convention, action100m "
                                      "(int(t*fps)+1) or fiftyone (1+round(t/duration*(N-1)))."),
           id_field: Optional[str] = typer.Option(None, help="fiftyone: sample field holding the video id "
                                                  "(default video_uid / video_id, else the file name).")):
    """Read annotations into the workspace (streamed; bad rows are recorded and skipped)."""
    from .ingest import FORMATS

    _check_format(format, FORMATS)
    if format != "fiftyone":
        if not Path(source).exists():
            raise typer.BadParameter(f"file {source!r} does not exist", param_hint="'SOURCE'")
        s = _ws(workspace).ingest(Path(source), format=format, media=media, clip=clip, force=force)
    else:
        s = _fiftyone_guard(lambda: _ws(workspace).ingest(source, format=format, media=media, clip=clip,
                                                          force=force, fields=fields, convention=frames,
                                                          id_field=id_field))
    console.print(f"ingested {s.videos} videos, {s.segments} segments; skipped {s.skipped} already present; "
                  f"rejected {len(s.rejected)}; warnings {s.warnings}")
    for msg in s.rejected[:20]:
        console.print(f"[red]rejected[/red] {msg}")


@opinions_app.command("import")
def opinions_import(file: Path = typer.Argument(..., exists=True), workspace: Path = WS,
                    source: str = typer.Option(..., help="Who gave these opinions, e.g. qwen3-vl-8b.")):
    """Import opinions (JSONL: description / event / point lines, docs/formats.md)."""
    r = _ws(workspace).import_opinions(file, source=source)
    console.print(f"imported {r['imported']} opinions for {r['videos']} videos; {r['errors']} errors")
    for msg in r["error_messages"]:
        console.print(f"[red]error[/red] {msg}")


@app.command()
def run(workspace: Path = WS,
        text_model: str = typer.Option("minilm", "--text", help="Sentence embedder: minilm (offline) or any "
                                                                "sentence-transformers model id/path."),
        redo: bool = typer.Option(False, help="Recompute stages for every video, even finished ones.")):
    """Compute every stage the workspace's inputs allow (offline by default), resuming finished work."""
    reports = _ws(workspace, text_model=text_model).run(redo=redo)
    for name, r in reports.items():
        console.print(f"{name}: {r.done} done, {r.skipped} already finished, {len(r.failed)} failed")
        for vid, err in list(r.failed.items())[:10]:
            console.print(f"  [red]{err}[/red]")


@app.command()
def status(workspace: Path = WS):
    """What the workspace holds and which stages finished for how many videos."""
    st = _ws(workspace).status()
    t = Table(title=str(workspace))
    t.add_column("table"), t.add_column("rows", justify="right")
    for k, v in st["tables"].items():
        t.add_row(k, str(v))
    console.print(t)
    s = Table(title="stages (videos)")
    s.add_column("stage"), s.add_column("ok", justify="right"), s.add_column("error", justify="right")
    for k, v in st["stages"].items():
        s.add_row(k, str(v.get("ok", 0)), str(v.get("error", 0)))
    console.print(s)
    if st["errors"]:
        console.print("errors recorded: " + ", ".join(f"{k}: {v}" for k, v in st["errors"].items()))


@app.command()
def export(workspace: Path = WS, format: str = typer.Option("jsonl", "--format", "-f",
                                                            help="jsonl | parquet | action100m | fiftyone"),
           out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (not for fiftyone)."),
           dataset: Optional[str] = typer.Option(None, help="fiftyone: dataset to create or update.")):
    """Export the confidence map (review queue order), the trusted annotations, or everything into FiftyOne."""
    from .export import FORMATS

    _check_format(format, (*FORMATS, "fiftyone"))
    if format == "fiftyone":
        if not dataset:
            raise typer.BadParameter("--format fiftyone needs --dataset NAME", param_hint="'--dataset'")
        r = _fiftyone_guard(lambda: _ws(workspace).export_fiftyone(dataset))
        console.print(f"FiftyOne dataset {r['dataset']!r}: {r['samples']} videos ({r['added']} added), "
                      f"{r['detections']} annotated detections, brain runs {r['brain_keys']}, "
                      f"saved views {r['saved_views']} in {r['seconds']} s")
        return
    if out is None:
        raise typer.BadParameter(f"--format {format} needs --out FILE", param_hint="'--out' / '-o'")
    path = _ws(workspace).export(out, format=format)
    console.print(f"wrote {path}")


@app.command("app")
def app_cmd(workspace: Path = WS,
            dataset: Optional[str] = typer.Option(None, help="FiftyOne dataset (default videoaudit-<workspace>)."),
            port: int = typer.Option(5151, help="Port of the App on 127.0.0.1."),
            export: Optional[bool] = typer.Option(None, "--export/--no-export",
                                                  help="Force / skip the export (default: when stale).")):
    """Export the audit to FiftyOne if needed and open the FiftyOne App on 127.0.0.1 (prints the URL)."""
    from .fiftyone.app import open_app

    _fiftyone_guard(lambda: open_app(_ws(workspace), dataset=dataset, port=port, export=export,
                                     echo=lambda m: print(m, flush=True)))


@app.command()
def report(workspace: Path = WS, out: Path = typer.Option(Path("report.html"), "--out", "-o"),
           truth: Optional[Path] = typer.Option(None, help="truth.jsonl of a sample, for per-fault detection.")):
    """Write one self-contained HTML report."""
    path = _ws(workspace).report(out, truth=truth)
    console.print(f"report: {path}")


@app.command()
def demo(out: Path = typer.Option(Path("demo-out"), "--out", "-o", help="Folder for the sample, workspace, report."),
         videos: int = typer.Option(12, help="Videos in the sample."), seed: int = typer.Option(0),
         media: bool = typer.Option(True, "--media/--no-media")):
    """sample -> ingest -> opinions import -> run -> report, offline; prints a summary and the report path."""
    from .demo import run_demo

    t0 = time.perf_counter()
    res = run_demo(out, videos=videos, seed=seed, media=media, console=console)
    t = Table(title=f"videoaudit demo ({time.perf_counter() - t0:.1f} s)")
    t.add_column("measure"), t.add_column("value", justify="right")
    for k, v in res["summary"].items():
        t.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
    console.print(t)
    console.print(f"report: [bold]{res['report']}[/bold]")


if __name__ == "__main__":
    app()
