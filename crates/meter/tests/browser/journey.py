"""The billing staff's journey through the web app in headless Chromium (playwright), with a
screenshot of every screen and axe-core run on each. Driven by tests/browser.rs, which starts
`meter serve` with the data and passes where things are; exits 1 with the problems found.

    journey.py BASE EMAIL PASSWORD OUT_DIR AXE_JS [CUSTOMER]
"""

import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, os.path.dirname(__file__))
from axe_check import axe, load_axe, report, shot  # noqa: E402

base, email, password, out, axe_js = sys.argv[1:6]
customer = sys.argv[6] if len(sys.argv) > 6 else "acme"
os.makedirs(out, exist_ok=True)
load_axe(axe_js)
problems = []


def check(page, name):
    """The screen as it is now: a screenshot, and axe's serious and critical violations."""
    shot(page, out, name)
    problems.extend(axe(page, name))


with sync_playwright() as p:
    chromium = os.environ.get("METER_CHROMIUM", "/usr/bin/chromium")
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)

    # Sign in with the keyboard alone: the email field has the focus, Tab to the password,
    # Enter sends the form.
    page.goto(f"{base}/calls")
    expect(page).to_have_url(f"{base}/sign-in?next=%2Fcalls")
    check(page, "sign-in")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/calls")

    # The keyboard reaches the content and the sections: the first Tab is the skip link.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")

    # Call Details: filter by customer with the keyboard, then export what is listed.
    page.get_by_label("Customer").select_option(customer)
    page.get_by_role("button", name="Search").press("Enter")
    expect(page).to_have_url(re.compile(rf"/calls\?customer={customer}&"))
    expect(page.locator("table tbody tr").first).to_be_visible()
    check(page, "call-details")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    path = download.value.path()
    with open(path, encoding="utf-8") as f:
        rows = f.read().splitlines()
    if len(rows) < 2 or not rows[0].startswith("id,source,customer,start"):
        problems.append(f"call-details: the export holds {len(rows)} lines: {rows[:2]}")
    print(f"exported {len(rows) - 1} calls")

    # Sign out: back to the sign-in page, and the pages are closed again.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base}/sign-in")
    page.goto(f"{base}/calls")
    expect(page).to_have_url(f"{base}/sign-in?next=%2Fcalls")
    browser.close()

report(out, problems)
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
