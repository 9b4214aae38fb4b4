"""The built site, served beside the readers' pages: the archive, each edition's browser
copy and the calendars, from the build folder (`digest build` writes it; so does a
static host, from the same folder). The emails' links all point here.

Nothing whose name starts with a dot is served, nor anything inside a folder whose name
does (the build keeps its own state there, such as .calendar-state.json).

An edition's browser copy is the email itself: its styles are inline (premailer writes
them into style attributes, as mail clients need) and its phone-width and dark-mode
rules sit in a <style> element. The archive's policy (`style-src 'self'`) would block
both, so a copy gets a policy of its own: style attributes allowed, <style> elements only
as written (each pinned by its SHA-256), and still no script, no form, no frame.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CACHE = "public, max-age=300"  # published pages change when the site is built again
# The readers' pages run no script; the built site runs its own (the filters, and the search
# with MiniSearch, fetching the site's own search/index.json). Still nothing from anywhere
# else.
CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; "
    "style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {"cache-control": CACHE, "content-security-policy": CSP}
# An edition's browser copy: FOLDER/FOLDER-XXXXXXXX.html, a forum's id and the edition's
# hash (editions/urls.edition_path, editions/select.Edition.id; tests/web checks every
# copy a build writes, and nothing else, is one).
EDITION_COPY = re.compile(r"(?P<forum>[^/]+)/(?P=forum)-[0-9a-f]{8}\.html")
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)


def hidden(path: str) -> bool:
    """A dotfile, or anything inside a dot-folder."""
    return any(part.startswith(".") for part in PurePosixPath(path).parts)


@lru_cache(maxsize=256)
def copy_policy(full_path: str, mtime_ns: int, size: int) -> str:
    """The policy for one browser copy as it is on disk now (cached per version of the file)."""
    text = Path(full_path).read_text(encoding="utf-8", errors="replace")
    pins = "".join(sorted({f" 'sha256-{_sha256(css)}'" for css in _STYLE.findall(text)}))
    return (
        f"default-src 'none'; style-src 'self'; style-src-elem 'self'{pins}; style-src-attr 'unsafe-inline'; "
        "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


class BuiltSite(StaticFiles):
    """StaticFiles for the build folder (index.html for a folder), cacheable for a while."""

    def __init__(self, folder: Path) -> None:
        super().__init__(directory=folder, html=True, check_dir=False)
        self.folder = folder

    async def check_config(self) -> None:
        """A site not built yet is no error: its pages are simply not there (404)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405)
        if not self.folder.is_dir() or hidden(path):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)

    def file_response(self, full_path: str, stat_result: object, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)  # type: ignore[arg-type]
        response.headers.update(HEADERS)
        path = Path(full_path)
        if path.is_relative_to(self.folder.resolve()) and EDITION_COPY.fullmatch(
            path.relative_to(self.folder.resolve()).as_posix()
        ):
            version = (stat_result.st_mtime_ns, stat_result.st_size)  # type: ignore[attr-defined]
            response.headers["content-security-policy"] = copy_policy(full_path, *version)
        return response

    async def home(self, request: Request) -> Response:
        """The archive's home page once it is built; until then, the subscribe page."""
        index = self.folder / "index.html"
        if index.is_file():
            return FileResponse(index, headers=HEADERS)
        return RedirectResponse(f"{request.scope.get('root_path', '')}/subscribe", 303)
