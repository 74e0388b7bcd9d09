"""The ``videoaudit`` command: a thin typer layer over the Python API (api.py)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .term import output_width

if output_width() is not None:  # typer's help console reads this when it first renders help
    os.environ.setdefault("TERMINAL_WIDTH", str(output_width()))

app = typer.Typer(help="Audit machine-generated, hierarchical, timed video annotations.", no_args_is_help=True,
                  add_completion=False)
opinions_app = typer.Typer(help="Opinions of other models: import them, or run a backend.", no_args_is_help=True)
app.add_typer(opinions_app, name="opinions")
review_app = typer.Typer(help="Review decisions: mark a segment ok, wrong or fixed; or import decisions "
                              "(videoaudit review import FILE.jsonl -w DIR).", invoke_without_command=True)
app.add_typer(review_app, name="review")
console = Console(width=output_width())

WS = typer.Option(..., "--workspace", "-w", help="Workspace directory (a LanceDB database).")
DEVICE_HELP = ("Device for every model: cpu, cuda, cuda:1, ... (default: cuda in half precision when a GPU is "
               "visible, else cpu); recorded in the workspace's manifest.json.")
WAIT = typer.Option(False, "--wait", help="If another process is writing the workspace, wait for it "
                                          "instead of stopping.")
_DEBUG = {"on": os.environ.get("VIDEOAUDIT_DEBUG", "") not in ("", "0")}


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error.")):
    """Audit machine-generated, hierarchical, timed video annotations."""
    if debug:
        _DEBUG["on"] = True


def _friendly(fn):
    """Errors reach the user as one line naming the item and the cause (exit 1); --debug re-raises."""
    import click

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import explain

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.BadParameter, click.exceptions.ClickException, KeyboardInterrupt):
            raise  # usage errors keep click's exit 2 (typer vendors its own click: both kinds)
        except Exception as exc:
            if _DEBUG["on"]:
                raise
            msg = explain(exc, kwargs.get("workspace"))
            if msg is None:
                msg = f"internal error {type(exc).__name__}: {' '.join(str(exc).split())[:300]} (--debug shows where)"
            typer.echo(f"error: {msg}", err=True)
            raise typer.Exit(1) from None

    return wrapper


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
    if not cascade and name in opinion_names and name not in lens_names:
        raise typer.BadParameter(
            f"{name!r} is a grounding OPINION backend: it checks the cascade's disagreements, so it needs "
            f"--second-opinion (e.g. --second-opinion imported, to use the opinions already imported, offline). "
            f"Without it --grounding names the grounding LENS: one of {', '.join(sorted(lens_names))}",
            param_hint="'--grounding'")
    if name not in lens_names and not (cascade and name in opinion_names):
        known = sorted(lens_names | (opinion_names if cascade else set()))
        raise typer.BadParameter(f"unknown grounding backend {name!r}; one of {', '.join(known)}",
                                 param_hint="'--grounding'")
    lens = name if name in lens_names else "motion"
    return lens, (name if cascade and name in opinion_names else None)


def _ws(path: Path, **kw):
    from .api import Workspace

    return Workspace(path, progress=True, **kw)


@contextlib.contextmanager
def _new_workspace_undone_on_failure(path: Path):
    """An ingest that fails before writing anything (an unreadable file) leaves no workspace behind
    that it created itself: only its manifest and lock would be there. Nothing else is touched."""
    from .lock import FILE

    fresh = not path.exists()
    try:
        yield
    except BaseException:
        if fresh and path.is_dir() and set(os.listdir(path)) <= {"manifest.json", FILE}:
            shutil.rmtree(path, ignore_errors=True)
        raise


def _reader(path: Path, **kw):
    """A workspace opened to read: a mistyped path is an error, never a new empty workspace."""
    return _ws(path, create=False, **kw)


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
        console.print(str(e), style="red", markup=False, highlight=False, soft_wrap=True)  # "[fiftyone]" is not markup
        raise typer.Exit(1) from None
    except ValueError as e:
        console.print(f"error: {e}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def ingest(source: str = typer.Argument(..., help="Annotations file, or a FiftyOne dataset name (--format fiftyone)."),
           format: Optional[str] = typer.Option(None, "--format", "-f", help="action100m | jsonl | fiftyone "
                                                "(default: inferred from the file's extension and first record)"),
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
                                                  "(default video_uid / video_id, else the file name)."),
           wait: bool = WAIT):
    """Read annotations into the workspace (streamed; bad rows are recorded and skipped)."""
    from .ingest import FORMATS
    from .ingest.detect import FormatError, check_format, detect_format

    from .root import check_not_a_file

    if format is not None:
        _check_format(format, FORMATS)
    check_not_a_file(Path(workspace))
    if media is not None and not media.is_dir():
        raise typer.BadParameter(f"no such folder: {media}", param_hint="'--media'")
    if format != "fiftyone":
        if not Path(source).exists():
            raise typer.BadParameter(f"file {source!r} does not exist", param_hint="'SOURCE'")
        try:
            if format is None:
                format = detect_format(source)
            else:
                check_format(source, format)
        except FormatError as e:
            console.print(f"error: {e}", style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        with _new_workspace_undone_on_failure(Path(workspace)):
            s = _ws(workspace, wait=wait).ingest(Path(source), format=format, media=media, clip=clip, force=force)
    else:
        with _new_workspace_undone_on_failure(Path(workspace)):
            s = _fiftyone_guard(lambda: _ws(workspace, wait=wait).ingest(
                source, format=format, media=media, clip=clip, force=force, fields=fields, convention=frames,
                id_field=id_field))
    console.print(f"ingested {s.videos} videos, {s.segments} segments; skipped {s.skipped} already present; "
                  f"rejected {len(s.rejected)}; warnings {s.warnings} (format {s.format})")
    for msg in s.rejected[:20]:
        console.print(f"[red]rejected[/red] {msg}")
    if len(s.rejected) > 20:
        console.print(f"... and {len(s.rejected) - 20} more rejected (videoaudit status; ws.errors())")
    if s.warnings:
        kinds = sorted(s.warning_kinds.items(), key=lambda kv: -kv[1])
        console.print("warnings by kind: " + ", ".join(f"{k} ({n})" for k, n in kinds), markup=False,
                      highlight=False)
        for msg in s.warning_examples:
            console.print(f"  warning {msg}", style="yellow", markup=False, highlight=False)
        if s.warnings > len(s.warning_examples):
            console.print(f"  ... {s.warnings - len(s.warning_examples)} more in the errors table (ws.errors())",
                          markup=False, highlight=False)


@opinions_app.command("import")
def opinions_import(file: Path = typer.Argument(..., exists=True), workspace: Path = WS,
                    source: str = typer.Option(..., help="Who gave these opinions, e.g. qwen3-vl-8b."),
                    wait: bool = WAIT):
    """Import opinions (JSONL: description / event / point lines, docs/formats.md)."""
    r = _reader(workspace, wait=wait).import_opinions(file, source=source)
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
                 redo: bool = typer.Option(False, help="Ask again for videos already answered."),
                 device: Optional[str] = typer.Option(None, help=DEVICE_HELP),
                 wait: bool = WAIT):
    """Run an opinion backend on the workspace's videos; results are stored like imported opinions."""
    if task not in ("describe", "localize", "point"):
        raise typer.BadParameter(f"unknown task {task!r}; one of describe, localize, point", param_hint="'--task'")
    try:
        r = _reader(workspace, device=device, wait=wait).run_opinions(backend, task, model=model, query=query, only=only, source=source,
                                        options=_options(opt), redo=redo)
    except (ValueError, KeyError, ConnectionError, FileNotFoundError) as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1)
    console.print(f"{r.stage}: {r.done} videos answered ({r.stored} opinions stored), {r.skipped} already done, "
                  f"{len(r.failed)} failed; {r.calls} model calls")
    for err in list(r.failed.values())[:10]:
        console.print(f"  [red]{err[:300]}[/red]")


