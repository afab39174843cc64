//! Pages of the call listing through the store (migration 0015): a read seeks past a call in the
//! listing's order and stops at its limit, with every filter, across customers and sources
//! whose codes do not follow their names; a scan bounds what a read examines and `scan_end`
//! says where it stopped; the stamps move with what they cover, and a page is read on its own
//! only while they are as its reader expects.

use super::*;
use store::{CallKey, InvoiceId};

/// Calls of three customers over two starts shared by several sources (codes 3 and 4 come after
/// every platform's own source by code, but `aa` before them by name), some unanswered; the
/// first customer's `a1` and `a4` on an invoice. Returns the customers and the invoice.
fn calls_to_page<S: Store>(store: &mut S) -> ([i64; 3], InvoiceId) {
    let cs = [customer(store, "c1"), customer(store, "c2"), customer(store, "c3")];
    let mut tx = store.write().expect("tx");
    let zz = tx.add_source("zz", Platform::Netsapiens).expect("add");
    let aa = tx.add_source("aa", Platform::Brightlink).expect("add");
    tx.commit().expect("commit");
    let on = |c: i64, source: &Source, id: &str, start: i64, duration: u32, to: &str| NewCall {
        source: source.clone(),
        to: to.into(),
        ..call(c, id, start, duration)
    };
    let file = Source::file();
    import(
        store,
        &[
            on(cs[0], &file, "a1", 10, 60, "13125550100"),
            on(cs[1], &zz, "b1", 10, 0, "12125550100"),
            on(cs[2], &aa, "c1", 10, 60, "12125550100"),
            on(cs[0], &ns(), "a2", 10, 60, "12125550100"),
            on(cs[1], &aa, "b2", 20, 60, "13125550100"),
            on(cs[0], &zz, "a3", 20, 0, "12125550100"),
            on(cs[2], &file, "c2", 20, 60, "12125550100"),
            on(cs[0], &file, "a4", 30, 60, "12125550100"),
            on(cs[1], &bl(), "b3", 40, 60, "13125550100"),
            on(cs[2], &file, "c3", 50, 0, "12125550100"),
            on(cs[0], &aa, "a5", 60, 60, "12125550100"),
        ],
    );
    let billed: Vec<(i64, i64)> = {
        let mut tx = store.read().expect("tx");
        let calls = tx.calls(&CallQuery::of_customer(cs[0])).expect("calls");
        calls
            .iter()
            .filter(|s| ["a1", "a4"].contains(&s.call.source_call_id.as_str()))
            .map(|s| (s.pk, s.call.start))
            .collect()
    };
    let mut tx = store.write().expect("tx");
    let invoice = tx.insert_invoice(&invoice_for(cs[0], &billed, vec![])).expect("an invoice of a1 and a4");
    tx.commit().expect("commit");
    (cs, invoice)
}

fn ids_of(calls: &[store::StoredCall]) -> Vec<String> {
    calls.iter().map(|s| s.call.source_call_id.clone()).collect()
}

/// Every call of `q`, read `size` at a time, each read seeking past the last call of the one
/// before.
fn paged<S: Store>(store: &mut S, q: &CallQuery, size: u64) -> Vec<String> {
    let mut tx = store.read().expect("tx");
    let mut all = Vec::new();
    let mut q = CallQuery { limit: Some(size), ..q.clone() };
    loop {
        let page = tx.calls(&q).expect("a page");
        assert!(page.len() as u64 <= size, "{} calls in a page of {size}", page.len());
        all.extend(ids_of(&page));
        match page.last() {
            Some(last) if page.len() as u64 == size => q.after = Some(CallKey::of(&last.call)),
            _ => return all,
        }
    }
}

