"""`make prepare`: build dbt's manifest once (so loading the definitions only reads it) and write the
Dagster instance's settings under SOP_HOME."""

import os
from pathlib import Path

from sop.settings import export_environment

if __name__ == "__main__":
    export_environment()
    from orchestration.instance import ensure_instance_config
    from orchestration.transform.project import prepare_manifest

    ensure_instance_config(Path(os.environ["DAGSTER_HOME"]))
    prepare_manifest()
