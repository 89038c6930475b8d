"""The run report as one self-contained HTML page: inline CSS, plots as inline PNG (matplotlib,
headless), the funnel table from the stages' stats, per-stage timings."""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from typing import Any

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem;color:#1d2330;max-width:1100px}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde}
.meta{color:#667;font-size:.9rem} table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e6e8ef;text-align:right;vertical-align:top}
th:first-child,td:first-child,.reasons{text-align:left} th{background:#f4f5f9}
.bad{color:#a33} .skip{color:#886} .plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:1rem}
figure{margin:0} figcaption{font-size:.85rem;color:#556}
"""


@dataclass(frozen=True)
class Histogram:
    """A histogram computed elsewhere (Spark): bin edges (len(counts) + 1) and counts."""
    title: str
    xlabel: str
    edges: list[float]
    counts: list[int]
    log_x: bool = False


@dataclass(frozen=True)
class Bars:
    """Counts per category (duplicates by kind, rejects by reason)."""
    title: str
    counts: dict[str, int]


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def plot(chart: Histogram | Bars) -> str:
    """A <figure> with the chart as an inline PNG (or a note when there is no data)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    title = html.escape(chart.title)
    empty = sum(chart.counts) == 0 if isinstance(chart, Histogram) else not chart.counts
    if empty:
        return f'<figure><figcaption>{title}: no data in this run</figcaption></figure>'
    figure, axes = plt.subplots(figsize=(6, 3.2))
    if isinstance(chart, Histogram):
        widths = [b - a for a, b in zip(chart.edges, chart.edges[1:])]
        axes.bar(chart.edges[:-1], chart.counts, width=widths, align="edge", color="#4a6fa5", edgecolor="white")
        axes.set_xlabel(chart.xlabel)
        if chart.log_x:
            axes.set_xscale("log")
    else:
        names = list(chart.counts)[:15][::-1]
        axes.barh(names, [chart.counts[n] for n in names], color="#4a6fa5")
    axes.set_ylabel("count" if isinstance(chart, Histogram) else "")
    axes.set_title(chart.title, fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    data = _png(figure)
    plt.close(figure)
    return f'<figure><img alt="{title}" src="data:image/png;base64,{data}"><figcaption>{title}</figcaption></figure>'


def funnel_rows(stats: dict[str, dict[str, Any]]) -> str:
    """One table row per stage: rows in, out, rejected (top reasons), seconds."""
    rows = []
    for stage, s in stats.items():
        if s.get("skipped"):
            rows.append(f'<tr><td>{html.escape(stage)}</td><td colspan="5" class="skip">skipped: '
                        f'{html.escape(str(s["skipped"])[:300])}</td></tr>')
            continue
        rejected = s.get("rejected") or {}
        reasons = ", ".join(f"{html.escape(k)} {v:,}" for k, v in list(rejected.items())[:6])
        balanced = "" if s.get("balanced", True) else ' <span class="bad">(unbalanced)</span>'
        rows.append(f'<tr><td>{html.escape(stage)}{balanced}</td><td>{s.get("input_rows", 0):,}</td>'
                    f'<td>{s.get("output_rows", 0):,}</td><td>{sum(rejected.values()):,}</td>'
                    f'<td class="reasons">{reasons}</td><td>{s.get("seconds", 0):,.1f}</td></tr>')
    return "\n".join(rows)


def page(run_dir: str, stats: dict[str, dict[str, Any]], tables: dict[str, int], charts: list) -> str:
    """The whole report page."""
    funnel = funnel_rows(stats)
    table_rows = "\n".join(f"<tr><td>{html.escape(n)}</td><td>{c:,}</td></tr>" for n, c in tables.items())
    timings = Bars("Seconds per stage", {s: round(v.get("seconds", 0), 1) for s, v in stats.items()
                                         if not v.get("skipped")})
    figures = "\n".join(plot(c) for c in [*charts, timings])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>weft run report</title><style>{CSS}</style></head>
<body><h1>weft run report</h1><div class="meta">{html.escape(run_dir)}</div>
<h2>Funnel</h2>
<table id="funnel"><thead><tr><th>stage</th><th>in</th><th>out</th><th>rejected</th><th class="reasons">top reasons</th>
<th>seconds</th></tr></thead><tbody>
{funnel}
</tbody></table>
<h2>Tables</h2><table id="tables"><thead><tr><th>table</th><th>rows</th></tr></thead><tbody>
{table_rows}
</tbody></table>
<h2>Distributions</h2><div class="plots">
{figures}
</div></body></html>
"""
