"""Browser tests: Debian's headless Chromium driven by Playwright against the hub's own pages.

The browser is ``/usr/bin/chromium`` (Debian package ``chromium``; Playwright's own browser download does
not work on these machines). A missing browser fails the tests: it is never a skip. The Kafka broker is the
integration tests' session broker fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.integration.conftest import kafka, namespace  # noqa: F401  (the session broker, unique names)

CHROMIUM = Path("/usr/bin/chromium")
# As root on a machine without network: no sandbox, and none of Chromium's background connections.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    with sync_playwright() as p:  # launch() gives the browser a new, empty profile of its own
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
