//! Both backends print the same thing for the same data: one realistic session (the example
//! data set of examples/ imported in text and JSON, listings, previews, invoices created, shown,
//! deleted and created again, the billing cycle, re-imports that update and conflict, the
//! database commands, and errors) runs on a fresh SQLite database and on a fresh PostgreSQL
//! database side by side, and every command's exit status, stdout and stderr must be
//! byte-identical between the two.
//!
//! The only thing normalised is what is inherently per run: the time at which `db status` says
//! each migration was applied (its format must still be the same). Nothing else a command prints
//! depends on the system clock: the times of invoices' events are the session's clock
//! (`METER_TEST_NOW`).
//!
//! The input files live in one directory shared by both runs, so the paths that error messages
//! name are the same too.

mod common;

use common::*;
use std::io::Write as _;
use std::path::Path;

/// "Now" for the session: after every period it invoices, so that no cycle date of the session
/// is in the future whenever the test runs.
const CLOCK: [(&str, &str); 1] = [("METER_TEST_NOW", "2027-02-01T12:00:00Z")];

/// One session run on two databases at once.
struct Twins {
    sqlite: Env,
    postgres: Env,
    /// The input files both runs read.
    data: tempfile::TempDir,
    /// Commands compared so far.
    compared: usize,
    /// Every difference found, in words.
    differences: Vec<String>,
}

impl Twins {
    /// A fresh SQLite and a fresh PostgreSQL database.
    fn new() -> Twins {
        let postgres = Env::on(Backend::Postgres);
        let sqlite = Env::on(Backend::Sqlite);
        let data = tempfile::tempdir().expect("a temporary directory");
        Twins { sqlite, postgres, data, compared: 0, differences: Vec::new() }
    }

    /// Writes an input file in the shared directory; returns its path.
    fn file(&self, name: &str, contents: &str) -> String {
        let p = self.data.path().join(name);
        std::fs::write(&p, contents).expect("writing an input file");
        p.display().to_string()
    }

    /// Copies a file of examples/ into the shared directory; returns its path.
    fn example(&self, name: &str) -> String {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name);
        let contents = std::fs::read_to_string(&from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display()));
        self.file(name, &contents)
    }

    /// Runs `meter ARGS` on both databases at once, records any difference between the two
    /// runs, and returns the SQLite run.
    fn same(&mut self, args: &[&str]) -> Run {
        let (lite, pg) = std::thread::scope(|s| {
            let pg = s.spawn(|| self.postgres.meter_with_env(args, &CLOCK));
            let lite = self.sqlite.meter_with_env(args, &CLOCK);
            (lite, pg.join().expect("the PostgreSQL run"))
        });
        self.compared += 1;
        let command = format!("meter {}", args.join(" "));
        if lite.code != pg.code {
            self.differences.push(format!(
                "`{command}`: exit status {} on SQLite, {} on PostgreSQL\n--- SQLite ---\n{}\n--- PostgreSQL ---\n{}",
                lite.code,
                pg.code,
                lite.dump(),
                pg.dump()
            ));
        }
        for (stream, a, b) in [("stdout", &lite.stdout, &pg.stdout), ("stderr", &lite.stderr, &pg.stderr)] {
            let (a, b) = (normalise(args, a), normalise(args, b));
            if let Some(d) = first_difference(&a, &b) {
                self.differences.push(format!("`{command}`: {stream} differs: {d}"));
            }
        }
        lite
    }

    /// [`Twins::same`], and the SQLite run must have exited `code` (so that the session does
    /// what it means to on both backends, not merely fail the same way on both).
    #[track_caller]
    fn expect(&mut self, code: i32, args: &[&str]) -> Run {
        let run = self.same(args);
        run.assert_code(code);
        run
    }

    #[track_caller]
    fn ok(&mut self, args: &[&str]) -> Run {
        self.expect(0, args)
    }

    /// Panics with every difference found.
    #[track_caller]
    fn assert_no_difference(&self) {
        assert!(
            self.differences.is_empty(),
            "{} of {} commands printed differently on SQLite and PostgreSQL:\n\n{}",
            self.differences.len(),
            self.compared,
            self.differences.join("\n\n")
        );
    }
}

