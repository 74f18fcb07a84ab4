"""Executed notebook -> HTML (nbconvert, code hidden) -> PDF (Debian's Chromium through Playwright, one browser
for the whole batch; A4, page numbers, nothing fetched from the internet)."""

from __future__ import annotations

import functools
import html
import os
import shutil
from pathlib import Path

import nbformat

from toolkit.inputs.outputs import written_whole

NOTEBOOK_ONLY = "notebook-only"  # cells with this tag (the notebooks' explanations) are left out of the report
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTML exporter without its final pass, which re-parses the whole page with BeautifulSoup
        only to add missing alt texts and tab stops (over a second on a long report). Report charts carry
        their own alt text (``display.show_figure``)."""

        def from_notebook_node(self, nb, resources=None, **kw):
            lexer = nb.metadata.get("language_info", {}).get("name")
            self.register_filter("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    # The "basic" template: just the cells. Reports bring their own print CSS (display.CSS), which lays out a long
    # report in Chromium faster than JupyterLab's full stylesheet.
    return ReportExporter(
        template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )


def html_of(nb, title: str = "Report") -> tuple[str, list[str]]:
    """HTML of an executed notebook with code hidden and ``notebook-only`` cells left out; stderr output (warnings) is left out of the page and
    returned so the caller can record it."""
    nb = nbformat.from_dict(nb) if isinstance(nb, dict) else nb
    nb.cells = [c for c in nb.cells if NOTEBOOK_ONLY not in c.get("metadata", {}).get("tags", [])]
    warnings = []
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                warnings.append(out.get("text", ""))
            else:
                kept.append(out)
        if "outputs" in cell:
            cell.outputs = kept
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    page = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body><main>\n{body}\n</main></body></html>\n"
    )
    return page, warnings


def chromium_path() -> str:
    """The Chromium executable: $TOOLKIT_CHROMIUM, else Debian's /usr/bin/chromium. Never downloads one."""
    for candidate in (os.environ.get("TOOLKIT_CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise FileNotFoundError(
        "No Chromium found for PDF output: install Debian's chromium package (make setup does) "
        "or set TOOLKIT_CHROMIUM to a Chromium executable"
    )


class PdfPrinter:
    """One headless Chromium for the whole batch, printing up to ``parallel`` PDFs at once (pages render in
    Chromium's own processes). ``submit`` returns a future; use as a context manager."""

    def __init__(self, parallel: int = 2):
        self.parallel = max(1, parallel)

    def __enter__(self) -> PdfPrinter:
        import asyncio
        import threading
        from concurrent.futures import Future

        self._loop = asyncio.new_event_loop()
        started: Future = Future()

        async def start():
            from playwright.async_api import async_playwright

            self._pw = await async_playwright().start()
            self._browser = await self._pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            self._context = await self._browser.new_context()
            # Reports are self-contained: anything that is not a local file is refused at once.
            await self._context.route(
                "**/*",
                lambda route: route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort(),
            )
            # ``parallel`` pages kept open and reused: a new page per report starts a new renderer process
            self._pages = asyncio.Queue()
            for _ in range(self.parallel):
                self._pages.put_nowait(await self._context.new_page())

        def run():
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(start())
                started.set_result(True)
            except BaseException as err:  # report start-up failures to the caller
                started.set_exception(err)
                return
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="pdf-printer", daemon=True)
        self._thread.start()
        started.result(timeout=120)
        return self

    async def _print(self, html_file: Path, pdf_file: Path, footer: str) -> None:
        page = await self._pages.get()
        try:
            await page.goto(Path(html_file).resolve().as_uri(), wait_until="load")
            with written_whole(pdf_file) as partial:  # renamed when whole: never a half-written PDF
                await page.pdf(
                    path=str(partial),
                    format="A4",
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=_footer(footer),
                    margin={"top": "12mm", "bottom": "16mm", "left": "10mm", "right": "10mm"},
                    tagged=True,  # a tagged PDF: screen readers follow headings, tables and alt text
                    outline=True,  # the document outline (PDF sidebar) from the report's headings
                )
        except BaseException:  # a page that failed (a crashed renderer ...) is replaced, never reused
            await page.close()
            page = await self._context.new_page()
            raise
        finally:
            self._pages.put_nowait(page)

    def submit(self, html_file: Path, pdf_file: Path, footer: str):
        """Start printing ``html_file`` to ``pdf_file``; returns a concurrent.futures.Future."""
        import asyncio

        return asyncio.run_coroutine_threadsafe(self._print(Path(html_file), Path(pdf_file), footer), self._loop)

    def __exit__(self, *exc) -> None:
        import asyncio

        async def stop():
            await self._browser.close()
            await self._pw.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)


def _footer(text: str) -> str:
    return (
        '<div style="font-size:7.5pt;width:100%;padding:0 12mm;color:#444;font-family:sans-serif;'
        f'display:flex;justify-content:space-between"><span>{html.escape(text)}</span>'
        '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
    )
