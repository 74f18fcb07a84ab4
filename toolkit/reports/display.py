"""How reports show things: one print-friendly, colour-blind-safe theme; tables formatted as a reader expects
(percentages with %, scores to one decimal, no index); charts embedded as PNG; the title block and page CSS.

Everything is shown through IPython's ``display`` so a report looks the same in JupyterLab, in the batch and in
its HTML and PDF.
"""

from __future__ import annotations

import html
import io
from datetime import date

import numpy as np
import pandas as pd

from toolkit.reports.formats import _missing, _number

# The UK Government Analysis Function's categorical palette (colour-blind safe; every colour at least 3:1 against
# white, WCAG 1.4.11: dark blue 10.3, orange 3.0, turquoise 3.2, light purple 3.1, dark grey 10.9, dark pink 9.8), by
# role: 0 the main series, 1 a marker on it (targets: orange, with a dark edge), 2 above / good, 5 below / bad.
# Source: analysisfunction.civilservice.gov.uk/policy-store/data-visualisation-colours-in-charts (as afcharts ships it).
PALETTE = ["#12436D", "#F46A25", "#28A197", "#A285D1", "#3D3D3D", "#801650"]
MARKER_EDGE = "#111111"  # a marker's dark edge: it stands out on any bar, in any colour vision

CSS = """
<style>
body, .jp-Notebook { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #111; }
.tk-title { border-bottom: 3px solid #0072B2; margin-bottom: 10px; padding-bottom: 6px; }
.tk-title h1 { font-size: 18pt; margin: 0 0 4px 0; }
.tk-title table { border: none; font-size: 9.5pt; }
.tk-title td { border: none; padding: 1px 12px 1px 0; text-align: left; }
.tk-title td:first-child { white-space: nowrap; width: 9em; }
.tk-banner { background: #FFF3CD; border: 1px solid #E69F00; padding: 4px 8px; margin: 6px 0; font-weight: bold; }
.tk-note { color: #444; font-size: 9pt; margin: 2px 0 8px 0; }
.tk-key { border: 1px solid #CCC; background: #FAFAFA; padding: 4px 8px; margin: 4px 0 10px 0; font-size: 8.5pt; }
.tk-key table { border: none; } .tk-key td { border: none; padding: 1px 10px 1px 0; vertical-align: top; }
.tk-key td:first-child { white-space: nowrap; }
table.tk { border-collapse: collapse; margin: 4px 0 12px 0; font-size: 8.5pt; break-inside: avoid; page-break-inside: avoid; }
table.tk th { background: #E8F1F8; border-bottom: 1px solid #777; padding: 3px 6px; text-align: center; }
table.tk td { border-bottom: 1px solid #DDD; padding: 2px 6px; text-align: right; }
table.tk td.text { text-align: left; }
td.tk-good::first-letter, td.tk-bad::first-letter, td.tk-same::first-letter { font-size: 110%; }
td.tk-good { color: #005A2B; } td.tk-bad { color: #9E1B0A; } td.tk-same { color: #444; }
table.tk th.tk-caption { background: #FFF; color: #555; font-weight: normal; text-align: left; border-bottom: none; }
table.tk tr { break-inside: avoid; page-break-inside: avoid; }
table.tk.long { break-inside: auto; page-break-inside: auto; }
.tk-section { break-before: page; page-break-before: always; }
.tk-keep { break-inside: avoid; page-break-inside: avoid; }
.tk-row { display: flex; gap: 10px; align-items: flex-start; break-inside: avoid; page-break-inside: avoid; }
.tk-row > div { flex: 1 1 auto; }
.tk-row > div:first-child { flex: 0 0 38%; } .tk-row table.tk { font-size: 7.5pt; margin-top: 0; }
.tk-row table.tk th, .tk-row table.tk td { padding: 2px 4px; }
h2 { font-size: 14pt; margin: 10px 0 4px 0; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11.5pt; margin: 8px 0 3px 0; break-after: avoid; page-break-after: avoid; }
img { max-width: 100%; break-inside: avoid; page-break-inside: avoid; }
.jp-OutputArea-output, .output_area { break-inside: auto; }
</style>
"""


def display(obj) -> None:
    from IPython.display import display as ipy_display

    ipy_display(obj)


def show_html(text: str) -> None:
    from IPython.display import HTML

    display(HTML(text))


