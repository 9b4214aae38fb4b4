"""What a page anyone may read leaves out: officers' own work addresses.

The forum documents sometimes give an officer's own address as the way to reach them
("please email me with the CYP's name, dob and area"). The council published it to
SENCOs, so the emails to SENCOs carry it: a contact marked `officer: true` in
content/contacts.yaml. The public site (the archive and the editions' browser copies)
carries it only when `officer_addresses_public = true` under [site] in digest.toml; by
default each such address there reads "address in the emailed digest" instead.
"""

from __future__ import annotations

import re

from digest.content.load import Site

IN_EMAIL = "address in the emailed digest"


def officer_addresses(site: Site) -> list[str]:
    """The addresses a public page leaves out ([] when digest.toml shows them)."""
    if site.settings.site.officer_addresses_public:
        return []
    return sorted({c.email for c in site.contacts if c.officer and c.email}, key=len, reverse=True)


def public(text: str, site: Site) -> str:
    """The text of a public page: each officer's address (a mailto link to it, or the bare
    address) replaced by a note that the emailed digest has it."""
    for address in officer_addresses(site):
        a = re.escape(address)
        if not re.search(a, text, flags=re.I):
            continue  # each pattern below holds the address: nothing to replace (and no slow scan of every link)
        if not re.search(f"mailto:{a}", text, flags=re.I):
            text = re.sub(a, IN_EMAIL, text, flags=re.I)  # no link to it: the two link patterns cannot match
            continue
        # a link whose text is the address: the note alone
        text = re.sub(
            rf'<a\b[^>]{{0,800}}href="mailto:{a}"[^>]{{0,800}}>\s{{0,8}}{a}\s{{0,8}}</a>', IN_EMAIL, text, flags=re.I
        )
        # a link with other text ("Email Clara Green"): its text, and the note
        text = re.sub(
            rf'<a\b[^>]{{0,800}}href="mailto:{a}[^"]{{0,300}}"[^>]{{0,800}}>(.{{0,300}}?)</a>',
            rf"\1 ({IN_EMAIL})",
            text,
            flags=re.I | re.S,
        )
        text = re.sub(rf"(?:mailto:)?{a}", IN_EMAIL, text, flags=re.I)
    return text
