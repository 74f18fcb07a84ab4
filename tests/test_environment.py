"""pyproject.toml and environment.yml list the same packages with the same lower bounds."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _parse(spec: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9.]+)\s*", spec)
    assert m, f"{spec!r} should be 'name>=version'"
    return m.group(1).lower(), m.group(2)


def _parse_name(spec: str) -> str:
    return re.split(r"[<>=\s]", spec, maxsplit=1)[0].lower()


def test_conda_and_pip_requirements_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = dict(_parse(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    conda_specs = [
        d
        for d in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
        if isinstance(d, str) and _parse_name(d) not in ("python", "pip")
    ]
    conda = dict(_parse(s) for s in conda_specs)
    assert conda == pip
