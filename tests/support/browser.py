"""What the browser tests share: axe-core's findings on a page (npm's axe-core, pinned by
package-lock.json; make test installs it)."""

from __future__ import annotations

from typing import Any

from support import REPO

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict]:
    """axe-core's violations on a Playwright page: rule id, help and the nodes at fault."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => (await axe.run()).violations.map(v => ({
            id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))
        }))"""
    )
