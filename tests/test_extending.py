"""Adding a measure is one stage; adding a report is a notebook, a view and one catalogue entry. A toy stage and a toy
report (fixtures here, not shipped) go through the public interfaces only and come out in a pack and its index."""

import json

import nbformat
import pandas as pd
import pytest

from toolkit.pack.batch import PackRequest, run_batch
from toolkit.pipeline import stages
from toolkit.pipeline.prepare import find_inputs, prepare
from toolkit.pipeline.stage import Given, Stage, of_schools
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue
from toolkit.vocabulary import year_group_number


def _pupils_by_year(given: Given) -> dict:
    pupils = given.loaded.pupils
    counts = (
        pupils.assign(year=year_group_number(pupils["year_group"]))
        .groupby(["school_id", "year"], as_index=False)
        .size()
        .rename(columns={"size": "pupils"})
    )
    return {"toy_pupils_by_year": of_schools(counts)}


TOY_STAGE = Stage(
    "toy",
    needs=("pupils",),
    makes={"toy_pupils_by_year": "pupils on roll per year group (a toy measure)"},
    run=_pupils_by_year,
    facts=lambda mine: {"toy_years": int(len(mine("toy_pupils_by_year")))},
)

VIEW = """
from toolkit.reports import views
from toolkit.reports.display import heading, show_table

school = views.load(run_dir, school_id)
heading("Pupils by year group (toy)")
show_table(school.table("toy_pupils_by_year")[["year", "pupils"]])
"""


@pytest.fixture
def toy(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    parameters = nbformat.v4.new_code_cell('run_dir = "outputs/demo/run/prepared"\nschool_id = ""\n')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell(VIEW)]
    nbformat.write(notebook, tmp_path / "toy.ipynb")
    stages.register(TOY_STAGE)
    catalogue.register(
        catalogue.Report(
            "toy",
            "Toy: pupils by year group",
            applies=lambda facts: facts.get("toy_years", 0) > 0,
            notebook=tmp_path / "toy.ipynb",
            terms=(("Year group", "the pupil's year, Reception as 0"),),
            provenance="the school's own pupil table",
        )
    )
    yield
    stages.unregister("toy")
    catalogue.unregister("toy")


def test_a_toy_stage_makes_a_declared_table_and_a_fact(toy, pack_data, two, tmp_path):
    prepare(find_inputs(pack_data), tmp_path / "run", schools=two[:1], say=lambda m: None)
    run = PreparedRun(tmp_path / "run")
    table = run.table(two[0], "toy_pupils_by_year")
    pupils = pd.read_csv(pack_data / "pupils.csv", dtype=str)
    assert table["pupils"].sum() == (pupils["school_id"] == two[0]).sum()
    assert run.school_info(two[0])["toy_years"] == len(table) > 1
    assert "toy" in catalogue.applicable(run.school_info(two[0]))
    with pytest.raises(ValueError, match="no slice table called 'toy_typo'"):
        run.table(two[0], "toy_typo")
    with pytest.raises(ValueError, match="exists already"):
        stages.register(TOY_STAGE)


@pytest.mark.slow
def test_a_toy_report_appears_in_the_pack_and_its_index(toy, pack_data, two, tmp_path):
    out = tmp_path / "pack"
    manifest = run_batch(
        PackRequest(
            find_inputs(pack_data), out, schools=two[:1], reports=["toy", "va"], progress=False, say=lambda m: None
        )
    )
    rows = {r["report"]: r for r in manifest["reports"]}
    assert set(rows) == {"toy", "va"} and {r["status"] for r in rows.values()} == {"done"}, manifest["reports"]
    html = (out / rows["toy"]["outputs"]["html"]).read_text()
    assert "Pupils by year group (toy)" in html and "Toy: pupils by year group" in html
    assert (out / rows["toy"]["outputs"]["pdf"]).stat().st_size > 2_000
    index = (out / "index.html").read_text()
    assert '<th scope="col">Toy: pupils by year group</th>' in index and f"{two[0]}_" in index and "_toy.pdf" in index
    assert json.loads((out / "manifest.json").read_text())["reports"][1]["report"] == "toy"  # pack order: after va


def test_the_built_in_catalogue_and_stages_are_left_as_they_were(toy):
    stages.unregister("toy")
    catalogue.unregister("toy")
    assert "toy" not in catalogue.names() and "toy" not in {s.name for s in stages.all_stages()}
