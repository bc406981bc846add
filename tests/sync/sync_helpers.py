"""Paths shared by the sync tests (a plain module: ``conftest`` names are ambiguous across test dirs)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GEN_SYNC = REPO / "scripts" / "gen_sync.py"
