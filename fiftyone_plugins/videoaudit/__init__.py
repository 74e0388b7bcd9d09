"""videoaudit inside the FiftyOne App: audit the current view, open the audit's saved views.

Install: point FiftyOne at this folder (``FIFTYONE_PLUGINS_DIR=<checkout>/fiftyone_plugins``) or
copy it into your plugins directory; videoaudit itself must be importable by the App's Python.

* ``run_audit``: ingests the current view's videos that the workspace does not hold yet (the
  dataset's TemporalDetections, docs/fiftyone.md), runs every stage the inputs allow for those
  videos only, exports the results back into this dataset and reloads the App.
* ``open_audit_view``: loads one of the ``va-*`` saved views (trusted, review queue, paraphrases,
  per verdict) that the export saved.
* ``mark_segments``: the review decision for the selected annotation labels (ok, wrong, or a
  fixed text): tags them ``review:ok`` / ``review:wrong`` (or sets ``va_fix``) and stores the
  decisions in the workspace at once (fiftyone/decisions.py); the next export re-tiers them.
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

INFO_KEY = "videoaudit"


def _default_workspace(dataset) -> str:
    info = dataset.info.get(INFO_KEY) or {}
    if info.get("workspace"):
        return info["workspace"]
    import os

    return os.path.join(os.path.expanduser("~"), "videoaudit", dataset.name)


class RunAudit(foo.Operator):
    @property
    def config(self):
        return foo.OperatorConfig(name="run_audit", label="videoaudit: audit the current view",
                                  description="Ingest, audit and export the videos of the current view",
                                  dynamic=True, execute_as_generator=False)

    def resolve_input(self, ctx):
        inputs = types.Object()
        inputs.str("workspace", label="Workspace directory", required=True,
                   default=_default_workspace(ctx.dataset))
        inputs.str("text_model", label="Sentence embedder", default="minilm",
                   description="minilm (offline) or any sentence-transformers model id/path")
        inputs.bool("redo", label="Recompute finished videos", default=False)
        return types.Property(inputs, view=types.View(label="videoaudit: audit the current view"))

    def execute(self, ctx):
        from videoaudit.api import Workspace
        from videoaudit.fiftyone.export import export_fiftyone
        from videoaudit.fiftyone.ingest import video_ids_of

        ws = Workspace(ctx.params["workspace"], text_model=ctx.params.get("text_model") or "minilm")
        view = ctx.view
        summary = ws.ingest(view, format="fiftyone")
        known = set(ws.video_ids())
        vids = [v for v in video_ids_of(view) if v in known]  # rejected samples are not audited
        reports = ws.run(redo=bool(ctx.params.get("redo")), video_ids=vids)
        result = export_fiftyone(ws, ctx.dataset.name)
        ctx.ops.reload_dataset()
        failed = sum(len(r.failed) for r in reports.values())
        ctx.ops.notify(f"videoaudit: {len(vids)} videos audited ({failed} failed), "
                       f"{summary.videos} newly ingested", variant="success" if not failed else "warning")
        return {"videos": len(vids), "ingested": summary.videos, "failed": failed,
                "saved_views": result["saved_views"]}


class OpenAuditView(foo.Operator):
    @property
    def config(self):
        return foo.OperatorConfig(name="open_audit_view", label="videoaudit: open an audit view", dynamic=True)

    def resolve_input(self, ctx):
        inputs = types.Object()
        names = [n for n in ctx.dataset.list_saved_views() if n.startswith("va-")]
        if not names:
            inputs.view("none", types.Warning(label="No audit views yet: run 'videoaudit: audit the current view' "
                                                    "or `videoaudit export --format fiftyone` first"))
            return types.Property(inputs)
        choices = types.DropdownView()
        for n in names:
            choices.add_choice(n, label=n)
        inputs.enum("view", names, required=True, default=names[0], label="Audit view", view=choices)
        return types.Property(inputs)

    def execute(self, ctx):
        name = ctx.params["view"]
        ctx.ops.set_view(name=name)
        return {"view": name}


class MarkSegments(foo.Operator):
    @property
    def config(self):
        return foo.OperatorConfig(name="mark_segments", label="videoaudit: mark the selected segments",
                                  description="Review decision (ok / wrong / fixed) for the selected labels",
                                  dynamic=True)

    def resolve_input(self, ctx):
        inputs = types.Object()
        n = len(ctx.selected_labels or [])
        if not n:
            inputs.view("none", types.Warning(label="Select annotation labels in the App first"))
            return types.Property(inputs)
        choices = types.RadioGroup()
        for v in ("ok", "wrong", "fixed"):
            choices.add_choice(v, label=v)
        inputs.enum("verdict", ["ok", "wrong", "fixed"], required=True, default="wrong", view=choices,
                    label=f"Decision for {n} selected label(s)")
        inputs.str("fix", label="Corrected text (verdict fixed)")
        inputs.str("workspace", label="Workspace directory", default=_default_workspace(ctx.dataset))
        return types.Property(inputs, view=types.View(label="videoaudit: mark the selected segments"))

    def execute(self, ctx):
        return mark(ctx.dataset, ctx.selected_labels or [], ctx.params["verdict"], ctx.params.get("fix"),
                    ctx.params.get("workspace"))


def mark(dataset, selected: list, verdict: str, fix: str | None = None, workspace: str | None = None) -> dict:
    """Tag the selected labels with the decision and store it in the workspace (when it exists)."""
    from videoaudit.fiftyone.decisions import FIX_ATTRIBUTE, TAGS, import_app_decisions

    if verdict == "fixed" and not (fix or "").strip():
        raise ValueError("verdict 'fixed' needs the corrected text")
    view = dataset.select_labels(labels=selected)
    view.untag_labels(list(TAGS))
    if verdict == "fixed":
        for field in {s["field"] for s in selected}:
            view.set_label_values(f"{field}.detections.{FIX_ATTRIBUTE}",
                                  {s["label_id"]: fix.strip() for s in selected if s["field"] == field})
    else:
        view.tag_labels(f"review:{verdict}")
    out = {"marked": len(selected), "verdict": verdict, "stored": 0}
    info = dataset.info.get(INFO_KEY) or {}
    if workspace and info.get("fields"):
        import os

        if os.path.isdir(workspace):
            from videoaudit.api import Workspace

            res = import_app_decisions(Workspace(workspace), dataset, info["fields"])
            out.update(stored=res["stored"], errors=res["errors"][:10])
    return out


def register(p):
    p.register(RunAudit)
    p.register(OpenAuditView)
    p.register(MarkSegments)
