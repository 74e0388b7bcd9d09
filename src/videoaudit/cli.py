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
opinions_app = typer.Typer(help="Opinions of other models: import them, or run a backend.", no_args_is_help=True)
app.add_typer(opinions_app, name="opinions")
console = Console()

WS = typer.Option(..., "--workspace", "-w", help="Workspace directory (a LanceDB database).")


def _split_grounding(name: str | None, cascade: bool) -> tuple[str, str | None]:
    """``--grounding NAME`` -> (grounding lens, cascade grounding opinion).

    One flag names "the grounding model" in both roles it can play: a lens backend (motion,
    molmo2) embeds every video; an opinion backend (people, molmo2) points and localizes on
    the cascade's disagreements. A name that is only an opinion backend leaves the lens at
    its default.
    """
    from .models import names

    if name is None:
        return "motion", None
    lens_names, opinion_names = set(names("grounding")) | {"none"}, set(names("opinion"))
    if name not in lens_names and not (cascade and name in opinion_names):
        known = sorted(lens_names | (opinion_names if cascade else set()))
        raise typer.BadParameter(f"unknown grounding backend {name!r}; one of {', '.join(known)}",
                                 param_hint="'--grounding'")
    lens = name if name in lens_names else "motion"
    return lens, (name if cascade and name in opinion_names else None)


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


def _options(pairs: Optional[list[str]]) -> dict:
    """KEY=VALUE backend options (VALUE read as JSON when it parses, else as text)."""
    out = {}
    for p in pairs or []:
        k, sep, v = p.partition("=")
        if not sep or not k:
            raise typer.BadParameter(f"{p!r}: expected KEY=VALUE, e.g. path=opinions.jsonl")
        try:
            out[k] = json.loads(v)
        except ValueError:
            out[k] = v
    return out


OPT_HELP = "Backend option KEY=VALUE (repeatable), e.g. base_url=http://127.0.0.1:8000/v1 or path=opinions.jsonl."


@opinions_app.command("run")
def opinions_run(workspace: Path = WS,
                 backend: str = typer.Option(..., help="Opinion backend: openai | people | replay | qwen3-vl | ..."),
                 task: str = typer.Option(..., help="describe | localize | point"),
                 model: Optional[str] = typer.Option(None, help="Model id passed to the backend."),
                 query: Optional[str] = typer.Option(None, help="What to point at (task point)."),
                 only: Optional[str] = typer.Option(None, help="uncertain:0.25 = the 25 % least-confident videos."),
                 source: Optional[str] = typer.Option(None, help="Name stored as the opinions' source "
                                                                 "(default: the backend name)."),
                 opt: Optional[list[str]] = typer.Option(None, "--opt", help=OPT_HELP),
                 redo: bool = typer.Option(False, help="Ask again for videos already answered.")):
    """Run an opinion backend on the workspace's videos; results are stored like imported opinions."""
    if task not in ("describe", "localize", "point"):
        raise typer.BadParameter(f"unknown task {task!r}; one of describe, localize, point", param_hint="'--task'")
    try:
        r = _ws(workspace).run_opinions(backend, task, model=model, query=query, only=only, source=source,
                                        options=_options(opt), redo=redo)
    except (ValueError, KeyError, ConnectionError, FileNotFoundError) as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1)
    console.print(f"{r.stage}: {r.done} videos answered ({r.stored} opinions stored), {r.skipped} already done, "
                  f"{len(r.failed)} failed; {r.calls} model calls")
    for err in list(r.failed.values())[:10]:
        console.print(f"  [red]{err[:300]}[/red]")