def _check_engine(engine: str, ray_address: str | None) -> None:
    """A usage error for an unknown engine or a stray --ray-address; one line when ray is missing."""
    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"unknown engine {engine!r}; one of local, ray", param_hint="'--engine'")
    if ray_address is not None and engine != "ray":
        raise typer.BadParameter("--ray-address needs --engine ray", param_hint="'--ray-address'")
    if engine == "ray":
        from .pipeline.ray_engine import RayUnavailable, import_ray

        try:
            import_ray()
        except RayUnavailable as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1)


# run's options with long help texts (module level, so the command reads as its parameters)
TEXT_OPT = typer.Option(None, "--text", help="Sentence embedder of the signals: minilm (default, offline), "
                        "minilm-static (distilled: ~40x faster, less accurate on real text), minilm-int8, hashing, "
                        "or any sentence-transformers model id/path.")
GROUNDING_OPT = typer.Option(None, help="The grounding model. As a lens: motion (default), molmo2 or none. With "
                             "--second-opinion it is also the third opinion run where annotation and second "
                             "opinion disagree (people, molmo2, openai).")
ENTAILMENT_OPT = typer.Option(None, "--entailment", help="NLI CrossEncoder (local path or hub id) that refines the "
                              "claim verdicts sentence by sentence; off by default (no weights offline). Another "
                              "model redoes the signals.")
