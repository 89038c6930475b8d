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
.doc{border:1px solid #dde;border-radius:6px;padding:.6rem 1rem;margin:1rem 0} .doc p{white-space:pre-wrap;margin:.4rem 0}
.doc img,.pair img{max-width:256px;max-height:256px;display:block;margin:.4rem 0} .missing{color:#889;font-size:.85rem}
.pairs{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1rem} .pair{font-size:.9rem}
tr.rules td{background:#fafbfd;font-style:italic}
"""
TEXT_CHARS = 600  # of each text block shown in a sample document


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


def decision_row(stats: dict[str, dict[str, Any]]) -> str:
    """The document rules between extract and dedup: documents extracted, kept, dropped per rule
    (as dedup applied them; as extract tagged them when dedup has not run)."""
    decided = (stats.get("dedup") or {}).get("documents")
    if decided is None and "drop_reasons" in (stats.get("extract") or {}):
        extract = stats["extract"]
        decided = {"extracted": extract["output_rows"], "kept": extract["kept_docs"],
                   "dropped_by_rule": extract["drop_reasons"]}
    if not decided:
        return ""
    reasons = ", ".join(f"{html.escape(k)} {v:,}" for k, v in list(decided["dropped_by_rule"].items())[:6])
    return (f'<tr class="rules"><td>document rules</td><td>{decided["extracted"]:,}</td><td>{decided["kept"]:,}</td>'
            f'<td>{decided["extracted"] - decided["kept"]:,}</td><td class="reasons">{reasons}</td><td></td></tr>')


def funnel_rows(stats: dict[str, dict[str, Any]]) -> str:
    """One table row per stage: rows in, out, rejected (top reasons), seconds; and the document
    rules' row after extract."""
    rows = []
    decision = decision_row(stats)
    for stage, s in stats.items():
        if stage == "dedup" and "extract" not in stats:
            rows.append(decision)
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
        if stage == "extract":
            rows.append(decision)
    return "\n".join(r for r in rows if r)


def data_uri(image: bytes) -> str:
    """A stored image (JPEG or WebP, ``images.image_bytes``) as a data: URI."""
    kind = "webp" if image[:4] == b"RIFF" and image[8:12] == b"WEBP" else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(image).decode()}"


def _thumbnail(image: bytes | None, alt: str) -> str:
    if not image:
        return f'<div class="missing">[image not stored: {html.escape(alt[:120])}]</div>'
    return f'<img alt="{html.escape(alt[:200])}" src="{data_uri(image)}">'


def document_sample(doc: dict[str, Any]) -> str:
    """A document as a reader sees it: its text blocks and stored images, in page order."""
    blocks = []
    for text, url in zip(doc["texts"], doc["images"]):
        if text is not None:
            more = "…" if len(text) > TEXT_CHARS else ""
            blocks.append(f"<p>{html.escape(text[:TEXT_CHARS])}{more}</p>")
        elif url is not None:
            blocks.append(_thumbnail(doc["thumbnails"].get(url), url))
    return f'<div class="doc"><div class="meta">{html.escape(doc["url"] or "")}</div>{"".join(blocks)}</div>'


def pair_sample(pair: dict[str, Any]) -> str:
    """A kept pair (image, caption, CLIP score) or a rejected one (reason, detail)."""
    if pair.get("reason"):
        return (f'<div class="pair"><b class="bad">{html.escape(pair["reason"])}</b> '
                f'{html.escape((pair.get("detail") or "")[:300])}</div>')
    score = "" if pair.get("clip_score") is None else f' <span class="meta">CLIP {pair["clip_score"]:.3f}</span>'
    return (f'<div class="pair">{_thumbnail(pair.get("image"), pair["url"])}'
            f'{html.escape(pair["text"][:300])}{score}</div>')


def samples_section(docs: list[dict[str, Any]], kept: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> str:
    """Sample documents and pairs, so a reader can judge the data by looking at it."""
    if not (docs or kept or rejected):
        return ""
    documents = "\n".join(document_sample(d) for d in docs) or '<p class="missing">no documents kept</p>'
    return (f"<h2>Sample documents</h2>\n{documents}\n<h2>Sample pairs</h2><h3>kept</h3>"
            f'<div class="pairs">{"".join(pair_sample(p) for p in kept)}</div><h3>rejected</h3>'
            f'<div class="pairs">{"".join(pair_sample(p) for p in rejected)}</div>')


def page(run_dir: str, stats: dict[str, dict[str, Any]], tables: dict[str, int], charts: list,
         samples: str = "") -> str:
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
</div>
{samples}
</body></html>
"""
