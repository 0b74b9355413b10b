"""Pytest switches that mirror `nbdev-test`: `--flags gpu` / `--flags slow` run the flagged tests."""
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_addoption(parser):
    parser.addoption("--flags", default="", help="space-separated nbdev test flags to run, as in `nbdev-test --flags gpu`")


def pytest_collection_modifyitems(config, items):
    run = set(config.getoption("--flags").split())
    for item in items:
        for flag in ("gpu", "slow"):
            if flag in item.keywords and flag not in run:
                item.add_marker(pytest.mark.skip(reason=f"{flag} test: run with --flags {flag}"))
