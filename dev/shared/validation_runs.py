"""What a workflow's validation/ scripts share: the module next to them, a database to check.

module = workflow_module(__file__)            # dev/<wf>/<wf>.py or scripts/<wf>/<wf>.py
with validation_database(args.database_url) as (db, fresh):
    if fresh:                                 # a temporary SQLite: run on the samples first
        module.run(database_url=db.url)
    ...check db.read_table(...)
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import yaml

from dev.shared.noxkit import ROOT
from shared.db_helper import Database


def workflow_module(script: str | Path) -> ModuleType:
    """The main module of the workflow a validation or debugging script belongs to."""
    folder = Path(script).resolve().parent.parent
    spec = yaml.safe_load((folder / "workflow.yaml").read_text(encoding="utf-8"))
    main = Path(str(spec.get("main_script") or f"{spec['name']}.py")).stem
    return importlib.import_module(".".join((*folder.relative_to(ROOT).parts, main)))


@contextmanager
def validation_database(url: str | None) -> Iterator[tuple[Database, bool]]:
    """(database, fresh): the given database, or a temporary SQLite one (fresh=True)."""
    if url:
        db = Database(url)
        try:
            yield db, False
        finally:
            db.dispose()
        return
    with tempfile.TemporaryDirectory(prefix="validation-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'validation.sqlite'}")
        try:
            yield db, True
        finally:
            db.dispose()
