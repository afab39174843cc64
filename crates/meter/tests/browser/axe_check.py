"""Shared by the browser journeys: axe-core on a page, screenshots, keyboard moves."""

import json
import os

AXE_SOURCE = None


def load_axe(path):
    global AXE_SOURCE
    with open(path, encoding="utf-8") as f:
        AXE_SOURCE = f.read()


def axe(page, name):
    """Runs axe-core on the page; returns the serious and critical violations, described."""
    page.add_script_tag(content=AXE_SOURCE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = []
    for v in result["violations"]:
        if v.get("impact") in ("serious", "critical"):
            targets = [", ".join(n["target"]) for n in v["nodes"][:5]]
            bad.append(f"{name}: {v['id']} ({v['impact']}): {v['help']} at {targets}")
    return bad


def shot(page, out, name):
    """A full-page screenshot, `out/NN-name.png` in the order taken."""
    shot.count = getattr(shot, "count", 0) + 1
    path = os.path.join(out, f"{shot.count:02d}-{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


def report(out, problems):
    with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as f:
        json.dump({"problems": problems}, f, indent=2)