@app.command()
def run(workspace: Path = WS,
        text_model: str = typer.Option("minilm", "--text", help="Sentence embedder: minilm (offline) or any "
                                                                "sentence-transformers model id/path."),
        redo: bool = typer.Option(False, help="Recompute stages for every video, even finished ones."),
        visual: str = typer.Option("appearance", help="Visual lens backend (appearance, qwen3-vl-embedding, or none)."),
        grounding: Optional[str] = typer.Option(None, help="The grounding model. As a lens: motion (default), molmo2 "
                                                           "or none. With --second-opinion it is also the third "
                                                           "opinion run where annotation and second opinion disagree "
                                                           "(people, molmo2, openai)."),
        transcript: str = typer.Option("minilm", help="Transcript lens text model (minilm, any "
                                                      "sentence-transformers id/path, or none)."),
        map_method: str = typer.Option("umap", "--map", help="2-D lens maps: umap | pca | tsne."),
        second_opinion: Optional[str] = typer.Option(None, "--second-opinion",
                                                     help="Cascade: opinion backend for the least-confident videos."),
        budget: float = typer.Option(0.25, help="Cascade: share of videos the second opinion may see."),
        second_opt: Optional[list[str]] = typer.Option(None, "--second-opt", help=OPT_HELP),
        grounding_opt: Optional[list[str]] = typer.Option(None, "--grounding-opt", help="Cascade: option of the "
                                                          "grounding OPINION backend, KEY=VALUE (repeatable)."),
        visual_opt: Optional[list[str]] = typer.Option(None, "--visual-opt", help="Visual lens backend option "
                                                       "KEY=VALUE (repeatable), e.g. model=/models/Qwen3-VL-"
                                                       "Embedding-2B or device=cuda. Recorded; another model "
                                                       "replaces the lens's vectors."),
        grounding_lens_opt: Optional[list[str]] = typer.Option(None, "--grounding-lens-opt",
                                                               help="Grounding lens backend option KEY=VALUE "
                                                                    "(repeatable), e.g. model=allenai/Molmo2-8B."),
        second_source: Optional[str] = typer.Option(None, help="Source name for the second opinion's rows."),
        query: str = typer.Option("the person performing the main action", help="What grounding points at.")):
    """Compute every stage the workspace's inputs allow (offline by default), resuming finished work."""
    if map_method not in ("umap", "pca", "tsne"):
        raise typer.BadParameter(f"unknown map {map_method!r}; one of umap, pca, tsne", param_hint="'--map'")
    grounding_lens, grounding_opinion = _split_grounding(grounding, cascade=bool(second_opinion))
    ws = _ws(workspace, text_model=text_model)
    lens_options = {"visual": visual, "grounding": grounding_lens, "transcript": transcript,
                    "map_method": map_method, "visual_options": _options(visual_opt),
                    "grounding_options": _options(grounding_lens_opt)}
    if second_opinion:
        from .opinions.cascade import describe_savings

        try:
            c = ws.cascade(second_opinion, budget, grounding_opinion, second_options=_options(second_opt),
                           grounding_options=_options(grounding_opt), second_source=second_source, query=query,
                           redo=redo, run_options=lens_options)
        except (ValueError, KeyError, ConnectionError, FileNotFoundError) as exc:
            console.print(f"[red]error[/red] {exc}")
            raise typer.Exit(1)
        reports = c["reports"]["cheap"]
        for name, r in c["runs"].items():
            console.print(f"{name}: {r.done} answered, {r.skipped} already done, {len(r.failed)} failed")
        console.print(f"cascade: {describe_savings(c)}")
        console.print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(c["verdicts"].items())))
    else:
        try:
            reports = ws.run(redo=redo, **lens_options)
        except (ValueError, KeyError) as exc:
            console.print(f"error: {exc}", style="red", markup=False, highlight=False)
            raise typer.Exit(1)
    for name, r in reports.items():
        console.print(f"{name}: {r.done} done, {r.skipped} already finished, {len(r.failed)} failed")
        for vid, err in list(r.failed.items())[:10]:
            console.print(f"  [red]{err}[/red]")