SECOND_OPINION_OPT = typer.Option(None, "--second-opinion", help="Cascade: opinion backend for the least-confident "
                                  "videos (openai, qwen3-vl, replay, ...), or 'imported' = the opinions already "
                                  "imported (offline).")
VISUAL_OPT = typer.Option(None, "--visual-opt", help="Visual lens backend option KEY=VALUE (repeatable), e.g. "
                          "model=/models/Qwen3-VL-Embedding-2B or device=cuda. Recorded; another model replaces the "
                          "lens's vectors.")
GROUNDING_LENS_OPT = typer.Option(None, "--grounding-lens-opt", help="Grounding lens backend option KEY=VALUE "
                                  "(repeatable), e.g. model=allenai/Molmo2-8B.")
LEARN_OPT = typer.Option(True, "--learn/--no-learn", help="Refit the fusion from the stored review decisions (when "
                         "there are enough) and re-tier every segment.")
ENGINE_OPT = typer.Option("local", "--engine", help="local (one process) or ray (Ray Data, the optional "
                          "extra ray; docs/scale.md).")
RAY_ADDRESS_OPT = typer.Option(None, "--ray-address", help="With --engine ray: join a running cluster, auto or "
                               "HOST:PORT (default: start a local one).")


@app.command()
def run(workspace: Path = WS,
        text_model: Optional[str] = TEXT_OPT,
        device: Optional[str] = typer.Option(None, help=DEVICE_HELP),
        redo: bool = typer.Option(False, help="Recompute stages for every video, even finished ones."),
        visual: str = typer.Option("appearance", help="Visual lens backend (appearance, qwen3-vl-embedding, or none)."),
        grounding: Optional[str] = GROUNDING_OPT,
        transcript: str = typer.Option("minilm", help="Transcript lens text model (minilm, any "
                                                      "sentence-transformers id/path, or none)."),
        map_method: str = typer.Option("umap", "--map", help="2-D lens maps: umap | pca | tsne."),
        entailment: Optional[str] = ENTAILMENT_OPT,
        second_opinion: Optional[str] = SECOND_OPINION_OPT,
        budget: float = typer.Option(0.25, help="Cascade: share of videos the second opinion may see."),
        second_opt: Optional[list[str]] = typer.Option(None, "--second-opt", help=OPT_HELP),
        grounding_opt: Optional[list[str]] = typer.Option(None, "--grounding-opt", help="Cascade: option of the "
                                                          "grounding OPINION backend, KEY=VALUE (repeatable)."),
        visual_opt: Optional[list[str]] = VISUAL_OPT,
        grounding_lens_opt: Optional[list[str]] = GROUNDING_LENS_OPT,
        second_source: Optional[str] = typer.Option(None, help="Source name for the second opinion's rows."),
        query: str = typer.Option("the person performing the main action", help="What grounding points at."),
        wait: bool = WAIT,
        learn: bool = LEARN_OPT,
        engine: str = ENGINE_OPT,
        ray_address: Optional[str] = RAY_ADDRESS_OPT):
    """Compute every stage the workspace's inputs allow (offline by default), resuming finished work."""
    if map_method not in ("umap", "pca", "tsne"):
        raise typer.BadParameter(f"unknown map {map_method!r}; one of umap, pca, tsne", param_hint="'--map'")
    _check_engine(engine, ray_address)
    grounding_lens, grounding_opinion = _split_grounding(grounding, cascade=bool(second_opinion))
    ws = _reader(workspace, text_model=text_model, device=device, wait=wait)
    if not ws.store.count("videos"):
        typer.echo(f"error: nothing ingested in {workspace}: run videoaudit ingest first", err=True)
        raise typer.Exit(1)
    lens_options = {"visual": visual, "grounding": grounding_lens, "transcript": transcript,
                    "map_method": map_method, "entailment": entailment, "visual_options": _options(visual_opt),
                    "grounding_options": _options(grounding_lens_opt)}
    if second_opinion:
        with ws.using_engine(engine, ray_address):
            c = _cascade(ws, second_opinion, budget, grounding_opinion, second_options=_options(second_opt),
                         grounding_options=_options(grounding_opt), second_source=second_source, query=query,
                         redo=redo, run_options={**lens_options, "learn": learn})
        reports, model_runs = c.reports["cheap"], c.runs
    else:
        model_runs = {}
        try:
            reports = ws.run(redo=redo, learn=learn, engine=engine, ray_address=ray_address, **lens_options)
        except (ValueError, KeyError) as exc:
            console.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    _print_run(ws, workspace, reports, model_runs)


