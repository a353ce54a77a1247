"""Hostile cables for bench/parse_worst.py: the corpus, the worker processes that time the parser
on it, and the report of what they found."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The modules below import `cables`, and bench scripts run with only bench/ on sys.path.
sys.path.insert(0, str(ROOT))