pub(super) fn calls_are_paged_by_seeking_past_a_call_in_the_listings_order<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    calls_to_page(&mut db.store);
    let all = CallQuery::default();
    let listed = ids_of(&db.store.read().expect("tx").calls(&all).expect("calls"));
    // Start, then source name (aa, brightlink, file, netsapiens, zz), then id.
    assert_eq!(listed, ["c1", "a1", "a2", "b1", "b2", "c2", "a3", "a4", "b3", "c3", "a5"].map(String::from));
    for size in 1..=12 {
        assert_eq!(paged(&mut db.store, &all, size), listed, "pages of {size}");
    }
    // A seek needs no stored call at its key: past (10, file, a1x) come a2 and on; past a start
    // before every call, all of them; past (60, aa, a4), a5; past (60, netsapiens), none.
    let mut tx = db.store.read().expect("tx");
    let past = |start: i64, source: Source, id: &str| CallQuery {
        after: Some(CallKey { start, source, source_call_id: id.into() }),
        ..CallQuery::default()
    };
    assert_eq!(ids_of(&tx.calls(&past(10, Source::file(), "a1x")).expect("calls")), listed[2..]);
    assert_eq!(ids_of(&tx.calls(&past(9, ns(), "zzz")).expect("calls")), listed);
    let aa = tx.sources().expect("sources").into_iter().find(|s| s.name() == "aa").expect("aa");
    assert_eq!(ids_of(&tx.calls(&past(60, aa, "a4")).expect("calls")), ["a5"]);
    assert!(tx.calls(&past(60, ns(), "")).expect("calls").is_empty());
    // A limit alone is the first calls; a limit of none reads nothing.
    let first = CallQuery { limit: Some(3), ..CallQuery::default() };
    assert_eq!(ids_of(&tx.calls(&first).expect("calls")), listed[..3]);
    assert!(tx.calls(&CallQuery { limit: Some(0), ..CallQuery::default() }).expect("calls").is_empty());
}

pub(super) fn every_filter_pages_past_a_call_as_it_lists<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (cs, invoice) = calls_to_page(&mut db.store);
    let (zz, aa) = {
        let mut tx = db.store.read().expect("tx");
        let sources = tx.sources().expect("sources");
        let named = |n: &str| sources.iter().find(|s| s.name() == n).cloned().expect("a source");
        (named("zz"), named("aa"))
    };
    let all = CallQuery::default();
    let queries = [
        ("c1", CallQuery::of_customer(cs[0]), &["a1", "a2", "a3", "a4", "a5"][..]),
        ("c2", CallQuery::of_customer(cs[1]), &["b1", "b2", "b3"]),
        ("span", CallQuery { from: Some(20), to: Some(50), ..all.clone() }, &["b2", "c2", "a3", "a4", "b3"]),
        ("c1 span", CallQuery { from: Some(11), ..CallQuery::of_customer(cs[0]) }, &["a3", "a4", "a5"]),
        ("aa", CallQuery { source: Some(aa.clone()), ..all.clone() }, &["c1", "b2", "a5"]),
        ("zz", CallQuery { source: Some(zz), ..all.clone() }, &["b1", "a3"]),
        ("number", CallQuery { number: Some("3125".into()), ..all.clone() }, &["a1", "b2", "b3"]),
        ("unanswered", CallQuery { unanswered_only: true, ..all.clone() }, &["b1", "a3", "c3"]),
        ("billed", CallQuery { billed_only: true, ..all.clone() }, &["a1", "a4"]),
        (
            "unbilled",
            CallQuery { answered_only: true, unbilled_only: true, ..all.clone() },
            &["c1", "a2", "b2", "c2", "b3", "a5"],
        ),
        ("invoice", CallQuery { invoice: Some(invoice), ..all.clone() }, &["a1", "a4"]),
        ("invoice of c2", CallQuery { invoice: Some(invoice), ..CallQuery::of_customer(cs[1]) }, &[]),
        ("no invoice", CallQuery { invoice: Some(InvoiceId(invoice.0 + 100)), ..all.clone() }, &[]),
        ("c1 aa", CallQuery { source: Some(aa), ..CallQuery::of_customer(cs[0]) }, &["a5"]),
    ];
    for (name, q, want) in queries {
        let listed = ids_of(&db.store.read().expect("tx").calls(&q).expect("calls"));
        assert_eq!(listed, want, "{name}: listed");
        for size in 1..=3 {
            assert_eq!(paged(&mut db.store, &q, size), want, "{name}: pages of {size}");
            // With a scan as wide as the listing, a read is the same.
            let scanned = CallQuery { scan: Some(11), ..q.clone() };
            assert_eq!(paged(&mut db.store, &scanned, size), want, "{name}: pages of {size} within a scan");
        }
    }
}

