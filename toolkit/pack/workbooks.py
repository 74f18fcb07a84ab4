"""The spreadsheets beside a report, written with openpyxl (every cell inert: text never runs as a formula).

- The subject leader's (seed 003): one sheet per subject (and per programme of study), where typing the counts
  recalculates percentages, averages and "high" with real Excel formulas; a subject's Overall sheet adds up its
  programme-of-study sheets with formulas too; charts are openpyxl bar charts.
- The per-pupil appendix: one sheet per section of the report, every row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from toolkit.inputs.cells import inert, inert_frame
from toolkit.inputs.outputs import written_whole
from toolkit.methods import subject_leader
from toolkit.reports import appendix_views
from toolkit.reports.views import School

HEADER = [
    "Year",
    "Group",
    "Emerging",
    "Expected",
    "Exceeding",
    "Pupils",
    "% Emerging",
    "% Expected",
    "% Exceeding",
    "Average score",
    "High",
    "Analysis",
]
FIRST_ROW = 9  # the first year-group row
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")


def sheet_name(subject: str, strand: str) -> str:
    name = subject if not strand else f"{subject} - {strand}"
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name[:31]


def layout() -> tuple[list[tuple[str, str]], dict[tuple[str, str], int]]:
    """Rows of a sheet: (label, group) and the row of each; year groups first, then key stages and whole school."""
    spec = subject_leader.subject_leader_parameters()
    labels = [f"Year {y}" for y in spec["year_groups"]] + list(spec["key_stages"]) + ["Whole school"]
    rows, where = [], {}
    for label in labels:
        for group in subject_leader.GROUPS:
            where[(label, group)] = FIRST_ROW + len(rows)
            rows.append((label, group))
    return rows, where


def _sheet(
    wb: Workbook, title: str, heading: str, counts: pd.DataFrame | None, sources: list[str], scores: dict[str, float]
) -> None:
    """One sheet; counts typed in (``counts``) or added up from the ``sources`` sheets (formulas)."""
    spec = subject_leader.subject_leader_parameters()
    ws = wb.create_sheet(title)
    ws["A1"] = inert(heading)
    ws["A1"].font = Font(bold=True, size=13)
    ws["A3"], ws["B3"], ws["C3"], ws["D3"] = "Scores", "Emerging", "Expected", "Exceeding"
    for col, cat in zip("BCD", spec["categories"]):
        ws[f"{col}4"] = scores[cat]
        ws[f"{col}4"].fill = INPUT_FILL
    ws["A5"], ws["B5"] = "High from average", f"=C4+{spec['high_share_of_step']}*(D4-C4)"
    ws["A6"], ws["B6"] = "High: at most emerging", spec["high_max_emerging"]
    ws["B6"].number_format = "0%"
    ws["A7"] = "Type the counts in the yellow cells; everything else is calculated."
    for i, h in enumerate(HEADER, start=1):
        ws.cell(row=FIRST_ROW - 1, column=i, value=h).font = Font(bold=True)
    rows, where = layout()
    years = {f"Year {y}": y for y in spec["year_groups"]}
    phases = {**{k: [f"Year {y}" for y in v] for k, v in spec["key_stages"].items()}, "Whole school": list(years)}
    given = {} if counts is None else {(f"Year {r.year_group}", r.group): r for r in counts.itertuples()}
    for label, group in rows:
        r = where[(label, group)]
        ws.cell(row=r, column=1, value=label)
        ws.cell(row=r, column=2, value=group)
        for j, cat in enumerate(spec["categories"]):
            col = get_column_letter(3 + j)
            cell = ws[f"{col}{r}"]
            if label in years and not sources:
                row = given.get((label, group))
                cell.value = int(getattr(row, cat)) if row is not None else 0
                cell.fill = INPUT_FILL
            elif label in years:
                cell.value = "=" + "+".join(f"'{s}'!{col}{r}" for s in sources)
            else:
                cell.value = "=" + "+".join(f"{col}{where[(y, group)]}" for y in phases[label])
        ws[f"F{r}"] = f"=SUM(C{r}:E{r})"
        for j, col in enumerate("GHI"):
            ws[f"{col}{r}"] = f'=IF($F{r}=0,"",{"CDE"[j]}{r}/$F{r})'
            ws[f"{col}{r}"].number_format = "0%"
        ws[f"J{r}"] = f'=IF($F{r}=0,"",(C{r}*$B$4+D{r}*$C$4+E{r}*$D$4)/$F{r})'
        ws[f"J{r}"].number_format = "0.00"
        ws[f"K{r}"] = f'=IF($F{r}=0,"",IF(AND(J{r}>=$B$5,G{r}<=$B$6),"High",""))'
        if label not in years:
            for c in range(1, 12):
                ws.cell(row=r, column=c).font = Font(bold=True)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["L"].width = 50
    for r in range(FIRST_ROW, FIRST_ROW + len(rows)):
        ws[f"L{r}"].alignment = Alignment(wrap_text=True)
    # Chart data: the Overall rows' percentages gathered into one block (formulas), charted as stacked bars.
    ws["N8"], ws["O8"], ws["P8"], ws["Q8"] = "Chart data", "Emerging", "Expected", "Exceeding"
    for i, y in enumerate(spec["year_groups"]):
        r, src = FIRST_ROW + i, where[(f"Year {y}", subject_leader.OVERALL)]
        ws[f"N{r}"] = f"Year {y}"
        for col, pct in zip("OPQ", "GHI"):
            ws[f"{col}{r}"] = f'=IF({pct}{src}="",0,{pct}{src})'
            ws[f"{col}{r}"].number_format = "0%"
    last = FIRST_ROW + len(spec["year_groups"]) - 1
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "percentStacked", 100
    chart.title = f"{heading}: % of pupils"
    chart.add_data(Reference(ws, min_col=15, max_col=17, min_row=FIRST_ROW - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=14, min_row=FIRST_ROW, max_row=last))
    chart.height, chart.width = 8, 16
    ws.add_chart(chart, "N16")


def write_subject_leader_workbook(
    counts: pd.DataFrame, school_name: str, out: Path | str, scores: dict[str, float] | None = None
) -> Path:
    """The workbook for one school's counts (``subject_leader`` counts table, programmes of study as strands; an
    ``Overall`` strand, if present, is replaced by formulas). Sheets in the order of ``subject_leader.yaml``."""
    scores = subject_leader.category_scores(scores)
    wb = Workbook()
    wb.remove(wb.active)
    spec = subject_leader.subject_leader_parameters()
    subjects = [s for s in spec["subjects"] if s in set(counts["subject"])] + sorted(
        set(counts["subject"]) - set(spec["subjects"])
    )
    for subject in subjects:
        mine = counts[counts["subject"] == subject]
        strands = [s for s in dict.fromkeys(mine["strand"].fillna("")) if s not in ("", subject_leader.OVERALL)]
        if not strands:
            _sheet(wb, sheet_name(subject, ""), f"{subject} - {school_name}", mine, [], scores)
            continue
        names = [sheet_name(subject, s) for s in strands]
        for strand, name in zip(strands, names):
            _sheet(wb, name, f"{subject}: {strand} - {school_name}", mine[mine["strand"] == strand], [], scores)
        _sheet(
            wb, sheet_name(subject, subject_leader.OVERALL), f"{subject}: overall - {school_name}", None, names, scores
        )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(out) as partial:  # never a half-written workbook beside the report
        wb.save(partial)
    return out


def write_appendix_workbook(school: School, year_groups: list[int], path: str | Path) -> Path:
    """The appendix as a spreadsheet: one sheet per ``Section.sheet``, every row (nothing capped), numbers as
    numbers, each cell inert (``inputs.cells``: text never runs as a formula), the header row frozen."""
    path = Path(path)
    by_sheet: dict[str, list[pd.DataFrame]] = {}
    for section in appendix_views.sections(school, year_groups):
        by_sheet.setdefault(section.sheet, []).append(section.table)
    with written_whole(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        about = pd.DataFrame(
            {
                "About": [
                    f"{school.name}: per-pupil appendix",
                    "SYNTHETIC DATA: every pupil here is generated." if school.info.get("synthetic") else "",
                    "Percentages are 0-100; chances at the school's challenge level; see the report's key.",
                ]
            }
        )
        inert_frame(about).to_excel(writer, sheet_name="About", index=False)
        for sheet, tables in by_sheet.items():
            frame = inert_frame(pd.concat(tables, ignore_index=True)).round(2)
            front = [c for c in ("Year group", "Subject") if c in frame]
            frame = frame[front + [c for c in frame if c not in front]]
            frame.to_excel(writer, sheet_name=sheet[:31], index=False)
            ws = writer.sheets[sheet[:31]]
            ws.freeze_panes = "A2"
            for i, col in enumerate(frame.columns, start=1):
                ws.column_dimensions[get_column_letter(i)].width = min(40, max(8, len(str(col)) + 2))
    return path
