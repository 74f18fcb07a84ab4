"""Build hook: ship ``parameters/`` and ``notebooks/`` inside the wheel as ``toolkit/_bundled/`` (where
``toolkit.locations`` finds them), but not in an editable install, which reads them from the checkout."""

import os

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ShipParametersAndNotebooks(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if version == "editable":
            return
        for folder in ("parameters", "notebooks"):
            build_data["force_include"][os.path.join(self.root, folder)] = f"toolkit/_bundled/{folder}"
