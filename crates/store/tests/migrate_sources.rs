//! Migration 0009 (sources as named instances) on databases made by the schema before it: the
//! migrations up to 0008 applied as the program applied them, rows written through SQL, then the
//! database opened by this program, which migrates it in place.

use store::prelude::*;
use store::{AnyStore, CallQuery, Platform, Source, Store, StoreError, StoreTx};
use testkit::TempDatabase;

/// The migrations before sources were named, per backend.
const SQLITE_BEFORE: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/sqlite/0001_init.sql")),
    ("0002_decks", include_str!("../migrations/sqlite/0002_decks.sql")),
    ("0003_sources", include_str!("../migrations/sqlite/0003_sources.sql")),
    ("0004_billed_calls_by_key", include_str!("../migrations/sqlite/0004_billed_calls_by_key.sql")),
    ("0005_billed_calls_by_number", include_str!("../migrations/sqlite/0005_billed_calls_by_number.sql")),
    ("0006_job_rejects", include_str!("../migrations/sqlite/0006_job_rejects.sql")),
    ("0007_no_secret_hints", include_str!("../migrations/sqlite/0007_no_secret_hints.sql")),
    ("0008_job_heartbeat", include_str!("../migrations/sqlite/0008_job_heartbeat.sql")),
];
const POSTGRES_BEFORE: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/postgres/0001_init.sql")),
    ("0002_decks", include_str!("../migrations/postgres/0002_decks.sql")),
    ("0003_sources", include_str!("../migrations/postgres/0003_sources.sql")),
    ("0004_billed_calls_by_key", include_str!("../migrations/postgres/0004_billed_calls_by_key.sql")),
    ("0005_billed_calls_by_number", include_str!("../migrations/postgres/0005_billed_calls_by_number.sql")),
    ("0006_job_rejects", include_str!("../migrations/postgres/0006_job_rejects.sql")),
    ("0007_no_secret_hints", include_str!("../migrations/postgres/0007_no_secret_hints.sql")),
    ("0008_job_heartbeat", include_str!("../migrations/postgres/0008_job_heartbeat.sql")),
];

/// Customers with domains in the old columns; calls, numbers, settings and a job of each old code
/// (brightlink 0, file 1, netsapiens 2), three calls starting at the same time.
const ROWS: &str = "
    INSERT INTO customers (pk, id, name, netsapiens_domain, brightlink_domain) VALUES
        (1, 'acme', 'Acme', 'acme.pbx.example', 'ACME-BL'), (2, 'globex', 'Globex', NULL, 'globex-bl'),
        (3, 'initech', 'Initech', NULL, NULL);
    INSERT INTO phone_numbers (customer_pk, source, number, enabled) VALUES (1, 2, '13125550100', true),
        (1, 0, '12125550100', false);
    UPDATE counters SET next = 4 WHERE name = 'calls';";

/// The same, in each backend's own types.
const SQLITE_ROWS: &str = "
    INSERT INTO calls (customer_pk, start_us, pk, source, source_call_id, duration, direction, from_number, to_number)
        VALUES (1, 5000000, 1, 2, 'n1', 10, 1, '1', '2'), (1, 5000000, 2, 0, 'b1', 10, 1, '1', '2'),
        (1, 5000000, 3, 1, 'f1', 10, 1, '1', '2');
    INSERT INTO source_settings (source, settings, secrets, updated_at) VALUES (2, '{}', x'00', 1), (0, '{}', x'01', 1);
    INSERT INTO jobs (customer_pk, source, domain, window_start, window_end, state, position, started_at, updated_at)
        VALUES (1, 2, 'acme.pbx.example', 0, 10000000, 'done', '{}', 1, 1);";
const POSTGRES_ROWS: &str = "
    SELECT setval(pg_get_serial_sequence('customers', 'pk'), 3);
    INSERT INTO calls (customer_pk, start_at, pk, source, source_call_id, duration, direction, from_number, to_number)
        VALUES (1, to_timestamp(5), 1, 2, 'n1', 10, 1, '1', '2'), (1, to_timestamp(5), 2, 0, 'b1', 10, 1, '1', '2'),
        (1, to_timestamp(5), 3, 1, 'f1', 10, 1, '1', '2');
    INSERT INTO source_settings (source, settings, secrets, updated_at) VALUES (2, '{}', '\\x00', now()),
        (0, '{}', '\\x01', now());
    INSERT INTO jobs (customer_pk, source, domain, window_start, window_end, state, position, started_at, updated_at)
        VALUES (1, 2, 'acme.pbx.example', to_timestamp(0), to_timestamp(10), 'done', '{}', now(), now());";

