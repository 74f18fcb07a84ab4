"""The documentation stays true to the code it describes."""

from pathlib import Path

from toolkit.inputs.schema import FIELDS

ROOT = Path(__file__).resolve().parent.parent


def test_data_model_lists_every_column():
    text = (ROOT / "docs" / "data_model.md").read_text()
    missing = [f.name for f in FIELDS if f"`{f.name}`" not in text]
    assert not missing, f"docs/data_model.md does not describe {missing}"


def test_readme_shows_the_two_commands_first():
    text = (ROOT / "README.md").read_text()
    assert text.index("make demo") < text.index("make test") < text.index("## ")


def test_readme_python_example_runs(pack_data):
    """The README's Python block runs as written, on the test trust and reference instead of outputs/."""
    text = (ROOT / "README.md").read_text()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    block = block.replace("outputs/trust/", f"{pack_data}/").replace(
        "outputs/national_2026.parquet", str(pack_data.parent / "national_2026.parquet")
    )
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["scales"].ks2_fine_points(level=4, mark=52, level_min=41, level_max=69) == 26.28
    assert {"school_id", "subject", "score"} <= set(
        namespace["dfe"].school_scores(namespace["dfe"].transform(namespace["pupils"])).columns
    )


def test_architecture_page_names_every_layer():
    import tomllib

    text = (ROOT / "docs" / "architecture.md").read_text()
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    assert all(name.strip() in text for layer in layers for name in layer.split("|"))
    packages = {p.name for p in (ROOT / "toolkit").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert all(f"toolkit.{p}" in text for p in packages)
