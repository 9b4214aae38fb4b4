"""What the browser tests share: axe-core's findings on a page (npm's axe-core, pinned by
package-lock.json; make test installs it)."""

from __future__ import annotations

from typing import Any

from support import REPO

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict]:
    """axe-core's violations on a Playwright page: rule id, help and the nodes at fault.
    axe is evaluated through the browser's devtools protocol, not added as a script tag,
    so a page whose Content-Security-Policy allows no inline script is checked as it is."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async () => (await axe.run()).violations.map(v => ({
            id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))
        }))"""
    )