@app.command()
def search(query: Optional[str] = typer.Argument(None, help="Text query (shared text-video lenses only)."),
           workspace: Path = WS, lens: str = typer.Option("visual", help="visual | grounding | transcript"),
           like: Optional[str] = typer.Option(None, "--like", help="Find the videos nearest to this VIDEO_ID."),
           k: int = typer.Option(10, "-k", help="How many results."),
           segments: bool = typer.Option(False, help="Search annotated segments instead of whole videos.")):
    """Nearest videos to a text (text -> video) or to a video (--like), from the stored lens vectors."""
    from .lenses.search import LensError

    if (query is None) == (like is None):
        raise typer.BadParameter("give a text QUERY or --like VIDEO_ID (exactly one)")
    try:
        res = _ws(workspace).search(query, lens=lens, like=like, k=k, segments=segments)
    except LensError as e:
        console.print(f"[red]error[/red] {e}")
        raise typer.Exit(1)
    t = Table(title=f"{lens}: " + (repr(query) if query is not None else f"like {like}"))
    t.add_column("rank", justify="right"), t.add_column("video_id")
    if segments:
        t.add_column("segment_id")
    t.add_column("similarity", justify="right")
    for r in res.to_pylist():
        t.add_row(str(r["rank"]), r["video_id"], *([r["segment_id"]] if segments else []), f"{r['similarity']:.3f}")
    console.print(t)


@app.command("zero-shot")
def zero_shot(classes: str = typer.Argument(..., help="Comma-separated class names."), workspace: Path = WS,
              lens: str = typer.Option("transcript", help="A shared text-video lens (transcript, qwen...)."),
              template: str = typer.Option("a video of {}", help="Prompt template; {} is the class name."),
              temperature: float = typer.Option(0.05, help="Softmax temperature over cosine similarities."),
              save: bool = typer.Option(True, help="Store the labels in lens_videos.")):
    """Zero-shot classify every video from its STORED lens vector (nothing is re-embedded)."""
    from .lenses.search import LensError

    names = [c.strip() for c in classes.split(",") if c.strip()]
    try:
        res = _ws(workspace).zero_shot(lens, names, template=template, temperature=temperature, save=save)
    except LensError as e:
        console.print(f"[red]error[/red] {e}")
        raise typer.Exit(1)
    t = Table(title=f"zero-shot ({lens})")
    t.add_column("video_id"), t.add_column("label"), t.add_column("p", justify="right")
    for r in res.to_pylist():
        t.add_row(r["video_id"], r["label"], f"{r['prob']:.3f}")
    console.print(t)


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
    ev = st.get("evidence")
    if ev and ev.get("checked_share") is not None:
        console.print(f"independent evidence checked {ev['checked_share']:.0%} of the audited segments; "
                      f"{ev['unverified_share']:.0%} are unverified"
                      + (f"; to check the rest, add {ev['to_check']}" if ev.get("to_check") else ""))
    if st["errors"]:
        console.print("errors recorded: " + ", ".join(f"{k}: {v}" for k, v in st["errors"].items()))
    if st.get("lens_backends"):
        from .lenses.backends import LensBackend

        console.print("lens backends: " + ", ".join(f"{lens} {LensBackend(r['backend'], r.get('options') or {})}"
                                                    for lens, r in sorted(st["lens_backends"].items())),
                      markup=False, highlight=False)
    if st.get("cascade"):
        from .opinions.cascade import describe_savings

        console.print(f"cascade ({st['cascade']['second']} budget {st['cascade']['budget']}, grounding "
                      f"{st['cascade']['grounding']}): {describe_savings(st['cascade'])}")


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
         media: bool = typer.Option(True, "--media/--no-media"),
         budget: float = typer.Option(0.25, help="Share of videos the (simulated) second opinion sees.")):
    """sample -> ingest -> cascade (second opinion + people grounding) -> report, offline; prints a summary."""
    from .demo import run_demo

    t0 = time.perf_counter()
    res = run_demo(out, videos=videos, seed=seed, media=media, console=console, budget=budget)
    t = Table(title=f"videoaudit demo ({time.perf_counter() - t0:.1f} s)")
    t.add_column("measure"), t.add_column("value", justify="right")
    for k, v in res["summary"].items():
        t.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
    console.print(t)
    console.print(f"report: [bold]{res['report']}[/bold]")


if __name__ == "__main__":
    app()
