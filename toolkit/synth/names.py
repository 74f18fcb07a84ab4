"""Names for synthetic pupils and schools.

Forenames are common English ones; every surname is built from a prefix that says what the data is (Mock-,
Sample-, Synth-, Demo- ...) and an English place-name ending, so any page showing a pupil shows it is synthetic.
"""

from __future__ import annotations

import numpy as np

FEMALE = (
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Ivy",
    "Freya",
    "Lily",
    "Florence",
    "Mia",
    "Willow",
    "Rosie",
    "Sophia",
    "Isabella",
    "Grace",
    "Daisy",
    "Sienna",
    "Poppy",
    "Elsie",
    "Emily",
    "Ella",
    "Evelyn",
    "Phoebe",
    "Sofia",
    "Evie",
    "Charlotte",
    "Harper",
    "Matilda",
    "Ruby",
    "Aria",
    "Alice",
    "Maisie",
    "Jessica",
    "Chloe",
    "Molly",
    "Hannah",
    "Zara",
    "Aisha",
    "Maryam",
    "Amira",
    "Layla",
)
MALE = (
    "Noah",
    "Muhammad",
    "George",
    "Oliver",
    "Leo",
    "Arthur",
    "Oscar",
    "Theodore",
    "Freddie",
    "Theo",
    "Archie",
    "Harry",
    "Jack",
    "Henry",
    "Charlie",
    "Alfie",
    "Finley",
    "Jacob",
    "Tommy",
    "Ethan",
    "Lucas",
    "Isaac",
    "Joshua",
    "Samuel",
    "James",
    "William",
    "Thomas",
    "Harrison",
    "Reuben",
    "Albie",
    "Kieran",
    "Josh",
    "Christopher",
    "Harvey",
    "Mason",
    "Rohan",
    "Yusuf",
    "Ibrahim",
    "Kai",
    "Daniel",
)
SURNAME_PREFIXES = (
    "Mock",
    "Sample",
    "Synth",
    "Demo",
    "Test",
    "Proxy",
    "Model",
    "Pseudo",
    "Dummy",
    "Faux",
    "Proto",
    "Fict",
)
SURNAME_ENDINGS = ("ford", "ton", "ley", "wick", "field", "combe", "ham", "stead", "worth", "bury", "well", "by")
SCHOOL_WORDS = (
    "Oakfield",
    "Willowbrook",
    "Hazelmere",
    "Ashcombe",
    "Brambleton",
    "Elmstead",
    "Larkrise",
    "Rowanfield",
    "Beechwood",
    "Cedarvale",
    "Foxglove",
    "Meadowbank",
    "Hollybush",
    "Kingfisher",
    "Juniper",
    "Thornbury",
)


def surnames() -> list[str]:
    """Every synthetic surname (prefix + ending), e.g. Mockford, Sampleton, Synthley."""
    return [p + e for p in SURNAME_PREFIXES for e in SURNAME_ENDINGS]


def pupil_names(rng: np.random.Generator, female: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forenames (by gender) and synthetic surnames for pupils; ``female`` is a boolean array."""
    n = len(female)
    fore = np.where(
        female,
        np.asarray(FEMALE, dtype=object)[rng.integers(0, len(FEMALE), n)],
        np.asarray(MALE, dtype=object)[rng.integers(0, len(MALE), n)],
    )
    sur = np.asarray(surnames(), dtype=object)[rng.integers(0, len(surnames()), n)]
    return fore, sur


def school_names(n: int) -> list[str]:
    """``n`` distinct demo school names, each marked as synthetic."""
    kinds = ("Primary School", "Primary Academy", "Church of England Primary School", "Junior and Infant School")
    return [
        f"{SCHOOL_WORDS[i % len(SCHOOL_WORDS)]}{'' if i < len(SCHOOL_WORDS) else f' {i // len(SCHOOL_WORDS) + 1}'} "
        f"{kinds[i % len(kinds)]} (synthetic)"
        for i in range(n)
    ]