/// What is inherently per run, replaced by a placeholder: the time in each `NAME  applied TIME`
/// line of `db status`, once checked to be `YYYY-MM-DDTHH:MM:SSZ`.
fn normalise(args: &[&str], text: &str) -> String {
    if args != ["db", "status"] {
        return text.to_owned();
    }
    text.lines()
        .map(|line| match line.split_once("  applied ") {
            Some((name, at)) if is_utc_second(at) => format!("{name}  applied <time>\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Whether `s` is `YYYY-MM-DDTHH:MM:SSZ`.
fn is_utc_second(s: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:ddZ";
    s.len() == shape.len()
        && s.bytes().zip(shape.bytes()).all(|(c, p)| if p == b'd' { c.is_ascii_digit() } else { c == p })
}

impl Drop for Twins {
    /// A test that stops half-way still reports the differences found until then.
    fn drop(&mut self) {
        if std::thread::panicking() && !self.differences.is_empty() {
            let _ = writeln!(
                std::io::stderr(),
                "differences between SQLite and PostgreSQL before the failure:\n\n{}",
                self.differences.join("\n\n")
            );
        }
    }
}

/// Where two outputs first differ, shown with both versions of the line; `None` if identical.
fn first_difference(a: &str, b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.split('\n').collect(), b.split('\n').collect());
    let i = la.iter().zip(&lb).position(|(x, y)| x != y).unwrap_or(la.len().min(lb.len()));
    Some(format!(
        "line {} of {} (SQLite) / {} (PostgreSQL)\n  SQLite:     {:?}\n  PostgreSQL: {:?}",
        i + 1,
        la.len(),
        lb.len(),
        la.get(i).copied().unwrap_or("<end>"),
        lb.get(i).copied().unwrap_or("<end>")
    ))
}

/// The invoice id of a JSON invoice document.
#[track_caller]
fn invoice_id(run: &Run) -> String {
    run.json()["id"].as_str().unwrap_or_else(|| panic!("no invoice id\n{}", run.dump())).to_owned()
}

/// Rows of examples/cdrs.csv changed: `duration` (third column) replaced for each listed id.
fn with_durations(cdrs: &str, changes: &[(&str, u32)]) -> String {
    let mut out = String::new();
    for (i, line) in cdrs.lines().enumerate() {
        let id = line.split(',').next().unwrap_or("");
        if i == 0 {
            out.push_str(line);
            out.push('\n');
        } else if let Some((_, d)) = changes.iter().find(|(c, _)| *c == id) {
            let mut cells: Vec<&str> = line.split(',').collect();
            let d = d.to_string();
            cells[2] = &d;
            out.push_str(&cells.join(","));
            out.push('\n');
        }
    }
    out
}

mod postgres {
    /// Named `postgres::…` as every test that needs the PostgreSQL server.
    #[test]
    fn prints_what_sqlite_prints_for_the_same_session() {
        super::both_backends_print_the_same_for_the_same_session()
    }
}

fn both_backends_print_the_same_for_the_same_session() {
    let mut t = Twins::new();
    let started = std::time::Instant::now();

    // ------------------------------------------------------------ the database before anything
    t.ok(&["db", "status"]);
    t.ok(&["db", "migrate"]);
    let status = t.ok(&["db", "status"]);
    assert!(status.stdout.contains("0001_init  applied "), "{}", status.dump());

    // ------------------------------------------------------------ imports, text and JSON
    let decks = t.example("decks.csv");
    let localcalling = t.example("localcalling.csv");
    let plans = t.example("plans.csv");
    let customers = t.example("customers.csv");
    let rates = t.example("rates.csv");
    let cdrs = t.example("cdrs.csv");
    t.ok(&["decks", "import", &decks]);
    t.ok(&["localcalling", "import", &localcalling, "--format", "json"]);
    t.ok(&["plans", "import", &plans]);
    t.ok(&["customers", "import", &customers, "--format", "json"]);
    t.ok(&["rates", "import", &rates]);
    let imported = t.ok(&["cdrs", "import", &cdrs, "--format", "json"]);
    assert!(imported.json()["imported"].as_u64().unwrap_or(0) > 1000, "{}", imported.dump());
    // Again, in the other format: all duplicates.
    t.ok(&["decks", "import", &decks, "--format", "json"]);
    t.ok(&["localcalling", "import", &localcalling]);
    t.ok(&["plans", "import", &plans, "--format", "json"]);
    t.ok(&["customers", "import", &customers]);
    t.ok(&["rates", "import", &rates, "--format", "json"]);
    t.ok(&["cdrs", "import", &cdrs]);

    // Call records from the PBX platforms, found by domain.
    let netsapiens = t.file(
        "netsapiens-december.csv",
        "id,start,duration,direction,from,to,domain
ns-1,2026-12-02T14:00:00Z,95,outbound,+12125550100,+442079460000,acmedental.ns.example.net
ns-2,2026-12-02T14:05:00Z,0,outbound,+12125550100,+13035550101,acmedental.ns.example.net
ns-3,2026-12-03T09:30:00.250Z,61,inbound,+14695550187,+18775550166,GLOBEX-SUPPORT.ns.example.net
ns-4,2026-12-03T23:59:59.999999Z,3601,outbound,+12145550100,+18765550123,lonestarrealty.ns.example.net
",
    );
    t.ok(&["cdrs", "import", &netsapiens, "--source", "netsapiens"]);
    let brightlink = t.file(
        "brightlink-december.csv",
        "id,start,duration,direction,from,to,domain,call_type
bl-1,2026-12-04T10:00:00+01:00,125,outbound,+442079460010,+12125550100,thameslogistics.brightlink.example.com,
bl-2,2026-12-04T10:10:00+01:00,30,outbound,+442079460010,+441632960000,thameslogistics.brightlink.example.com,
bl-3,2026-12-04T10:20:00+01:00,12,outbound,+442079460010,+881612345678,thameslogistics.brightlink.example.com,satellite
",
    );
    t.ok(&["cdrs", "import", &brightlink, "--source", "brightlink", "--format", "json"]);

    // Rejected files: the same errors, and nothing imported on either side.
    let bad_cdrs = t.file(
        "bad-cdrs.csv",
        "id,start,duration,direction,from,to,customer
x1,2026-11-05T10:00:00Z,60,outbound,12125550100,13035550100,acme
x2,yesterday,-5,sideways,12125550100,13035550100,nobody
x3,2026-11-05T10:00:00Z,sixty,outbound,12125550100,13035550100,acme
",
    );
    t.expect(1, &["cdrs", "import", &bad_cdrs]);
    t.expect(1, &["cdrs", "import", &bad_cdrs, "--format", "json"]);
    let bad_rates = t.file(
        "bad-rates.csv",
        "call_type,prefix,rate,deck,customer
international,44,0.02,platinum,
international,44,0.02,wholesale,acme
international,44,cheap,,
",
    );
    t.expect(1, &["rates", "import", &bad_rates]);
    let conflicting = t.file(
        "conflicting-rates.csv",
        "call_type,prefix,rate,effective_from
domestic,1876,0.20,2026-12-01
",
    );
    t.expect(1, &["rates", "import", &conflicting, "--format", "json"]);
    t.expect(2, &["cdrs", "import", &netsapiens, "--source", "asterisk"]);

    // ------------------------------------------------------------ listings
    t.ok(&["decks", "list"]);
    t.ok(&["decks", "list", "--format", "json"]);
    t.ok(&["rates", "list"]);
    t.ok(&["rates", "list", "--format", "json"]);
    t.ok(&["rates", "list", "--deck", "wholesale"]);
    t.ok(&["rates", "list", "--deck", "default", "--call-type", "international", "--format", "json"]);
    t.ok(&["rates", "list", "--customer", "thames", "--format", "json"]);
    t.ok(&["rates", "list", "--call-type", "domestic"]);
    t.expect(1, &["rates", "list", "--deck", "platinum"]);
    for c in ["acme", "globex", "lonestar", "thames"] {
        t.ok(&["calls", "list", "--customer", c]);
        t.ok(&["calls", "list", "--customer", c, "--format", "json"]);
        t.ok(&["calls", "list", "--customer", c, "--format", "csv"]);
    }
    t.ok(&["calls", "list", "--customer", "acme", "--from", "2026-11-10", "--to", "2026-11-12"]);
    t.ok(&["calls", "list", "--customer", "lonestar", "--from", "2026-11-30", "--to", "2026-12-01", "--format", "csv"]);
    t.expect(1, &["calls", "list", "--customer", "nobody"]);

    // ------------------------------------------------------------ previews
    let november = ["--from", "2026-11-01", "--to", "2026-11-30"];
    for c in ["acme", "globex", "lonestar", "thames"] {
        let mut args = vec!["invoice", "preview", "--customer", c];
        args.extend_from_slice(&november);
        t.ok(&args);
        args.extend_from_slice(&["--format", "json"]);
        t.ok(&args);
    }
    let preview = t.ok(&[
        "invoice",
        "preview",
        "--customer",
        "acme",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
    ]);
    assert!(!preview.json()["lines"].as_array().expect("lines").is_empty(), "{}", preview.dump());
    t.ok(&[
        "invoice",
        "preview",
        "--customer",
        "globex",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--call-types",
        "toll_free,inbound",
    ]);
    t.ok(&["invoice", "preview", "--customer", "thames", "--from", "2026-12-01", "--to", "2026-12-31"]);
    t.expect(2, &["invoice", "preview", "--customer", "acme", "--from", "2026-11-30", "--to", "2026-11-01"]);
    t.expect(1, &["invoice", "preview", "--customer", "nobody", "--from", "2026-11-01", "--to", "2026-11-30"]);

    // ------------------------------------------------------------ invoices by hand
    let acme = t.ok(&[
        "invoice",
        "create",
        "--customer",
        "acme",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
    ]);
    let acme_id = invoice_id(&acme);
    t.ok(&[
        "invoice",
        "create",
        "--customer",
        "globex",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-15",
        "--call-types",
        "toll_free",
    ]);
    // Nothing left to bill: exit 1 with the reason, on both.
    t.expect(1, &["invoice", "create", "--customer", "acme", "--from", "2026-11-01", "--to", "2026-11-30"]);
    t.expect(1, &["invoice", "create", "--customer", "acme", "--from", "2027-01-01", "--to", "2027-01-31"]);
    for id in [acme_id.as_str(), "2", "INV-000002"] {
        t.ok(&["invoice", "show", id]);
        t.ok(&["invoice", "show", id, "--format", "json"]);
    }
    t.expect(1, &["invoice", "show", "INV-000099"]);
    t.ok(&["calls", "list", "--customer", "acme", "--format", "csv"]);
    t.ok(&["calls", "list", "--customer", "globex", "--format", "json"]);

    // ------------------------------------------------------------ the billing cycle
    let first = t.ok(&["cycle", "run", "--date", "2026-12-01", "--format", "json"]);
    let mut cycle_ids: Vec<String> = first.json()["invoices"]
        .as_array()
        .expect("an `invoices` array")
        .iter()
        .map(|d| d["id"].as_str().expect("an invoice id").to_owned())
        .collect();
    assert!(cycle_ids.len() >= 2, "{}", first.dump());
    // A second run finds every period invoiced: all skipped, with the reasons.
    t.ok(&["cycle", "run", "--date", "2026-12-01"]);
    let fifteenth = t.ok(&["cycle", "run", "--date", "2026-12-15"]);
    let before = cycle_ids.len();
    cycle_ids.extend(
        fifteenth
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix("created ")?.split_whitespace().next())
            .map(str::to_owned),
    );
    assert!(cycle_ids.len() > before, "{}", fifteenth.dump());
    t.ok(&["cycle", "run", "--date", "2026-12-16", "--format", "json"]);
    for id in &cycle_ids {
        t.ok(&["invoice", "show", id]);
        t.ok(&["invoice", "show", id, "--format", "json"]);
    }
    t.ok(&["db", "check"]);
    t.ok(&["db", "check", "--format", "json"]);

    // ------------------------------------------------------------ re-imports after billing
    // Two billed calls of acme changed (conflicts: left as billed), and one of lonestar from
    // before its billing period (15 November to 14 December), still unbilled (an update).
    let original = std::fs::read_to_string(&cdrs).expect("cdrs.csv");
    let changed = t.file(
        "cdrs-changed.csv",
        &with_durations(&original, &[("n26-00007", 999), ("n26-00011", 1), ("n26-00010", 7)]),
    );
    let reimported = t.ok(&["cdrs", "import", &changed, "--format", "json"]);
    assert_eq!(Summary::of(&reimported.json()), Summary { imported: 0, updated: 1, duplicates: 0, conflicts: 2 });
    t.ok(&["cdrs", "import", &changed]);
    let rates_change = t.file(
        "rates-change.csv",
        "call_type,prefix,rate,initial_increment,subsequent_increment,effective_from,effective_to,description,deck
domestic,,0.0060,6,6,,2026-12-01,Wholesale: US and Canada,wholesale
domestic,,0.0055,6,6,2026-12-01,,Wholesale: US and Canada from December,wholesale
premium,1900,1.25000001,1,1,,,Premium numbers,
",
    );
    t.ok(&["rates", "import", &rates_change, "--format", "json"]);
    let moves =
        t.file("customers-move.csv", "id,name,deck\nacme,Acme Dental Group,retail\nlonestar,Lone Star Realty,\n");
    t.ok(&["customers", "import", &moves]);
    t.ok(&["decks", "list"]);
    t.ok(&["rates", "list", "--deck", "wholesale", "--format", "json"]);
    t.ok(&["calls", "list", "--customer", "lonestar", "--format", "csv"]);

    // ------------------------------------------------------------ delete and create again
    t.ok(&["invoice", "delete", &acme_id]);
    t.expect(1, &["invoice", "show", &acme_id]);
    t.expect(1, &["invoice", "delete", &acme_id]);
    t.ok(&["calls", "list", "--customer", "acme", "--format", "json"]);
    t.ok(&["invoice", "preview", "--customer", "acme", "--from", "2026-11-01", "--to", "2026-11-30"]);
    let again = t.ok(&[
        "invoice",
        "create",
        "--customer",
        "acme",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
    ]);
    let again_id = invoice_id(&again);
    assert_ne!(again_id, acme_id, "an invoice number is never reused");
    t.ok(&["invoice", "show", &again_id]);
    t.ok(&["invoice", "show", &again_id, "--format", "json"]);
    t.ok(&["invoice", "create", "--customer", "thames", "--from", "2026-12-01", "--to", "2026-12-31"]);
    t.ok(&["calls", "list", "--customer", "acme"]);
    t.ok(&["calls", "list", "--customer", "thames", "--format", "csv"]);
    t.ok(&["cycle", "run", "--date", "2027-01-01", "--format", "json"]);
    t.ok(&["db", "check", "--format", "json"]);
    t.ok(&["db", "check"]);
    t.ok(&["db", "migrate"]);
    t.ok(&["db", "status"]);

    let _ = writeln!(
        std::io::stderr(),
        "same_output: {} commands compared on both backends in {:.1?}",
        t.compared,
        started.elapsed()
    );
    t.assert_no_difference();
}
