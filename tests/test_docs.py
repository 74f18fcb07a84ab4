"""The documentation stays true to the code it describes."""
from pathlib import Path

from toolkit.data.schema import FIELDS

ROOT = Path(__file__).resolve().parent.parent


def test_data_model_lists_every_column():
    text = (ROOT / "docs" / "data_model.md").read_text()
    missing = [f.name for f in FIELDS if f"`{f.name}`" not in text]
    assert not missing, f"docs/data_model.md does not describe {missing}"


def test_readme_shows_the_two_commands_first():
    text = (ROOT / "README.md").read_text()
    assert text.index("make demo") < text.index("make test") < text.index("## ")
