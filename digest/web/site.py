"""The built site, served beside the readers' pages: the archive, each edition's browser
copy and the calendars, from the build folder (`digest build` writes it; so does a
static host, from the same folder). The emails' links all point here."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CACHE = "public, max-age=300"  # published pages change when the site is built again
# The readers' pages run no script; the built site runs its own (the filters, the search,
# and Pagefind: WebAssembly in a worker, fetching its index files). Still nothing from
# anywhere else.
CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
    "style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {"cache-control": CACHE, "content-security-policy": CSP}


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
        if not self.folder.is_dir():
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)

    def file_response(self, full_path: str, stat_result: object, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)  # type: ignore[arg-type]
        response.headers.update(HEADERS)
        return response

    async def home(self, request: Request) -> Response:
        """The archive's home page once it is built; until then, the subscribe page."""
        index = self.folder / "index.html"
        if index.is_file():
            return FileResponse(index, headers=HEADERS)
        return RedirectResponse(f"{request.scope.get('root_path', '')}/subscribe", 303)
