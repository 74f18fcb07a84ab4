"""The rendered HTML as a screen reader and a keyboard meet it: axe-core (the npm package `make test` installs into
the virtual environment) injected with Playwright into the Chromium that prints the PDFs, over the index, the trust
overview and every report of one primary and the secondary. No serious or critical violation, and none of the
structure rules the pack once broke (a main landmark, heading levels without gaps, links that say where they go)."""

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[1] / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
STRUCTURE = {"landmark-one-main", "region", "heading-order", "link-name", "th-has-data-cells", "empty-table-header"}


def violations(pages: list[Path]) -> dict[str, list[str]]:
    from playwright.sync_api import sync_playwright

    from toolkit.pack.render import chromium_path

    found = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in pages:
            page.goto(path.as_uri())
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            bad = [
                f"{v['id']} ({v['impact']}, {len(v['nodes'])}): {v['help']}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical") or v["id"] in STRUCTURE
            ]
            if bad:
                found[path.name] = bad
        if pages:
            page.goto(pages[0].as_uri())
            found_width = page.evaluate("document.documentElement.scrollWidth")
            if found_width > 1280:
                found["index width"] = [f"{found_width} px at a 1280 px window: its last column is off-screen"]
        browser.close()
    return found


@pytest.mark.slow
def test_the_pack_has_no_serious_accessibility_violation(pack, two, secondary):
    assert AXE.exists(), f"{AXE} is missing: `make test` installs axe-core (npm) into the virtual environment"
    out, _ = pack
    pages = [out / "index.html", out / "trust_overview.html"]
    for school in (two[0], secondary):
        pages += sorted((out / "reports" / school).glob("*.html"))
    assert len(pages) > 10
    assert violations(pages) == {}
