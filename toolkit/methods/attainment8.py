"""Attainment 8 from a slot structure: which elements, how many slots each, which subjects may fill them, double
weighting (``parameters/ks4/attainment8_structure.yaml``, the DfE's rules in force; another file, such as the
reform proposed for consultation in 2025, is another structure with no code change).

A structure's elements are filled in order. Each takes a pupil's best ``slots`` counted results from its areas
(``from``: areas of ``parameters/ks4/gcse_subjects.csv``, or ``any``) that an earlier element has not used, and
multiplies their points by ``weight`` (with ``double_if_all_of``: only when the pupil has a result in each area
listed, else once). ``require`` reserves slots for the pupil's best result in each of ``at_least`` different
``categories`` (the categories whose best results are highest); a reserved slot the pupil cannot fill stays empty.
Results come from ``ks4.counted_results`` (after discounting; combined science as two results).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from toolkit import parameters


@dataclass(frozen=True)
class Element:
    name: str
    label: str
    slots: int
    from_areas: tuple[str, ...] | None  # None: any
    weight: float = 1.0
    double_if_all_of: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    category_labels: tuple[str, ...] = ()
    at_least: int = 0


@dataclass(frozen=True)
class Structure:
    name: str
    status: str
    source: str
    elements: tuple[Element, ...]
    areas: dict[str, str] = field(default_factory=dict)  # subject -> its area in this structure

    @property
    def slots(self) -> int:
        """Slots counted, double weighting included (10 today: A8 is at most 90)."""
        return int(sum(e.slots * e.weight for e in self.elements))


def structure(name: str | None = None) -> Structure:
    """A slot structure from its parameter file (default: ``ks4.yaml`` ``attainment8_structure``)."""
    name = name or parameters.load_yaml("ks4.yaml")["attainment8_structure"]
    spec = parameters.load_yaml(name)
    elements = []
    for e in spec["elements"]:
        require = e.get("require") or {}
        elements.append(
            Element(
                name=e["name"],
                label=e.get("label", e["name"]),
                slots=int(e["slots"]),
                from_areas=None if e["from"] == "any" else tuple(e["from"]),
                weight=float(e.get("weight", 1)),
                double_if_all_of=tuple(e.get("double_if_all_of") or ()),
                categories=tuple(require.get("categories", {})),
                category_labels=tuple((require.get("categories") or {}).values()),
                at_least=int(require.get("at_least", 0)),
            )
        )
    return Structure(
        spec["name"],
        spec["status"],
        " ".join(str(spec["source"]).split()),
        tuple(elements),
        dict(spec.get("areas") or {}),
    )


def _best(candidates: pd.DataFrame, slots: int) -> pd.DataFrame:
    """Each pupil's best ``slots`` candidates."""
    ranked = candidates.sort_values(["upn", "points"], ascending=[True, False], kind="stable")
    return ranked[ranked.groupby("upn").cumcount() < slots]


def _fill(pool: pd.DataFrame, element: Element) -> pd.DataFrame:
    """The rows of ``pool`` (unused, in the element's areas) that fill the element's slots."""
    if not element.categories:
        return _best(pool, element.slots)
    in_category = pool[pool["area"].isin(element.categories)]
    best_each = in_category.sort_values("points", ascending=False, kind="stable").drop_duplicates(["upn", "area"])
    forced = _best(best_each, element.at_least)
    # the reserved slots are the forced ones'; those a pupil cannot fill stay empty
    rest = _best(pool.drop(index=forced.index), element.slots - element.at_least)
    return pd.concat([forced, rest])


def attainment8(counted: pd.DataFrame, upns: pd.Index, layout: Structure | None = None) -> pd.DataFrame:
    """Per pupil (``upns``): each element's points, ``a8``, ``<element>_slots`` filled (elements of more than one
    slot), the points of the last element's lowest filled slot (``<last>_lowest``) and ``<element>_double`` (whether
    a ``double_if_all_of`` element counted twice). ``counted``: ``upn, subject, area, points``."""
    return _scored(counted, upns, layout or structure())[0]


def _scored(counted: pd.DataFrame, upns: pd.Index, layout: Structure) -> tuple[pd.DataFrame, np.ndarray]:
    """``attainment8`` and each pupil's slots left empty (nothing to fill them).

    Per pupil (``upns``): each element's points, ``a8``, ``<element>_slots`` filled (elements of more than one
    slot), the points of the last element's lowest filled slot (``<last>_lowest``) and ``<element>_double`` (whether
    a ``double_if_all_of`` element counted twice)."""
    rows = counted.reset_index(drop=True)
    if layout.areas:
        rows = rows.assign(area=rows["subject"].map(layout.areas).fillna(rows["area"]))
    has_area = rows.groupby(["upn", "area"]).size().unstack(fill_value=0).reindex(upns, fill_value=0) > 0
    out, slots, used, chosen = pd.DataFrame(index=upns), {}, np.zeros(len(rows), dtype=bool), None
    doubles, filled = {}, pd.Series(0, index=upns)
    for element in layout.elements:
        pool = rows[~used]
        if element.from_areas is not None:
            pool = pool[pool["area"].isin(element.from_areas)]
        chosen = _fill(pool, element)
        used[chosen.index.to_numpy()] = True
        filled = filled + chosen.groupby("upn").size().reindex(upns, fill_value=0)
        weight = pd.Series(element.weight, index=upns)
        if element.double_if_all_of:
            every = pd.concat([has_area.get(a, pd.Series(False, index=upns)) for a in element.double_if_all_of], axis=1)
            doubles[f"{element.name}_double"] = every.all(axis=1).to_numpy()
            weight = weight.where(every.all(axis=1), 1.0)
        out[element.name] = (chosen.groupby("upn")["points"].sum().reindex(upns).fillna(0) * weight).to_numpy()
        if element.slots > 1:
            slots[f"{element.name}_slots"] = chosen.groupby("upn").size().reindex(upns).fillna(0).astype(int)
    out["a8"] = out[[e.name for e in layout.elements]].sum(axis=1)
    for name, count in slots.items():
        out[name] = count.to_numpy()
    out[f"{layout.elements[-1].name}_lowest"] = chosen.groupby("upn")["points"].min().reindex(upns).to_numpy()
    for name, flag in doubles.items():
        out[name] = flag
    empty = sum(e.slots for e in layout.elements) - filled.to_numpy()
    return out.rename_axis("upn").reset_index(), empty


def what_if(counted: pd.DataFrame, upns: pd.Index, now: Structure, other: Structure) -> pd.DataFrame:
    """Each pupil's Attainment 8 under the structure in force and under ``other`` (a proposal): ``upn, a8,
    a8_other``, and the slots each leaves empty (``empty_slots``, ``empty_slots_other``: nothing to fill them)."""
    out = pd.DataFrame({"upn": upns})
    for key, layout in (("", now), ("_other", other)):
        frame, empty = _scored(counted, upns, layout)
        out[f"a8{key}"], out[f"empty_slots{key}"] = frame["a8"].to_numpy(), empty
    return out
