"""requirements.lock, the Makefile and the image keep the security floors of SECURITY.md: no pinned package
goes back below the release that fixed a known vulnerability, the pins Rasa 3.6 needs still hold, and the
lock still satisfies what the installed Rasa and Rasa SDK require, so a bump past Rasa's own pins fails here
before it fails at run time. Reads files and installed metadata only: no network."""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.conftest import ROOT

LOCK = ROOT / "requirements.lock"
# The oldest release with each fix. What cannot reach its fix under Rasa's pins is in SECURITY.md instead.
FLOORS = {
    "rasa": ("3.6.21", "CVE-2024-49375: a model loaded over the HTTP API could run code"),
    "aiohttp": ("3.9.4", "CVE-2024-23334, CVE-2024-30251, CVE-2024-27306"),
    "certifi": ("2024.7.4", "CVE-2024-39689"),
    "click": ("8.3.3", "CVE-2026-7246"),
    "cryptography": ("50.0.0", "CVE-2026-69247"),
    "filelock": ("3.20.1", "CVE-2025-68146"),
    "future": ("0.18.3", "CVE-2022-40899"),
    "h11": ("0.16.0", "CVE-2025-43859"),
    "idna": ("3.15", "CVE-2024-3651, PYSEC-2026-215"),
    "jinja2": ("3.1.6", "CVE-2025-27516"),
    "mako": ("1.2.2", "CVE-2022-40023"),
    "markdown-it-py": ("2.2.0", "CVE-2023-26302"),
    "msgpack": ("1.2.1", "GHSA-6v7p-g79w-8964"),
    "pillow": ("12.2.0", "CVE-2026-40192"),
    "pyasn1": ("0.6.3", "CVE-2026-30922"),
    "pygments": ("2.20.0", "CVE-2026-4539"),
    "pyjwt": ("2.10.1", "CVE-2024-53861"),
    "redis": ("4.5.4", "CVE-2023-28858, CVE-2023-28859"),
    "requests": ("2.33.0", "CVE-2026-25645"),
    "sanic": ("21.12.2", "CVE-2022-35920"),
    "setuptools": ("70.0.0", "CVE-2024-6345"),
    "tqdm": ("4.66.3", "CVE-2024-34062"),
    "urllib3": ("2.6.3", "CVE-2026-21441"),
    "werkzeug": ("3.1.5", "CVE-2026-21860"),
    "wheel": ("0.38.1", "CVE-2022-40898"),
}
# What the project itself is built on (requirements.in says why for each).
HELD = {
    "rasa": ("==3.6.21", "the Rasa the project is written and tested against"),
    "rasa-sdk": (">=3.6.2,<3.7", "the action server of Rasa 3.6"),
    "sqlalchemy": (">=1.4,<1.5", "Rasa 3.6's tracker store and our migrations use SQLAlchemy 1.4"),
    "python-socketio": (
        "<5.10",
        "Rasa 3.6 does not await enter_room, a coroutine since 5.10 (RasaHQ/rasa#13027)",
    ),
    "spacy": (">=3.8,<3.9", "bot/extract.py's pipeline"),
}
PIP_FLOOR = (
    "26.2",
    "CVE-2025-8869, CVE-2026-1703, CVE-2026-3219, CVE-2026-6357, CVE-2026-8643, CVE-2026-13346",
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, version = line.partition("==")
        assert separator and version, f"requirements.lock pins exact versions only: {line!r}"
        assert canonical(name) not in pins, f"{name} is pinned twice"
        pins[canonical(name)] = Version(version)
    return pins


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_no_pinned_package_is_below_the_release_that_fixed_its_known_vulnerability(package: str) -> None:
    floor, reason = FLOORS[package]
    assert package in locked(), f"{package} left requirements.lock: remove its floor here and in SECURITY.md"
    assert locked()[package] >= Version(floor), f"{package} {locked()[package]} < {floor} ({reason})"


@pytest.mark.parametrize("package", sorted(HELD))
def test_the_versions_the_project_is_built_on_hold(package: str) -> None:
    specifier, reason = HELD[package]
    version = locked()[package]
    assert version in SpecifierSet(specifier), f"{package} {version}: {specifier}, {reason}"


@pytest.mark.parametrize("distribution", ["rasa", "rasa-sdk"])
def test_the_lock_satisfies_what_rasa_requires(distribution: str) -> None:
    """The same check as `pip check`, against the lock rather than the venv, so that a bump past Rasa's
    pins (aiohttp 3.10, say) fails here even where nobody has reinstalled."""
    installed = Version(metadata.version(distribution))
    assert installed == locked()[distribution], f"{distribution} {installed} is installed: run `make setup`"
    for line in metadata.requires(distribution) or []:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonical(requirement.name)
        assert name in locked(), f"{distribution} requires {requirement}, which requirements.lock lacks"
        assert requirement.specifier.contains(
            locked()[name], prereleases=True
        ), f"{distribution} requires {requirement}; requirements.lock has {locked()[name]}"


def pip_pins(path: Path) -> list[Version]:
    return [Version(version) for version in re.findall(r'"pip==([^"]+)"', path.read_text(encoding="utf-8"))]


def test_the_makefile_and_the_image_install_the_same_fixed_pip() -> None:
    makefile, dockerfile = pip_pins(ROOT / "Makefile"), pip_pins(ROOT / "deploy" / "Dockerfile")
    assert len(makefile) == 1 and makefile == dockerfile, (makefile, dockerfile)
    assert makefile[0] >= Version(PIP_FLOOR[0]), f"pip {makefile[0]} < {PIP_FLOOR[0]} ({PIP_FLOOR[1]})"
