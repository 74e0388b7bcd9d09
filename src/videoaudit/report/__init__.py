"""Self-contained HTML report of an audit run."""

from videoaudit.report.html import ReportData, auroc, build_context, render_html, render_report

__all__ = ["ReportData", "auroc", "build_context", "render_html", "render_report"]