def _print_run(ws, workspace: Path, reports: dict, model_runs: dict) -> None:
    for name, r in reports.items():
        console.print(f"{name}: {r.done} done, {r.skipped} already finished, {len(r.failed)} failed")
    if ws.last_learning:
        console.print(_describe_learning(ws.last_learning), markup=False, highlight=False)
    _end_of_run(workspace, {**reports, **model_runs})


def _cascade(ws, second_opinion: str, budget: float, grounding: str | None, **kw):
    """``run --second-opinion``: the cascade, its backends' calls, savings and verdicts printed."""
    from .opinions.cascade import describe_savings

    try:
        c = ws.cascade(second_opinion, budget, grounding, **kw)
    except (ValueError, KeyError, ConnectionError, FileNotFoundError) as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1)
    for name, r in c.runs.items():
        console.print(f"{name}: {r.done} answered, {r.skipped} already done, {len(r.failed)} failed")
    console.print(f"cascade: {describe_savings(c)}")
    console.print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(c.verdicts.items())))
    return c


def _end_of_run(workspace: Path, reports: dict) -> None:
    """The first distinct causes of this run's failures; exit 1 when a stage failed for every video it tried."""
    from .failures import distinct_causes

    failed = {name: r.failed for name, r in reports.items() if r.failed}
    if not failed:
        return
    causes = distinct_causes([m for msgs in failed.values() for m in msgs.values()])
    total = sum(len(f) for f in failed.values())
    console.print(f"{total} failures, {len(causes)} distinct causes (all: videoaudit errors -w {workspace}):",
                  markup=False, highlight=False)
    for cause, n, example in causes[:5]:
        console.print(f"  {n} x {cause}   (e.g. {example})", style="red", markup=False, highlight=False)
    dead = [name for name, r in reports.items() if r.failed and not r.done and not r.skipped]
    if dead:
        typer.echo(f"error: stage {', '.join(dead)} failed for every video it ran on", err=True)
        raise typer.Exit(1)


def _describe_learning(rec: dict) -> str:
    head = f"reviews: {rec['decided_segments']} decided segments ({rec['wrong']} wrong, {rec['ok']} ok)"
    if rec.get("fitted") and rec.get("corrected") is False:
        return head + ("; decided segments re-tiered; the fusion kept for the rest (a correction fitted to "
                       "the decisions did not predict held-out decisions better)")
    if rec.get("fitted"):
        top = sorted(rec["coefficients"].items(), key=lambda kv: -abs(kv[1]))[:3]
        return head + "; fusion refitted from them, every segment re-tiered (strongest: " + ", ".join(
            f"{k} {v:+.2f}" for k, v in top) + ")"
    return head + f"; kept as human verdicts, no refit ({rec['why']})"


