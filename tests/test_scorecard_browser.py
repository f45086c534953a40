"""The scorecard in a real headless Chromium: the text the browser lays out (its own font metrics, not
our estimate) never overlaps, and a drill whose phases did not run adds no red to the picture."""

from __future__ import annotations

import json
import shutil
import subprocess
from itertools import combinations
from pathlib import Path

import pytest
from PIL import Image

from alertdrill.publish.reports.writer import render_html
from alertdrill.score.scorecard import Scorecard
from tests.test_scorecard_pages import close_events, drill, not_run_card

RED = (0xD9, 0x30, 0x25)
MEASURE = """<script>
const boxes = [...document.querySelectorAll("svg.timeline text.mark")].map(t => {
  const r = t.getBoundingClientRect();
  return [t.textContent, r.left, r.top, r.right, r.bottom];
});
document.body.setAttribute("data-boxes", JSON.stringify(boxes));
</script></body>"""


def chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not installed (scripts/setup --with-test-tools installs it)")
    argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    argv += ["--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]
    argv += [f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1400", *args, page.as_uri()]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_labels_laid_out_by_the_browser_never_overlap(tmp_path: Path) -> None:
    alerts = ["PaymentsApiDown", "NodeDown"]
    # 10 ms apart (every label on its own row) and 0.4 s apart (rows shared: the widths decide)
    card = Scorecard("r", 0.0, 1.0, [drill(close_events(3.84, 0.01, alerts)), drill(close_events(0, 0.4, alerts))])
    page = tmp_path / "close.html"
    page.write_text(render_html(card).replace("</body>", MEASURE))
    dom = chromium(tmp_path, page, "--dump-dom").stdout
    start = dom.index('data-boxes="') + len('data-boxes="')
    raw = dom[start : dom.index('"', start)].replace("&quot;", '"')
    boxes = json.loads(raw)
    assert len(boxes) == 32
    met = [
        (a[0], b[0]) for a, b in combinations(boxes, 2) if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]
    assert met == []


def red_pixels(tmp_path: Path, name: str, card: Scorecard) -> int:
    page, shot = tmp_path / f"{name}.html", tmp_path / f"{name}.png"
    page.write_text(render_html(card))
    chromium(tmp_path, page, f"--screenshot={shot}")
    image = Image.open(shot).convert("RGB")
    return sum(count for count, color in image.getcolors(image.width * image.height) or [] if color == RED)


def test_phases_that_did_not_run_add_no_red_to_the_screenshot(tmp_path: Path) -> None:
    missed, stopped = not_run_card().drills
    legend_only = red_pixels(tmp_path, "empty", Scorecard("r", 0.0, 1.0, []))  # the legend's swatch
    assert red_pixels(tmp_path, "stopped", Scorecard("r", 0.0, 1.0, [stopped])) == legend_only
    # the one phase that ran and missed is red: the count above can tell
    assert red_pixels(tmp_path, "missed", Scorecard("r", 0.0, 1.0, [missed])) > legend_only + 1000
