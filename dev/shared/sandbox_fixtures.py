"""pytest fixtures for the Monday sandbox: a started sandbox, or a factory for custom boards.

Enable them in a plugin or conftest with
``from dev.shared.sandbox_fixtures import monday_sandbox, monday_sandbox_factory``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dev.shared.monday_sandbox import MondaySandbox, sample_boards
from dev.shared.monday_sandbox.server import BoardsSource

SandboxFactory = Callable[..., MondaySandbox]


@pytest.fixture
def monday_sandbox() -> Iterator[MondaySandbox]:
    """A started sandbox serving the sample boards (dev/shared/sandbox_data/); stopped after."""
    with MondaySandbox(sample_boards()) as sandbox:
        yield sandbox


@pytest.fixture
def monday_sandbox_factory() -> Iterator[SandboxFactory]:
    """``make(boards=None, **options) -> MondaySandbox``: started; every one is stopped after.

    ``boards`` takes Board objects, a board file path, YAML/JSON text or a ``{people, boards}``
    mapping (None = the sample boards); options are MondaySandbox's keyword arguments.
    """
    started: list[MondaySandbox] = []

    def make(boards: BoardsSource = None, **options: Any) -> MondaySandbox:
        sandbox = MondaySandbox(boards, **options)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()