@review_app.callback()
def review(ctx: typer.Context,
           workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", help="Workspace directory."),
           segment: Optional[str] = typer.Option(None, "--segment", help="Segment id (Action100M node_id)."),
           video: Optional[str] = typer.Option(None, "--video", help="Video id (needed only when the segment id "
                                                                    "is in several videos)."),
           field: Optional[str] = typer.Option(None, "--field", help="One GPT field (summary_brief, "
                                               "summary_detailed, action_brief, action_detailed, actor); "
                                               "default: the whole annotation."),
           verdict: Optional[str] = typer.Option(None, "--verdict", help="ok | wrong | fixed"),
           fix: Optional[str] = typer.Option(None, "--fix", help="The corrected text (with --verdict fixed)."),
           reviewer: Optional[str] = typer.Option(None, help="Who decided (stored with the decision).")):
    """Mark one segment: videoaudit review -w DIR --segment ID --verdict ok|wrong|fixed [--field F] [--fix TEXT]."""
    if ctx.invoked_subcommand is not None:
        return
    if workspace is None or segment is None or verdict is None:
        missing = [n for n, v in (("--workspace", workspace), ("--segment", segment), ("--verdict", verdict)) if v is None]
        raise typer.BadParameter(f"missing {', '.join(missing)} (or: videoaudit review import FILE.jsonl -w DIR)")
    from .review import ReviewError

    try:
        _reader(workspace).review(video, segment, verdict=verdict, field=field, text=fix, reviewer=reviewer)
    except ReviewError as e:
        console.print(f"error: {e}", style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"stored: segment {segment} {field or 'all fields'} {verdict}", markup=False, highlight=False)


@review_app.command("import")
def review_import(file: Path = typer.Argument(..., exists=True, dir_okay=False), workspace: Path = WS,
                  reviewer: Optional[str] = typer.Option(None, help="Reviewer stored where a line names none.")):
    """Import decisions, one JSON object per line: {"video_id", "segment_id", "verdict", "field"?, "text"?}."""
    r = _reader(workspace).import_reviews(file, reviewer=reviewer)
    console.print(f"stored {r['stored']} decisions; {len(r['errors'])} lines skipped")
    for msg in r["errors"][:50]:
        console.print(f"skipped {msg}", style="red", markup=False, highlight=False, soft_wrap=True)


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
        res = _reader(workspace).search(query, lens=lens, like=like, k=k, segments=segments)
    except LensError as e:
        console.print(f"[red]error[/red] {e}")
        raise typer.Exit(1)
    t = Table(title=f"{lens}: " + (repr(query) if query is not None else f"like {like}"))
    t.add_column("rank", justify="right"), t.add_column("video_id"), t.add_column("title")
    if segments:
        t.add_column("segment_id")
    t.add_column("span", justify="right"), t.add_column("text"), t.add_column("similarity", justify="right")
    t.add_column("thumbnail")
    for r in res.to_pylist():
        span = f"{r['start']:.1f}-{r['end']:.1f} s" if r["start"] is not None and r["end"] is not None else ""
        t.add_row(str(r["rank"]), r["video_id"], r["title"] or "", *([r["segment_id"]] if segments else []), span,
                  r["text"] or "", f"{r['similarity']:.3f}", r["thumbnail"] or "-")
    console.print(t)


def _classes(args: list[str], file: Optional[Path]) -> list[str]:
    """Classes from repeated arguments (each may also be comma-separated) and/or a file, one per line."""
    names = [c.strip() for a in args for c in a.split(",")]
    if file is not None:
        names += [line.strip() for line in file.read_text(encoding="utf-8").splitlines()]
    out = list(dict.fromkeys(n for n in names if n and not n.startswith("#")))
    if len(out) < 2:
        raise typer.BadParameter("give at least 2 classes: as arguments (cooking cycling ...), comma-separated, "
                                 "or one per line with --classes-file FILE")
    return out


