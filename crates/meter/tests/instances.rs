//! Two NetSapiens platforms as two named sources, end to end through the real binary against two
//! emulators: `sources set NAME --platform`, customers.csv's `domains` beside the shorthand
//! columns, `sync` of both, `sync --source NAME`, `jobs`, `sources list|check`, and the calls
//! each source stored. Every test runs on SQLite and on PostgreSQL.

mod common;

use common::platforms::*;
use common::*;
use emulator::{Config, Emulator};

on_both_backends! {
    two_netsapiens_instances_sync_their_own_customers,
    customers_csv_domains_name_known_sources_once,
}

/// Both platforms serve a domain of the same name, each its own calls (other seeds).
const DOMAIN: &str = "acme.pbx.example";

/// acme by the shorthand column on `netsapiens`, initech by `domains` on `ns-east`, the same
/// domain name on each.
const CUSTOMERS: &str = "id,name,netsapiens_domain,domains
acme,Acme Corp,acme.pbx.example,
initech,Initech,,ns-east:acme.pbx.example
";

fn emulator(seed: u64) -> (Config, Emulator) {
    let mut cfg = Config::demo(seed);
    cfg.domains = vec![domain(DOMAIN, 300)];
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    (cfg, emu)
}

/// `sources set NAME [--platform netsapiens]` against an emulator.
fn set(env: &Env, name: &str, platform: bool, emu: &Emulator, cfg: &Config) -> Run {
    let ns = &cfg.netsapiens;
    let url = emu.netsapiens_url();
    let mut args =
        vec!["sources", "set", name, "--url", &url, "--client-id", &ns.client_id, "--username", &ns.username];
    if platform {
        args.extend(["--platform", "netsapiens"]);
    }
    env.meter_with_env(
        &args,
        &[("METER_SOURCE_CLIENT_SECRET", &ns.client_secret), ("METER_SOURCE_PASSWORD", &ns.password)],
    )
}

