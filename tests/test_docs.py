"""The documentation is the repository's own: nothing points outside it, links resolve.

A clone of the repository is all a reader has. So no file refers to working documents
kept beside the repository (a sibling `shared` folder and the three pages that lived
there), and every relative link of README.md and docs/*.md leads to a file, and to a
heading, that exists. The forbidden strings are built from pieces so that this file
does not trip its own check.
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE_FOLDER = ".." + "/" + "shared"
OUTSIDE_PAGES = tuple(name + ".md" for name in ("API", "MATCHING", "DESIGN"))

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def repository_files() -> list[Path]:
    """Files git knows of: tracked, and new ones not ignored (so a file not yet added
    cannot slip a reference in)."""
    try:
        listed = subprocess.run(  # noqa: S603 - git with fixed arguments
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"not a git checkout, or no git: {error}")
    paths = {ROOT / name for name in listed.decode("utf-8").split("\0") if name}
    return sorted(path for path in paths if path.is_file())


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_no_file_outside_docs_points_beside_the_repository():
    found = [
        _relative(path)
        for path in repository_files()
        if not _relative(path).startswith("docs/") and OUTSIDE_FOLDER.encode() in path.read_bytes()
    ]
    assert found == [], f"refer to docs/ instead of {OUTSIDE_FOLDER} in: {found}"


def test_no_file_names_the_pages_that_were_kept_outside():
    found = [
        f"{_relative(path)}: {name}"
        for path in repository_files()
        for name in OUTSIDE_PAGES
        if name.encode() in path.read_bytes()
    ]
    assert found == [], f"name the repository's own docs/ pages instead: {found}"


def markdown_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _prose(text: str) -> str:
    """The text without fenced code blocks and code spans: links there are examples."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


@pytest.mark.parametrize("page", markdown_pages(), ids=_relative)
def test_relative_links_resolve(page):
    broken = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if EXTERNAL.match(target):
            continue
        path, _hash, fragment = target.partition("#")
        path = path.split("?", 1)[0]
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no such heading")
    assert broken == [], f"{_relative(page)} has broken links: {broken}"


def test_slugs_follow_github():
    assert slug("Planned (v1.1)") == "planned-v11"
    assert slug("Accounts: token, members, API keys") == "accounts-token-members-api-keys"
    assert slug("Outside /api/v1/") == "outside-apiv1"
    assert slug("3. Register a party, safely") == "3-register-a-party-safely"