pub(super) fn a_scan_bounds_what_a_read_examines_and_says_where_it_stopped<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (cs, invoice) = calls_to_page(&mut db.store);
    let mut tx = db.store.read().expect("tx");
    let all = CallQuery::default();
    let key = |start: i64, source: Source, id: &str| CallKey { start, source, source_call_id: id.into() };
    let aa = tx.sources().expect("sources").into_iter().find(|s| s.name() == "aa").expect("aa");
    let zz = tx.sources().expect("sources").into_iter().find(|s| s.name() == "zz").expect("zz");
    // The brightlink call b3 is the 9th of 11: a scan of 4 examines c1, a1, a2, b1 and stops
    // there; the next scan of 4 goes on after b1 to a4; the third finds b3 among the 3 left and
    // reaches the end.
    let q = CallQuery { source: Some(bl()), scan: Some(4), ..all.clone() };
    assert!(tx.calls(&q).expect("calls").is_empty());
    let end = tx.scan_end(&q).expect("the scan's end");
    assert_eq!(end, Some(key(10, zz, "b1")));
    let q = CallQuery { after: end, ..q };
    assert!(tx.calls(&q).expect("calls").is_empty());
    let end = tx.scan_end(&q).expect("the scan's end");
    assert_eq!(end, Some(key(30, Source::file(), "a4")));
    let q = CallQuery { after: end, ..q };
    assert_eq!(ids_of(&tx.calls(&q).expect("calls")), ["b3"]);
    assert_eq!(tx.scan_end(&q).expect("the scan's end"), None);
    // Past c3 one call is left: the next scan reaches the end.
    let q = CallQuery { after: Some(key(50, Source::file(), "c3")), ..q };
    assert!(tx.calls(&q).expect("calls").is_empty());
    assert_eq!(tx.scan_end(&q).expect("the scan's end"), None);
    // A limit stops a read before its scan does.
    let q = CallQuery { unanswered_only: true, scan: Some(10), limit: Some(2), ..all.clone() };
    assert_eq!(ids_of(&tx.calls(&q).expect("calls")), ["b1", "a3"]);
    // Without other filters a scan is a limit.
    let q = CallQuery { scan: Some(2), limit: Some(5), ..all.clone() };
    assert_eq!(ids_of(&tx.calls(&q).expect("calls")), ["c1", "a1"]);
    assert_eq!(tx.scan_end(&q).expect("the scan's end"), Some(key(10, Source::file(), "a1")));
    // A customer's scan counts the customer's calls only, an invoice's its customer's in its days.
    let q = CallQuery { source: Some(aa), scan: Some(4), ..CallQuery::of_customer(cs[0]) };
    assert!(tx.calls(&q).expect("calls").is_empty());
    assert_eq!(tx.scan_end(&q).expect("the scan's end"), Some(key(30, Source::file(), "a4")));
    let q = CallQuery { invoice: Some(invoice), scan: Some(2), ..all.clone() };
    assert_eq!(ids_of(&tx.calls(&q).expect("calls")), ["a1"]);
    assert_eq!(tx.scan_end(&q).expect("the scan's end"), Some(key(10, ns(), "a2")));
    // Without a scan there is no end to tell.
    assert_eq!(tx.scan_end(&all).expect("no scan"), None);
}

pub(super) fn the_pricing_stamp_moves_with_what_prices_calls<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let stamp = |db: &mut Db<S>| db.store.read().expect("tx").stamps().expect("stamps").pricing;
    let c = customer(&mut db.store, "c1");
    let first = stamp(&mut db);
    import(&mut db.store, &[call(c, "x", 1, 60)]);
    assert_eq!(stamp(&mut db), first, "calls do not price calls");
    let rate = Rate {
        id: 0,
        call_type: CallType::parse("domestic").expect("code"),
        prefix: Prefix::parse("1").expect("prefix"),
        local_prefix: Prefix::parse("").expect("no local prefix"),
        owner: Owner::Default,
        window: Window { from: None, to: None },
        price: Price::parse("0.01").expect("price"),
        connection_fee: Price::parse("0").expect("fee"),
        increments: Increments::new(6, 6).expect("increments"),
        description: String::new(),
    };
    let mut tx = db.store.write().expect("tx");
    let id = tx.insert_rates(&[rate]).expect("insert")[0];
    // Within the changing transaction already.
    let added = tx.stamps().expect("stamps").pricing;
    assert_ne!(added, first, "a rate added");
    tx.commit().expect("commit");
    assert_eq!(stamp(&mut db), added);
    let mut tx = db.store.write().expect("tx");
    tx.close_rate(id, 1_000).expect("close");
    tx.commit().expect("commit");
    let closed = stamp(&mut db);
    assert_ne!(closed, added, "a rate closed");
    let npa = |s: &str| rating::NpaNxx::parse(s).expect("NPA-NXX");
    let mut tx = db.store.write().expect("tx");
    tx.replace_local_calling(&[(npa("212555"), npa("212556"))]).expect("local");
    tx.commit().expect("commit");
    assert_ne!(stamp(&mut db), closed, "the local calling table replaced");
    // A rolled-back change leaves it.
    let before = stamp(&mut db);
    let mut tx = db.store.write().expect("tx");
    tx.replace_local_calling(&[]).expect("local");
    drop(tx);
    assert_eq!(stamp(&mut db), before, "a change rolled back");
}