@app.command("zero-shot")
def zero_shot(classes: Optional[list[str]] = typer.Argument(None, help="Class names: repeated arguments, or "
                                                             "comma-separated."),
              workspace: Path = WS,
              classes_file: Optional[Path] = typer.Option(None, "--classes-file", exists=True, dir_okay=False,
                                                          help="File with one class name per line."),
              lens: str = typer.Option("transcript", help="A shared text-video lens (transcript, qwen...)."),
              template: str = typer.Option("a video of {}", help="Prompt template; {} is the class name."),
              temperature: float = typer.Option(0.05, help="Softmax temperature over cosine similarities."),
              save: bool = typer.Option(True, help="Store the labels in lens_videos.")):
    """Zero-shot classify every video from its STORED lens vector (nothing is re-embedded)."""
    from .lenses.search import LensError

    names = _classes(classes or [], classes_file)
    try:
        res = _reader(workspace).zero_shot(lens, names, template=template, temperature=temperature, save=save)
    except LensError as e:
        console.print(f"[red]error[/red] {e}")
        raise typer.Exit(1)
    t = Table(title=f"zero-shot ({lens})")
    t.add_column("video_id"), t.add_column("label"), t.add_column("p", justify="right")
    rows = res.to_pylist()
    for r in rows:
        if r["has_vector"]:
            t.add_row(r["video_id"], r["label"], f"{r['prob']:.3f}")
    console.print(t)
    missing = [r["video_id"] for r in rows if not r["has_vector"]]
    if missing:
        console.print(f"{len(missing)} of {len(rows)} videos have no {lens} vector and were not classified: "
                      + ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
                      + (" (no transcript)" if lens == "transcript" else " (no media, or the lens did not run)"),
                      markup=False, highlight=False)


@app.command()
def status(workspace: Path = WS):
    """What the workspace holds and which stages finished for how many videos."""
    from .status import workspace_status
    from .root import open_root

    open_root(Path(workspace), create=False)  # a missing or foreign workspace is one line, never created
    st = workspace_status(workspace)
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
                                                            help="jsonl | parquet | csv | action100m | fiftyone"),
           out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output file (not for fiftyone)."),
           dataset: Optional[str] = typer.Option(None, help="fiftyone: dataset to create or update."),
           apply_reviews: bool = typer.Option(False, "--apply-reviews", help="Remove the fields reviewers "
                                              "decided wrong, apply their fixes."),
           min_tier: Optional[str] = typer.Option(None, "--min-tier", help="Lowest tier kept: trusted | uncertain "
                                                  "| review (default: trusted for action100m, all otherwise). "
                                                  "Reviewed-ok annotations are always kept.")):
    """Export the confidence map (review queue order), the kept annotations, or everything into FiftyOne."""
    from .export import FORMATS
    from .export.reviewed import MIN_TIERS

    _check_format(format, (*FORMATS, "fiftyone"))
    if min_tier is not None and min_tier not in MIN_TIERS:
        raise typer.BadParameter(f"unknown tier {min_tier!r}; one of {', '.join(MIN_TIERS)}", param_hint="'--min-tier'")
    if format == "fiftyone":
        if not dataset:
            raise typer.BadParameter("--format fiftyone needs --dataset NAME", param_hint="'--dataset'")
        r = _fiftyone_guard(lambda: _reader(workspace).export_fiftyone(dataset, apply_reviews=apply_reviews))
        console.print(f"FiftyOne dataset {r['dataset']!r}: {r['samples']} videos ({r['added']} added), "
                      f"{r['detections']} annotated detections, brain runs {r['brain_keys']}, "
                      f"saved views {r['saved_views']} in {r['seconds']} s")
        if r.get("decisions_from_app") or r.get("decision_errors"):
            console.print(f"review decisions read from the App: {r['decisions_from_app']} stored, "
                          f"{len(r['decision_errors'])} skipped", markup=False, highlight=False)
            for msg in r["decision_errors"][:10]:
                console.print(f"  skipped {msg}", style="red", markup=False, highlight=False, soft_wrap=True)
        return
    if out is None:
        raise typer.BadParameter(f"--format {format} needs --out FILE", param_hint="'--out' / '-o'")
    path = _reader(workspace).export(out, format=format, apply_reviews=apply_reviews, min_tier=min_tier)
    console.print(f"wrote {path}")


