"""The run report as a user sees it: opened in headless Chromium (Debian's chromium package,
installed here when missing; skipped, saying why, where it cannot be), on the report of the whole
pipeline's run on the bundled WARCs."""
import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from PIL import Image, ImageStat

pytestmark = pytest.mark.e2e


def chromium() -> str:
    """The chromium binary, installing Debian's package first if needed (root and apt-get)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and this user cannot apt-get install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
        except subprocess.TimeoutExpired:
            pytest.skip(f"{' '.join(command)} took more than 15 minutes")
        if done.returncode != 0:
            pytest.skip(f"cannot install chromium: {' '.join(command)}: {done.stderr.strip()[-300:]}")
    return shutil.which("chromium") or pytest.skip("apt-get installed chromium but no chromium binary is on PATH")


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def test_report_opens_in_chromium_with_the_funnel_and_plots(tmp_path, bundled_run):
    browser = chromium()
    out, proc, _ = bundled_run  # the whole pipeline's report (tests/e2e/conftest.py)
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = f"file://{out / 'report.html'}"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    elements = Elements()
    elements.feed(dom.stdout)
    assert ("table", {"id": "funnel"}) in elements.found
    images = [a for t, a in elements.found if t == "img"]
    plots = [a for a in images if a["src"].startswith("data:image/png;base64,")]
    assert len(plots) >= 4 and all(a["src"].startswith("data:image/") for a in images)  # plots and samples, inline
    assert 'class="doc"' in dom.stdout and "Sample pairs" in dom.stdout
    screenshot = tmp_path / "report.png"
    shot = subprocess.run([browser, *flags, f"--screenshot={screenshot}", "--window-size=1280,2400", page],
                          capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
    with Image.open(screenshot) as picture:
        assert picture.size == (1280, 2400)
        assert max(ImageStat.Stat(picture.convert("L")).stddev) > 10  # rendered content, not a blank page