pub(super) fn the_customers_stamp_moves_with_customers_plans_domains_and_sources<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let stamps = |db: &mut Db<S>| db.store.read().expect("tx").stamps().expect("stamps");
    let c = customer(&mut db.store, "c1");
    let first = stamps(&mut db);
    import(&mut db.store, &[call(c, "x", 1, 60)]);
    assert_eq!(stamps(&mut db), first, "calls change neither");
    let mut moved = vec![first.customers];
    let mut change = |db: &mut Db<S>, what: &str, f: &dyn Fn(&mut S::Tx<'_>)| {
        let mut tx = db.store.write().expect("tx");
        f(&mut tx);
        // Within the changing transaction already.
        let within = tx.stamps().expect("stamps").customers;
        tx.commit().expect("commit");
        let now = stamps(db).customers;
        assert_eq!(now, within, "{what}");
        assert!(!moved.contains(&now), "{what}: the customers' stamp stayed {now}");
        moved.push(now);
    };
    change(&mut db, "a customer added", &|tx| {
        tx.save_customer(&Customer::new("c2", "Customer c2")).expect("save");
    });
    change(&mut db, "a plan given", &|tx| {
        tx.save_plan(&Plan { id: "p".into(), allowances: vec![] }).expect("plan");
        let mut c1 = tx.customer("c1").expect("read").expect("c1");
        c1.plans = vec!["p".into()];
        tx.save_customer(&c1).expect("save");
    });
    change(&mut db, "a domain set", &|tx| {
        let mut c1 = tx.customer("c1").expect("read").expect("c1");
        c1.domains = vec![(ns(), "c1.example".into())];
        tx.save_customer(&c1).expect("save");
    });
    change(&mut db, "a source added", &|tx| {
        tx.add_source("zz", Platform::Netsapiens).expect("add");
    });
    // A rolled-back change leaves it.
    let before = stamps(&mut db);
    let mut tx = db.store.write().expect("tx");
    tx.save_customer(&Customer::new("c3", "Customer c3")).expect("save");
    drop(tx);
    assert_eq!(stamps(&mut db), before, "a change rolled back");
}

pub(super) fn a_page_is_read_on_its_own_only_while_the_stamps_are_as_expected<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (cs, invoice) = calls_to_page(&mut db.store);
    // Read in a read transaction first, as a server does before it keeps anything.
    let stamps = db.store.read().expect("tx").stamps().expect("stamps");
    let all = CallQuery::default();
    let aa = db.store.read().expect("tx").sources().expect("sources").into_iter().find(|s| s.name() == "aa");
    let past_a2 = CallKey { start: 10, source: ns(), source_call_id: "a2".into() };
    let queries = [
        CallQuery { limit: Some(4), ..all.clone() },
        CallQuery { limit: Some(2), after: Some(past_a2.clone()), ..all.clone() },
        CallQuery { limit: Some(3), ..CallQuery::of_customer(cs[0]) },
        CallQuery { limit: Some(3), source: aa, ..all.clone() },
        CallQuery { limit: Some(3), scan: Some(5), billed_only: true, ..all.clone() },
        CallQuery { limit: Some(9), invoice: Some(invoice), ..all.clone() },
        CallQuery { from: Some(20), to: Some(50), ..all.clone() },
        // Past the last call: an empty page.
        CallQuery {
            limit: Some(5),
            after: Some(CallKey { start: 60, source: ns(), source_call_id: String::new() }),
            ..all
        },
    ];
    for q in &queries {
        let listed = ids_of(&db.store.read().expect("tx").calls(q).expect("calls"));
        let mut read = Vec::new();
        let alone = db.store.each_call_if(q, stamps, |s| {
            read.push(s.call.source_call_id);
            Ok::<_, store::StoreError>(())
        });
        assert!(alone.expect("a page"), "{q:?}: the stamps are as expected");
        assert_eq!(read, listed, "{q:?}");
    }
    let never =
        |_: store::StoredCall| -> Result<(), store::StoreError> { panic!("no call is read under other stamps") };
    let first = &queries[0];
    let other = store::Stamps { pricing: stamps.pricing + 1, ..stamps };
    assert!(!db.store.each_call_if(first, other, never).expect("a page"), "another pricing stamp");
    customer(&mut db.store, "c4");
    assert!(!db.store.each_call_if(first, stamps, never).expect("a page"), "a customer added since");
    let now = db.store.read().expect("tx").stamps().expect("stamps");
    let mut read = 0;
    let count = |_| {
        read += 1;
        Ok::<_, store::StoreError>(())
    };
    assert!(db.store.each_call_if(first, now, count).expect("a page"));
    assert_eq!(read, 4, "the stamps of now");
}
