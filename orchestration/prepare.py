"""`make prepare`: build dbt's manifest once, so that loading the definitions only reads it."""

from sop.settings import export_environment

if __name__ == "__main__":
    export_environment()
    from orchestration.transform.project import prepare_manifest

    prepare_manifest()
