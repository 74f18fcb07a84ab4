"""What each report shows: views (tables, charts, words) over a school's slice, the glossary every report starts
with, and the report catalogue (``catalogue``). A view asks the store for slice tables by name and shows them; it
opens no file and computes no measure."""
