"""The wheel as users get it: the license, the version from its one place, the metadata an index shows."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

import multimarkets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The wheel built from this tree by pip, with the build backend already installed (no network)."""
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out)]
    subprocess.run([*command, str(ROOT)], check=True, capture_output=True, timeout=300)
    [built] = out.glob("multimarkets-*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive


def metadata_of(wheel: zipfile.ZipFile) -> Message:
    [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(wheel.read(name).decode())


def test_the_wheel_carries_the_mit_license(wheel: zipfile.ZipFile) -> None:
    [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert wheel.read(name).decode() == (ROOT / "LICENSE").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert metadata_of(wheel)["License-Expression"] == "MIT"


def test_the_version_is_the_package_version(wheel: zipfile.ZipFile) -> None:
    assert metadata_of(wheel)["Version"] == multimarkets.__version__
    assert f"multimarkets-{multimarkets.__version__}.dist-info/METADATA" in wheel.namelist()


def test_the_metadata_names_pythons_urls_and_the_aiohttp_floor(wheel: zipfile.ZipFile) -> None:
    metadata = metadata_of(wheel)
    prefix = "Programming Language :: Python :: 3."
    pythons = [c.rsplit(" :: ", 1)[1] for c in metadata.get_all("Classifier") if c.startswith(prefix)]
    assert pythons[0] == metadata["Requires-Python"].removeprefix(">=") == "3.10"
    assert pythons == [f"3.{minor}" for minor in range(10, 10 + len(pythons))]
    assert metadata.get_all("Project-URL")
    assert "aiohttp>=3.12.15" in metadata.get_all("Requires-Dist")


def test_lower_bounds_pin_each_dependency_at_its_floor() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lower_bounds.py")], capture_output=True, text=True, check=True
    )
    pins = dict(line.split("==") for line in done.stdout.splitlines())
    assert pins["aiohttp"] == "3.12.15"
    assert pins["pytest"] == "8.0"
    assert "multimarkets" not in pins
