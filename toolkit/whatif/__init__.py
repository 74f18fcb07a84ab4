"""What-if challenge settings (seed 000: "decide on the level of challenge for each year group and/or subject",
"enter end of key stage targets"), as ipywidgets for JupyterLab and the Voila dashboard.

``WhatIf`` holds one school's pupils, located once by the fitted models of a prepared run (``toolkit reports``), so a
new challenge level only shifts their distributions: no refit, no feature recomputation. ``WhatIf.view`` renders
the pupil table, the aggregated estimates against the aggregated targets and the high-to-low chart as HTML;
``WhatIfApp`` wires that to widgets. ``save`` writes the settings and targets to the school state folder (``toolkit.inputs.school_state``) where
the report pack reads them.
"""

from toolkit.whatif.app import WhatIfApp, app
from toolkit.whatif.ks4 import Ks4WhatIf
from toolkit.whatif.primary import WhatIf
from toolkit.whatif.state import WhatIfState

__all__ = ["Ks4WhatIf", "WhatIf", "WhatIfApp", "WhatIfState", "app"]
