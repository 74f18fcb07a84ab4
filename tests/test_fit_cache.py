"""Fitted models cached by content: a hit skips the fit, any change to the input file or the parameters refits,
a damaged entry is refitted, and a prepared run records which entry it used (tests/test_reports.py)."""

from toolkit.pipeline.fit_cache import cached_fit, fit_key


def test_a_fit_is_redone_only_when_its_content_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_CACHE", str(tmp_path / "cache"))  # its own cache, not the session's
    data = tmp_path / "reference.csv"
    data.write_text("a,b\n1,2\n")
    calls = []

    def fit():
        calls.append(1)
        return {"fitted": len(calls)}

    first, info = cached_fit("demo", [data], fit)
    again, again_info = cached_fit("demo", [data], fit)
    assert first == again == {"fitted": 1} and len(calls) == 1
    assert not info["hit"] and again_info["hit"] and info["key"] == again_info["key"]
    data.write_text("a,b\n1,3\n")  # the reference changed: refit
    assert cached_fit("demo", [data], fit)[0] == {"fitted": 2}
    params = tmp_path / "params"
    params.mkdir()
    (params / "estimates.yaml").write_text("bins: 3\n")
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(params))  # a parameter in effect changed: refit
    assert cached_fit("demo", [data], fit)[0] == {"fitted": 3}
    assert fit_key("demo", [data]) != fit_key("other", [data])
    # `toolkit reports --refit`: fitted again although nothing changed, and the entry replaced
    refitted, refit_info = cached_fit("demo", [data], fit, refit=True)
    assert refitted == {"fitted": 4} and not refit_info["hit"]
    assert cached_fit("demo", [data], fit)[0] == {"fitted": 4}


def test_a_damaged_entry_is_refitted(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "reference.csv"
    data.write_text("x\n1\n")
    cached_fit("demo", [data], lambda: "first")
    (entry,) = (tmp_path / "cache" / "fits").glob("demo-*.pkl")
    entry.write_bytes(b"not a pickle")
    value, info = cached_fit("demo", [data], lambda: "refitted")
    assert value == "refitted" and not info["hit"]
    assert not list((tmp_path / "cache" / "fits").glob("*.part"))
