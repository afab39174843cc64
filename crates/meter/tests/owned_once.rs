//! What belongs to one customer, or was already drawn, stays so: a PBX domain on a source names
//! one customer (else syncs move calls between them), and a plan cannot shrink below what
//! invoices already drew from it (else `db check` fails). Both are refused at import naming the
//! customers and the line; a database made before these rules shows its shared domains in
//! `db check`.
//!
//! Every test runs on both backends (`sqlite::NAME`, `postgres::NAME`).

mod common;

use common::*;
use store::prelude::*;
use store::{Store, StoreTx};

on_both_backends! {
    a_domain_given_to_a_second_customer_is_refused_naming_both_and_the_line,
    db_check_reports_a_domain_that_customers_share,
    shrinking_a_plan_below_what_invoices_drew_is_refused_naming_customers_and_periods,
}

const HEADER: &str = "id,name,netsapiens_domain,brightlink_domain";

fn a_domain_given_to_a_second_customer_is_refused_naming_both_and_the_line(backend: Backend) {
    let env = Env::seeded_on(backend);
    // acme's NetSapiens domain, differing only by case; and one domain on two rows of the file.
    let file = env.write(
        "customers.csv",
        &format!(
            "{HEADER}\ninitech,Initech,ACME.pbx.example,\nhooli,Hooli,,shared.example\nnewco,Newco,,Shared.Example\n"
        ),
    );
    let run = env.meter(&["customers", "import", &file]);
    run.assert_bad_cell(&file, 2, "netsapiens_domain", "`ACME.pbx.example` is customer `acme`'s already")
        .assert_bad_cell(&file, 4, "brightlink_domain", "`Shared.Example` is also customer `hooli`'s, on line 3");
    assert_eq!(run.file_error_lines().len(), 2, "{}", run.dump());
    for c in ["initech", "hooli", "newco"] {
        env.meter(&["calls", "list", "--customer", c]).assert_code(1).assert_stderr_has("unknown customer");
    }

    // A domain moves when the file takes it from its customer; another source's domain of the
    // same name is another platform's; a customer keeps its own.
    let moved = format!(
        "{HEADER}\nacme,Acme Corp,acme-old.pbx.example,\ninitech,Initech,ACME.pbx.example,acme.pbx.example\nglobex,Globex Inc,,globex.pbx.example\n"
    );
    let sum = env.import_ok("customers", "moved.csv", &moved);
    assert_eq!(sum, Summary { imported: 1, updated: 1, duplicates: 1, conflicts: 0 });
    env.assert_db_clean("after moving a domain");
}

fn db_check_reports_a_domain_that_customers_share(backend: Backend) {
    let env = Env::seeded_on(backend);
    let netsapiens = store::Source::default_of(store::Platform::Netsapiens);
    let mut db = store::AnyStore::open_url(env.db_url()).expect("the test database");
    store::with_backend!(&mut db, |db| {
        // The database refuses a second customer with acme's domain in other ASCII case…
        let mut tx = db.write().expect("a transaction");
        let mut twin = store::Customer::new("acme2", "Acme twin");
        twin.set_domain(&netsapiens, Some("Acme.PBX.example".into()));
        let refused = tx.save_customer(&twin).expect_err("a shared domain is refused");
        assert!(refused.to_string().contains("is another customer's"), "{refused}");
        drop(tx);
        // …and folds no other letters: two domains that differ in the case of `É` get in by the store,
        // and `db check` (which folds every letter, as imports do) reports them.
        let mut tx = db.write().expect("a transaction");
        for (id, domain) in [("accent1", "café-\u{c9}.example"), ("accent2", "CAFÉ-\u{e9}.example")] {
            let mut c = store::Customer::new(id, id);
            c.set_domain(&netsapiens, Some(domain.into()));
            tx.save_customer(&c).expect("the store folds ASCII letters only");
        }
        tx.commit().expect("commit");
    });
    drop(db);

    let run = env.meter(&["db", "check", "--format", "json"]);
    run.assert_code(1);
    let problems = run.json()["problems"].clone();
    let want = "netsapiens domain `café-é.example` belongs to several customers: accent1, accent2";
    assert!(
        problems.as_array().is_some_and(|p| p.iter().any(|p| p.as_str().is_some_and(|p| p.starts_with(want)))),
        "{}",
        run.dump()
    );
}

/// Creates acme's invoice for a month and checks it included `seconds` from its plans.
#[track_caller]
fn invoice_month(env: &Env, customer: &str, month: &str, included: u64) -> String {
    let inv = env.create_ok(customer, &format!("2026-{month}-01"), &format!("2026-{month}-28"));
    assert_eq!(line_sums(&inv, "included_seconds").values().sum::<u64>(), included, "{inv:#}");
    inv["id"].as_str().expect("an id").to_owned()
}

fn shrinking_a_plan_below_what_invoices_drew_is_refused_naming_customers_and_periods(backend: Backend) {
    let env = Env::seeded_on(backend);
    // basic includes 100 domestic minutes: acme draws 50 in January and 20 in February,
    // initech 40 in January.
    env.import_ok("customers", "initech.csv", "id,name,plans\ninitech,Initech,basic\n");
    let calls = [
        Cdr::domestic("a1", "acme", "2026-01-05T10:00:00Z", 3000),
        Cdr::domestic("a2", "acme", "2026-02-05T10:00:00Z", 1200),
        Cdr::domestic("i1", "initech", "2026-01-07T10:00:00Z", 2400),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let january = invoice_month(&env, "acme", "01", 3000);
    invoice_month(&env, "acme", "02", 1200);
    invoice_month(&env, "initech", "01", 2400);

    let shrunk = |minutes: u32| STANDARD_PLANS.replace("domestic|on_net,100", &format!("domestic|on_net,{minutes}"));
    let file = env.write("plans.csv", &shrunk(30));
    let run = env.meter(&["plans", "import", &file]);
    let drew = "invoices already drew: acme from 2026-01-01 (3000 s), initech from 2026-01-01 (2400 s)";
    run.assert_bad_cell(&file, 2, "included_minutes", "30 minutes (1800 s) is less than").assert_bad_cell(
        &file,
        2,
        "included_minutes",
        drew,
    );
    assert_eq!(run.file_error_lines().len(), 1, "{}", run.dump());
    env.assert_db_clean("after the refused plan");

    // Deleting acme's January invoice gives its seconds back: initech's stay in the way.
    env.meter(&["invoice", "delete", &january]).assert_ok();
    let run = env.meter(&["plans", "import", &file]);
    run.assert_bad_cell(&file, 2, "included_minutes", "invoices already drew: initech from 2026-01-01 (2400 s)");
    // Down to exactly what was drawn is fine.
    assert_eq!(
        env.import_ok("plans", "plans40.csv", &shrunk(40)),
        Summary { imported: 0, updated: 1, duplicates: 1, conflicts: 0 }
    );
    env.assert_db_clean("after shrinking the plan to what was drawn");
}
