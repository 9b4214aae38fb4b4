"""What the import tests share: the seeds as .txt and as .docx built from them, and a
writable copy of the example project to import into."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import REPO
from support.seed_docx import build


@pytest.fixture(scope="session")
def seed_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """'000_….txt', '000_….docx', '002_….txt', '002_….docx' -> a file in a temporary folder."""
    return build(tmp_path_factory.mktemp("seeds"))


def example_project(dest: Path, without: str | None = None) -> Path:
    """The example project (digest.toml, content/) copied to dest, without one forum."""
    shutil.copytree(REPO / "content", dest / "content")
    shutil.copyfile(REPO / "digest.toml", dest / "digest.toml")
    if without:
        (dest / "content" / "forums" / f"{without}.yaml").unlink()
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path / "project")