/// A database of the old schema holding `rows` (shared, then the backend's own), by URL; the
/// temporary database or directory lives as long as the returned guard.
fn old_database(postgres: bool, rows: &str) -> (String, Box<dyn std::any::Any>) {
    if postgres {
        let pg = TempDatabase::for_test();
        let mut client = ::postgres::Client::connect(pg.url(), ::postgres::NoTls).expect("connect");
        let mut tx = client.transaction().expect("tx");
        tx.batch_execute(
            "CREATE TABLE meter_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .expect("migrations table");
        for (name, sql) in POSTGRES_BEFORE {
            tx.batch_execute(sql).expect(name);
            tx.execute("INSERT INTO meter_migrations (name) VALUES ($1)", &[name]).expect("record");
        }
        tx.batch_execute(rows).expect("rows");
        tx.commit().expect("commit");
        (pg.url().to_owned(), Box::new(pg))
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        let tx = conn.transaction().expect("tx");
        tx.execute_batch(
            "CREATE TABLE meter_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))",
        )
        .expect("migrations table");
        for (name, sql) in SQLITE_BEFORE {
            tx.execute_batch(sql).expect(name);
            tx.execute("INSERT INTO meter_migrations (name) VALUES (?1)", [name]).expect("record");
        }
        tx.execute_batch(rows).expect("rows");
        tx.commit().expect("commit");
        (format!("sqlite://{}", path.display()), Box::new(dir))
    }
}

fn migrates_in_place(postgres: bool) {
    let own = if postgres { POSTGRES_ROWS } else { SQLITE_ROWS };
    let (url, _guard) = old_database(postgres, &format!("{ROWS}{own}"));
    let mut db = AnyStore::open_url(&url).expect("opening migrates");
    store::with_backend!(&mut db, |db| migrated(db));
}

/// What the migrated database of [`migrates_in_place`] holds.
fn migrated<S: Store>(db: &mut S) {
    let mut tx = db.write().expect("tx");

    let domains = |c: &store::Customer| -> Vec<(String, String)> {
        c.domains.iter().map(|(s, d)| (s.name().to_owned(), d.clone())).collect()
    };
    let customers = tx.customers().expect("customers");
    let got: Vec<(&str, Vec<(String, String)>)> = customers.iter().map(|c| (c.id.as_str(), domains(c))).collect();
    let pair = |s: &str, d: &str| (s.to_owned(), d.to_owned());
    assert_eq!(
        got,
        vec![
            ("acme", vec![pair("brightlink", "ACME-BL"), pair("netsapiens", "acme.pbx.example")]),
            ("globex", vec![pair("brightlink", "globex-bl")]),
            ("initech", vec![]),
        ]
    );

    // Stored codes keep their meaning, and calls keep the contract's order.
    let q = CallQuery::of_customer(1);
    let calls: Vec<(String, String)> = tx
        .calls(&q)
        .expect("calls")
        .into_iter()
        .map(|c| (c.call.source.name().to_owned(), c.call.source_call_id))
        .collect();
    assert_eq!(calls, vec![pair("brightlink", "b1"), pair("file", "f1"), pair("netsapiens", "n1")]);
    let numbers: Vec<String> =
        tx.phone_numbers(1).expect("numbers").iter().map(|(s, n)| format!("{s}:{}", n.number)).collect();
    assert_eq!(numbers, vec!["brightlink:12125550100", "netsapiens:13125550100"]);
    let settings: Vec<String> = tx.source_settings().expect("settings").iter().map(|s| s.source.to_string()).collect();
    assert_eq!(settings, vec!["brightlink", "netsapiens"]);
    let jobs = tx.jobs(&store::JobQuery::default()).expect("jobs");
    assert_eq!(jobs.iter().map(|j| j.source.name()).collect::<Vec<_>>(), vec!["netsapiens"]);
    assert_eq!(tx.check().expect("check"), Vec::<String>::new(), "the migrated database is consistent");

    // A new source takes a new code; the migrated domains are unique per source.
    assert_eq!(tx.add_source("ns-east", Platform::Netsapiens).expect("add").code(), 3);
    let mut twin = store::Customer::new("twin", "Twin");
    twin.set_domain(&Source::default_of(Platform::Netsapiens), Some("ACME.pbx.example".into()));
    assert!(matches!(tx.save_customer(&twin), Err(StoreError::Refused(_))));
}

fn a_domain_two_customers_share_stops_the_migration(postgres: bool) {
    let shared = "INSERT INTO customers (pk, id, name, netsapiens_domain) VALUES (1, 'acme', 'Acme', 'acme.example'),
        (2, 'twin', 'Twin', 'ACME.example');";
    let (url, _guard) = old_database(postgres, shared);
    match AnyStore::open_url(&url) {
        Err(StoreError::Migration { name, reason }) => {
            assert_eq!(name, "0009_source_instances");
            assert!(reason.contains("customer_domains"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Nothing of the migration stays: the old meter still reads the database, where `db check`
    // names the customers sharing the domain.
    let mut conn_check = AnyStore::connect_url(&url).expect("connect");
    let status = conn_check.migration_status().expect("status");
    // It and every later migration are pending.
    assert_eq!(store::pending(&status).first().map(String::as_str), Some("0009_source_instances"));
}

mod sqlite {
    #[test]
    fn migrates_in_place() {
        super::migrates_in_place(false)
    }
    #[test]
    fn a_domain_two_customers_share_stops_the_migration() {
        super::a_domain_two_customers_share_stops_the_migration(false)
    }
}

mod postgres {
    #[test]
    fn migrates_in_place() {
        super::migrates_in_place(true)
    }
    #[test]
    fn a_domain_two_customers_share_stops_the_migration() {
        super::a_domain_two_customers_share_stops_the_migration(true)
    }
}
