//! Call Details in the web app: the calls the command line lists, a page at a time, with their
//! rate and invoice, and their CSV export byte for byte the command line's, on both backends.

mod common;

use common::server::Server;
use common::*;

on_both_backends! {
    call_details_pages_through_the_listing_and_exports_it,
}

/// The calls' ids in the order a page shows them (`SOURCE / ID` in the Call column).
fn ids_on(html: &str) -> Vec<String> {
    html.split("<small class=\"id\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .filter(|s| s.contains(" / "))
        .map(|s| s.rsplit(" / ").next().unwrap_or_default().to_owned())
        .collect()
}

fn call_details_pages_through_the_listing_and_exports_it(backend: Backend) {
    let env = Env::seeded_on(backend);
    let calls: Vec<Cdr> = (0..70)
        .map(|i| {
            Cdr::domestic(
                format!("c{i:03}"),
                "acme",
                &format!("2026-10-{:02}T10:{:02}:00Z", 1 + i / 10, i % 60),
                30 + i,
            )
        })
        .collect();
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    env.meter(&["invoice", "create", "--customer", "acme", "--from", "2026-10-01", "--to", "2026-10-03"]).assert_ok();
    let server = Server::start(&env, &["--no-scheduler"], &[]);

    // Signed out: to the sign-in page, coming back after.
    let anonymous = server.anonymous("/calls?customer=acme");
    assert_eq!(
        (anonymous.status, anonymous.location.as_deref()),
        (303, Some("/sign-in?next=%2Fcalls%3Fcustomer%3Dacme"))
    );

    let staff = server.sign_in(&env, "viewer@example.com", "viewer");
    let listed = env.calls_csv("acme", None);
    let mut shown = Vec::new();
    let mut path = "/calls?customer=acme".to_owned();
    let mut pages = 0;
    loop {
        let page = staff.get(&path);
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        shown.extend(ids_on(&page.body));
        match page
            .body
            .split("rel=\"next\"")
            .next()
            .and_then(|b| b.rsplit("href=\"").next())
            .filter(|_| page.body.contains("rel=\"next\""))
        {
            Some(href) => path = href.split('"').next().unwrap_or_default().replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(pages, 2, "70 calls on pages of 50");
    assert_eq!(
        shown,
        listed.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        "the pages list what `calls list` lists"
    );
    // A billed call links to its invoice; the rate that priced it is shown.
    let first = staff.get("/calls?customer=acme&status=billed");
    let invoice = listed.iter().find_map(|c| c.invoice.clone()).expect("a billed call");
    assert!(first.body.contains(&format!("href=\"/invoices/{invoice}\"")), "{}", first.body);
    assert!(first.body.contains("/min"), "the rate applied: {}", first.body);

    // The export is the command line's CSV.
    let printed = env.meter(&["calls", "list", "--customer", "acme", "--format", "csv"]);
    let export = staff.get("/calls.csv?customer=acme");
    assert_eq!((export.status, export.body.as_str()), (200, printed.stdout.as_str()), "the CSV export");

    let bad = staff.get("/calls?from=2026-10-01");
    assert_eq!(bad.status, 400, "half a range: {}", bad.body);
    assert!(bad.body.contains("give both days"), "{}", bad.body);
    assert_eq!(server.stop().run.code, 0);
}
