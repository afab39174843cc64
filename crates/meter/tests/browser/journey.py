"""The billing staff's journey through the web app in headless Chromium (playwright), with a
screenshot of every screen and axe-core run on each. Driven by tests/browser.rs, which starts
`meter serve` beside the PBX emulator and passes where things are; exits 1 with the problems
found.

    journey.py BASE EMAIL PASSWORD OUT_DIR AXE_JS CUSTOMER FROM TO BAD_RATES_CSV

The journey: sign in with the keyboard; import a rate deck with a bad row and read the error;
sync CUSTOMER's FROM..TO from the emulator and watch the job finish; search and create its
invoice on Billing; find the invoice's calls on Call Details and export them; add a credit
line, finalize, download the PDF; void it, bill its calls again on a new draft and open its
deletion; then every other screen once, and sign out.
"""

import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, os.path.dirname(__file__))
from axe_check import axe, load_axe, report, shot  # noqa: E402

base, email, password, out, axe_js, customer, day_from, day_to, bad_rates = sys.argv[1:10]
os.makedirs(out, exist_ok=True)
load_axe(axe_js)
problems = []


def check(page, name):
    """The screen as it is now: a screenshot, and axe's serious and critical violations."""
    shot(page, out, name)
    problems.extend(axe(page, name))


def go(page, section):
    """Follows the navigation's link to `section`."""
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=section, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def done(page, words):
    """The page's notice of a change done holds `words`."""
    expect(page.locator(".notice.ok")).to_contain_text(words)


def search_billing(page):
    """Searches the customer's days on Billing."""
    go(page, "Billing")
    page.get_by_label("Customer").select_option(customer)
    page.get_by_label("From", exact=True).fill(day_from)
    page.get_by_label("To", exact=True).fill(day_to)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Lines as they would be")).to_be_visible()


def download(page, link_name):
    """Clicks the link `link_name` and returns the downloaded file's bytes."""
    with page.expect_download() as d:
        page.get_by_role("link", name=link_name, exact=True).click()
    with open(d.value.path(), "rb") as f:
        return f.read()


with sync_playwright() as p:
    chromium = os.environ.get("METER_CHROMIUM", "/usr/bin/chromium")
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)

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

    # The keyboard reaches the content and the sections: the first Tab is the skip link, and
    # Enter on it moves the focus to the page's content.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")

    # Rates: a deck with a bad row is refused, the row named, nothing imported.
    go(page, "Rates")
    check(page, "rates")
    page.get_by_label("Rates file (CSV)").set_input_files(bad_rates)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("main")).to_contain_text("ten cents")
    check(page, "rates-import-refused")

    # Customers: find the customer, open its Metered Billing tab, sync its days and watch the
    # job finish.
    go(page, "Customers")
    search = page.get_by_label(re.compile(r"^Search"))
    search.fill(customer)
    search.press("Enter")
    expect(page.locator("table tbody tr")).to_have_count(1)
    check(page, "customers")
    page.locator("table tbody tr a").first.click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer}"))
    check(page, "customer")
    page.get_by_role("link", name="netsapiens", exact=True).click()
    check(page, "customer-source")
    page.get_by_role("link", name="Metered Billing").click()
    check(page, "customer-metered-billing")
    page.get_by_label("From", exact=True).fill(day_from)
    page.get_by_label("To", exact=True).fill(day_to)
    page.get_by_role("button", name="Sync phone numbers & call records").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+"))
    expect(page.locator("[data-running]")).to_have_count(1)
    check(page, "job-running")
    # The page follows the job by itself until it is done.
    expect(page.locator("main")).to_contain_text("done", timeout=60000)
    expect(page.locator("[data-running]")).to_have_count(0)
    check(page, "job")

    # Billing: search, then create the draft.
    search_billing(page)
    check(page, "billing")
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page).to_have_url(re.compile(r"/invoices/D-\d+\?done=created"))
    invoice_url = page.url.split("?")[0]
    check(page, "invoice-draft")

    # Call Details: the invoice's calls, exported.
    page.get_by_role("link", name="The calls it bills").click()
    expect(page).to_have_url(re.compile(r"/calls\?.*invoice=D-\d+"))
    expect(page.locator("table tbody tr").first).to_be_visible()
    check(page, "call-details")
    rows = download(page, "Export CSV").decode("utf-8").splitlines()
    if len(rows) < 2 or not rows[0].startswith("id,source,customer,start"):
        problems.append(f"call-details: the export holds {len(rows)} lines: {rows[:2]}")
    print(f"exported {len(rows) - 1} calls")

    # The invoice: a credit line (typed with the keyboard alone: Tab from field to field, Enter
    # sends the form), finalized, its PDF downloaded, then voided.
    page.goto(invoice_url)
    page.get_by_label("Description").focus()
    page.keyboard.type("Goodwill credit")
    page.keyboard.press("Tab")
    page.keyboard.type("-5.00")
    page.keyboard.press("Enter")
    done(page, "Line added")
    page.get_by_role("button", name="Finalize invoice").click()
    done(page, "Finalized as")
    check(page, "invoice-final")
    pdf = download(page, "PDF")
    if not pdf.startswith(b"%PDF-"):
        problems.append(f"invoice: the PDF download starts with {pdf[:16]!r}")
    with open(os.path.join(out, "invoice.pdf"), "wb") as f:
        f.write(pdf)
    page.get_by_label("Reason").fill("Billed the wrong period")
    page.get_by_role("button", name="Void invoice").click()
    done(page, "Invoice voided")
    check(page, "invoice-void")

    # The void invoice's calls are billed again by a new draft, whose deletion asks first.
    search_billing(page)
    page.get_by_role("button", name="Create draft invoice").click()
    done(page, "Draft invoice created")
    page.get_by_role("link", name="Delete draft…").click()
    check(page, "invoice-delete")
    page.get_by_role("link", name="Cancel, keep it").click()
    expect(page).to_have_url(re.compile(r"/invoices/D-\d+$"))

    # Every other screen once.
    for section, name in [("Invoices", "invoices"), ("Jobs", "jobs"), ("Plans", "plans"), ("Settings", "settings")]:
        go(page, section)
        check(page, name)
    go(page, "Plans")
    page.get_by_label("New plan id").fill("gold")
    page.get_by_role("button", name="New plan").click()
    check(page, "plan-new")

    # A phone's screen: the same pages fit.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
    small = phone.new_page()
    for path, name in [("/customers", "phone-customers"), (invoice_url[len(base):], "phone-invoice")]:
        small.goto(f"{base}{path}")
        width = small.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            problems.append(f"{name}: the page is {width} px wide on a 390 px screen")
        check(small, name)
    phone.close()

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
