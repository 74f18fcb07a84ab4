"""The per-school report pack: prepare (methodology once for all schools), views (what notebooks show), the
in-process notebook engine, rendering to HTML and PDF, and the batch that ties them together."""

# Report name -> title; each is notebooks/<name>.ipynb. A school gets the ones its data supports
# (prepare.applicable_reports).
REPORTS = {
    "summary": "Summary",
    "estimates": "Estimates",
    "targets": "Targets versus estimates",
    "groups": "Pupil groups",
    "va": "Value added",
    "ks4_results": "KS4 results",
    "ks4_estimates": "KS4 estimates and targets",
    "ks5_results": "KS5 results",
    "ks2_baseline": "KS2 fine points and P8 baseline",
    "tracking": "Tracking: steps and points",
    "subject_leader": "Subject leader analysis",
    "appendix": "Per-pupil appendix",
    "trust_overview": "Trust overview",
}
# The one report of a whole run rather than of a school (``<out>/trust_overview.*``, linked above the index table).
TRUST_REPORT = "trust_overview"
# Reports that also write a spreadsheet beside their PDF (``<stem>.xlsx``; the subject leaders' keeps the name
# ``subject_leader.xlsx``), linked from the index.
SPREADSHEETS = ("appendix", "subject_leader")