fn two_netsapiens_instances_sync_their_own_customers(backend: Backend) {
    let (main_cfg, main_emu) = emulator(SEED);
    let (east_cfg, east_emu) = emulator(SEED + 1);
    let env = Env::on(backend);
    env.import_ok("rates", "rates.csv", &format!("{STANDARD_RATES}{MORE_RATES}"));
    // A new name needs its platform; a platform's own name does not.
    set(&env, "ns-east", false, &east_emu, &east_cfg).assert_code(2).assert_stderr_has("--platform");
    set(&env, "netsapiens", false, &main_emu, &main_cfg).assert_ok();
    set(&env, "ns-east", true, &east_emu, &east_cfg).assert_ok();
    // A source keeps its platform.
    let run = env.meter(&["sources", "set", "ns-east", "--platform", "brightlink", "--url", "https://x.example"]);
    run.assert_code(2).assert_stderr_has("its platform cannot change");
    env.import_ok("customers", "customers.csv", CUSTOMERS);

    let list = env.meter(&["sources", "list", "--format", "json"]);
    list.assert_ok();
    let shown: Vec<(String, String)> = list.json()["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            (s["source"].as_str().unwrap_or_default().to_owned(), s["platform"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert_eq!(shown, vec![("netsapiens".into(), "netsapiens".into()), ("ns-east".into(), "netsapiens".into())]);

    let run = sync(&env, &["--all", "--from", FROM, "--to", TO]);
    run.assert_ok();
    let mut done: Vec<(String, String)> = jobs(&run)
        .iter()
        .map(|j| {
            (j["customer"].as_str().unwrap_or_default().to_owned(), j["source"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    done.sort();
    assert_eq!(
        done,
        vec![("acme".into(), "netsapiens".into()), ("initech".into(), "ns-east".into())],
        "{}",
        run.dump()
    );
    for (customer, source, cfg) in [("acme", "netsapiens", &main_cfg), ("initech", "ns-east", &east_cfg)] {
        let want = expected(cfg, DOMAIN, FROM, TO, true);
        assert!(!want.is_empty(), "the emulator has calls");
        assert_eq!(stored(&env, customer, source), want, "{customer}: the calls of its own platform");
        assert_eq!(env.calls(customer).len(), want.len(), "{customer}: nothing from the other platform");
    }

    // One source by name; jobs and checks speak of names.
    let run = sync(&env, &["--customer", "initech", "--source", "ns-east", "--from", FROM, "--to", TO]);
    run.assert_ok();
    assert_eq!(jobs(&run).iter().map(|j| j["source"].clone()).collect::<Vec<_>>(), vec!["ns-east"]);
    let run = sync(&env, &["--customer", "initech", "--source", "ns-west", "--from", FROM, "--to", TO]);
    run.assert_code(1).assert_stderr_has("source ns-west is not configured (configured: netsapiens, ns-east)");
    let listed = env.meter(&["jobs", "list", "--customer", "initech", "--format", "json"]);
    assert!(jobs(&listed).iter().all(|j| j["source"] == "ns-east"), "{}", listed.dump());
    let check = env.meter(&["sources", "check", "--customer", "initech", "--format", "json"]);
    check.assert_ok();
    assert_eq!(failed(&check, "ns-east"), Vec::<String>::new(), "{}", check.dump());
    env.assert_db_clean("after syncing two instances");
}

fn customers_csv_domains_name_known_sources_once(backend: Backend) {
    let (cfg, emu) = emulator(SEED);
    let env = Env::on(backend);
    set(&env, "ns-east", true, &emu, &cfg).assert_ok();
    let file = env.write(
        "bad.csv",
        "id,name,netsapiens_domain,domains
acme,Acme,acme.example,netsapiens:other.example
globex,Globex,,ns-west:globex.example
initech,Initech,,ns-east:a.example|ns-east:b.example
hooli,Hooli,,file:h.example
umbrella,Umbrella,,ns-east
newco,Newco,,ns-east:ACME.example|brightlink:acme.example
dupe,Dupe,,ns-east:Acme.Example
",
    );
    let run = env.meter(&["customers", "import", &file]);
    run.assert_bad_cell(&file, 2, "netsapiens_domain", "also given in `domains`")
        .assert_bad_cell(&file, 3, "domains", "unknown source `ns-west` (known: brightlink, netsapiens, ns-east)")
        .assert_bad_cell(&file, 4, "domains", "source `ns-east` is given twice")
        .assert_bad_cell(&file, 5, "domains", "the file source has no domains")
        .assert_bad_cell(&file, 6, "domains", "`ns-east` is not `source:domain`")
        .assert_bad_cell(&file, 8, "domains", "`Acme.Example` is also customer `newco`'s, on line 7 on ns-east");
    assert_eq!(run.file_error_lines().len(), 6, "{}", run.dump());

    // The shorthand and `domains` together, and a later file with the shorthand alone keeps the
    // other sources' domains.
    let good = "id,name,brightlink_domain,domains\nacme,Acme,acme-bl,ns-east:acme.example|netsapiens:acme.example\n";
    env.import_ok("customers", "good.csv", good);
    env.import_ok("customers", "more.csv", "id,name,netsapiens_domain\nacme,Acme,acme-ns\n");
    let mut db = store::AnyStore::connect_url(env.db_url()).expect("the database");
    let acme = store::with_backend!(&mut db, |db| {
        store::Customers::customer(&mut store::Store::read(db).expect("a read"), "acme")
    })
    .expect("read")
    .expect("acme");
    let domains: Vec<(&str, &str)> = acme.domains.iter().map(|(s, d)| (s.name(), d.as_str())).collect();
    assert_eq!(domains, vec![("brightlink", "acme-bl"), ("netsapiens", "acme-ns"), ("ns-east", "acme.example")]);
}
