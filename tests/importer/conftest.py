"""What the import tests share: the source documents (content/sources/, with invented
questioners) as .txt and as .docx built from them, and a writable copy of the example
project to import into."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import REPO
from support.seed_docx import build


@pytest.fixture(scope="session")
def seed_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """'2024-03-countywide.txt', '….docx', '2025-07-term6.txt', '….docx' -> a file in a temporary folder."""
    return build(tmp_path_factory.mktemp("seeds"))


def example_project(dest: Path, without: str | None = None) -> Path:
    """The example project (digest.toml, content/) copied to dest, without one forum."""
    shutil.copytree(REPO / "content", dest / "content")
    shutil.copyfile(REPO / "digest.toml", dest / "digest.toml")
    if without:
        (dest / "content" / "forums" / f"{without}.yaml").unlink()
        # the other forums' `updates:` name the curated items' ids, which a fresh import of
        # the removed forum does not give them: an organiser points them at the new ids
        for other in (dest / "content" / "forums").glob("*.yaml"):
            lines = other.read_text(encoding="utf-8").splitlines(keepends=True)
            other.write_text("".join(x for x in lines if not x.lstrip().startswith("updates:")), encoding="utf-8")
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path / "project")