@app.command("fiftyone-dataset")
def fiftyone_dataset(release: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                    help="Action100M release parquet (or its JSON forms)."),
                     media: Path = typer.Option(..., "--media", help="Folder holding <video_uid>.mp4 files."),
                     name: str = typer.Option(..., "--name", help="FiftyOne dataset to create."),
                     clip: Optional[float] = typer.Option(None, help="Keep the first CLIP seconds (the subset: 90)."),
                     overwrite: bool = typer.Option(False, help="Replace an existing dataset of that name.")):
    """Build the workshop's FiftyOne dataset (Voxel51 Action100M schema) from the release files."""
    from .fiftyone.voxel51 import build_dataset

    if not media.is_dir():
        raise typer.BadParameter(f"no such folder: {media}", param_hint="'--media'")
    r = _fiftyone_guard(lambda: build_dataset(release, media, name, clip=clip, overwrite=overwrite))
    console.print(f"FiftyOne dataset {r['dataset']!r}: {r['samples']} videos", markup=False, highlight=False)
    if r["skipped"]:
        console.print(f"{len(r['skipped'])} videos skipped, no media file in {media}: "
                      + ", ".join(r["skipped"][:20]), markup=False, highlight=False)


@app.command("app")
def app_cmd(workspace: Path = WS,
            dataset: Optional[str] = typer.Option(None, help="FiftyOne dataset (default videoaudit-<workspace>)."),
            port: int = typer.Option(5151, help="Port of the App on 127.0.0.1."),
            export: Optional[bool] = typer.Option(None, "--export/--no-export",
                                                  help="Force / skip the export (default: when stale).")):
    """Export the audit to FiftyOne if needed and open the FiftyOne App on 127.0.0.1 (prints the URL)."""
    from .fiftyone.app import open_app
    from .procs import stop_children_on_exit

    stop_children_on_exit()  # Ctrl-C, SIGTERM or the parent exiting stop the App server and database too
    _fiftyone_guard(lambda: open_app(_reader(workspace), dataset=dataset, port=port, export=export,
                                     echo=lambda m: print(m, flush=True)))


@app.command()
def errors(workspace: Path = WS, stage: Optional[str] = typer.Option(None, help="Only this stage's messages."),
           limit: int = typer.Option(200, help="Show at most this many (0: all).")):
    """List the recorded error and warning messages (newest workspace state, oldest message first)."""
    from .failures import iter_errors

    ws = _reader(workspace)
    n = shown = 0
    for row in iter_errors(ws.store, stage):
        n += 1
        if limit and shown >= limit:
            continue
        shown += 1
        where = " ".join(x for x in (row["video_id"] and f"video {row['video_id']}",
                                     row["segment_id"] and f"segment {row['segment_id']}") if x)
        console.print(f"[{row['stage']}] {where + ': ' if where else ''}{row['error']}", markup=False,
                      highlight=False, soft_wrap=True)
    console.print(f"{n} recorded messages" + (f" (stage {stage})" if stage else "")
                  + (f", {shown} shown" if shown < n else ""), markup=False, highlight=False)


@app.command()
def report(workspace: Path = WS, out: Path = typer.Option(Path("report.html"), "--out", "-o"),
           truth: Optional[Path] = typer.Option(None, help="truth.jsonl of a sample, for per-fault detection.")):
    """Write one self-contained HTML report."""
    path = _reader(workspace).report(out, truth=truth)
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
    console.print("the second opinion above is the sample's SIMULATED annotator, replayed from its file: its "
                  "\"model calls\" are counted as a VLM's would be, but no model ran")
    console.print(f"report: [bold]{res['report']}[/bold]")


for _group in (app, opinions_app):  # every command reports errors as one line (see _friendly)
    for _cmd in _group.registered_commands:
        _cmd.callback = _friendly(_cmd.callback)

if __name__ == "__main__":
    app()