def table_html(frame: pd.DataFrame, formats: dict | None = None, long: bool = False, caption: str = "") -> str:
    """An HTML table without index; ``formats``: column -> function(value) -> text, or (text, marker) where the
    marker ("good", "bad", "same") colours the cell as the DfE's inspection data summary marks change and
    significance: beside words that say the same, never instead of them (``formats.marked``). Text is escaped. A
    ``caption`` heads the table on every page it runs over (a header row, which Chromium repeats)."""
    formats = formats or {}
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
    if caption:
        head = (
            f'<th class="tk-caption" scope="colgroup" colspan="{len(frame.columns)}">{html.escape(caption)}</th></tr><tr>'
            + head
        )
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, values):
            if col in formats:
                text, cls = formats[col](v), ""
                if isinstance(text, tuple):  # (text, marker): a coloured marker beside words that say the same
                    text, cls = text[0], f' class="text tk-{text[1]}"'
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                text, cls = ("" if _missing(v) else _number(f"{v:g}")), ""
            else:
                text, cls = ("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)), ' class="text"'
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cls = "tk long" if long else "tk"
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def show_table(frame: pd.DataFrame, formats: dict | None = None, long: bool = False, caption: str = "") -> None:
    show_html(table_html(frame, formats, long, caption))


_LAST_LEVEL = [1]  # the level of the last heading shown (the title is the h1): no heading skips a level


def heading(text: str, level: int = 2, new_page: bool = False) -> None:
    """A section heading; never more than one level below the last one shown (an h3 straight after the title
    becomes an h2), so that the page's outline has no gaps for a screen reader."""
    level = min(level, _LAST_LEVEL[0] + 1)
    _LAST_LEVEL[0] = level
    cls = ' class="tk-section"' if new_page else ""
    show_html(f"<h{level}{cls}>{html.escape(text)}</h{level}>")


def note(text: str) -> None:
    show_html(f'<p class="tk-note">{html.escape(text)}</p>')


def theme() -> None:
    """The one chart theme: seaborn whitegrid, colour-blind-safe palette, print sizes."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import seaborn as sns

    sns.set_theme(
        style="whitegrid",
        palette=PALETTE,
        context="paper",
        rc={
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.family": "DejaVu Sans",
            "axes.titleweight": "bold",
            "axes.titley": 1.0,  # titles just above their axes, as matplotlib places them with nothing on top, without
            # working out (for every draw) whether anything on top needs them higher
        },
    )


def figure_html(fig, alt: str | None = None) -> str:
    """A matplotlib figure as an embedded PNG with alt text: ``alt``, else the figure's label (a chart sets it to what
    it shows and its main message), else its titles; closes the figure."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    from matplotlib.layout_engine import TightLayoutEngine

    engine = fig.get_layout_engine()  # a chart that needs room (a legend below its panels) sets its own
    engine = engine if isinstance(engine, TightLayoutEngine) else TightLayoutEngine()
    engine.execute(fig)  # laid out once (bbox_inches="tight" would draw twice) ...
    fig.set_layout_engine(None)  # ... and savefig draws once: a layout engine left in place makes it draw twice
    fig.savefig(buffer, format="png")
    alt = (
        alt
        or fig.get_label()
        or " / ".join(t for a in fig.axes for loc in ("left", "center", "right") if (t := a.get_title(loc=loc)))
        or "Chart"
    )
    width = int(fig.get_figwidth() * fig.dpi)
    plt.close(fig)
    return _img(buffer.getvalue(), alt, width)


def _img(png: bytes, alt: str, width: int) -> str:
    import base64

    data = base64.b64encode(png).decode()
    return (
        f'<img class="tk-chart" src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
        f'style="width:{width}px;max-width:100%">'
    )


def bands_html(fig, bands: list[tuple[float, float]], alts: list[str]) -> list[str]:
    """One figure drawn once, cut into horizontal bands (``(top, bottom)`` in inches from the figure's top), each
    an embedded PNG with its alt text; closes the figure. Many small charts of one report cost one draw, not one
    figure each."""
    import matplotlib.pyplot as plt
    from PIL import Image

    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    width = int(fig.get_figwidth() * fig.dpi)
    out = []
    for (top, bottom), alt in zip(bands, alts):
        buffer = io.BytesIO()
        Image.fromarray(pixels[round(top * fig.dpi) : round(bottom * fig.dpi)]).save(buffer, format="png")
        out.append(_img(buffer.getvalue(), alt, width))
    plt.close(fig)
    return out


def show_figure(fig, alt: str | None = None) -> None:
    """Embed a matplotlib figure (``figure_html``)."""
    show_html(figure_html(fig, alt))


def show_side_by_side(*parts: str) -> None:
    """HTML pieces (``figure_html``, ``table_html``) next to each other, kept on one page."""
    show_html('<div class="tk-row">' + "".join(f"<div>{p}</div>" for p in parts) + "</div>")


def title_block(
    school: dict,
    report: str,
    cohort: str,
    challenge: str,
    source: str,
    synthetic: bool,
    when: date | None = None,
    key: list[tuple[str, str]] = (),
    provenance: str = "",
) -> None:
    """The title block every report starts with (and the page CSS), with the report's key on page 1."""
    _LAST_LEVEL[0] = 1
    when = when or date.today()
    rows = [
        ("School", f"{school.get('school_name', '')} ({school.get('school_id')})"),
        ("Report", report),
        ("Cohort", cohort),
        ("Challenge level", challenge),
        ("Date", when.strftime("%d %B %Y")),
        ("Data source", source),
    ]
    if provenance:
        rows.append(("Comparisons", provenance))

    # the school and the long facts (the data source, the comparisons) a line each, the short ones two to a line
    def cell(k: str, v, span: str = "") -> str:
        return f"<td><b>{html.escape(k)}</b></td><td{span}>{html.escape(str(v))}</td>"

    lines = [[rows[0]], rows[1:3], rows[3:5], *([r] for r in rows[5:])]
    cells = "".join(
        "<tr>" + "".join(cell(k, v, ' colspan="3"' if len(line) == 1 else "") for k, v in line) + "</tr>"
        for line in lines
    )
    banner = (
        (
            '<div class="tk-banner">SYNTHETIC DATA: every pupil and school in this report is generated; '
            "no real pupil appears.</div>"
        )
        if synthetic
        else ""
    )
    legend = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in key)
    legend = f'<div class="tk-key"><b>Key</b><table>{legend}</table></div>' if key else ""
    show_html(f'{CSS}<div class="tk-title"><h1>{html.escape(report)}</h1>{banner}<table>{cells}</table></div>{legend}')
