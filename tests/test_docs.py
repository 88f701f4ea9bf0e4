"""The README is a front page and docs/ holds the reference; neither may drift from the code."""

import re
from pathlib import Path

from sop.contract import CONTRACT_PAGE, GENERATED_MARKER, markdown

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_readme_is_a_front_page_that_links_every_docs_page():
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    linked = {(README.parent / target).resolve() for target in LINK.findall(text)}
    assert DOCS and {page.resolve() for page in DOCS} <= linked, sorted(
        p.name for p in DOCS if p.resolve() not in linked
    )


def test_every_relative_link_of_the_readme_and_the_docs_resolves():
    for page in [README, *DOCS]:
        for target in LINK.findall(page.read_text()):
            if "://" not in target:
                assert (page.parent / target).exists(), (page.name, target)


def test_the_contract_page_is_the_contract_as_the_code_defines_it():
    generated = CONTRACT_PAGE.read_text().split(GENERATED_MARKER)
    assert len(generated) == 2, "docs/contract.md lost its marker"
    assert generated[1].strip() == markdown().strip(), "regenerate it: python -m sop.contract --write"
