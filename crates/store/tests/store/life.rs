//! The invoice's life through the store (migration 0013): drafts numbered as they are finalized,
//! a final invoice that no operation and no SQL behind the store's back can change, voiding that
//! releases calls, days and draws, manual lines, events, the listing and the settings.

use super::*;
use store::{EventKind, Finalization, InvoiceEvent, InvoiceId, InvoiceQuery, InvoiceStatus, Setting};

/// Finalizes `id` with `prefix`, issued on 2026-02-01, due 30 days later.
fn finalize<S: Store>(store: &mut S, id: InvoiceId, prefix: &str) -> store::Result<String> {
    let mut tx = store.write_usage().expect("tx");
    let f = Finalization { prefix: prefix.into(), issued: date("2026-02-01"), due: date("2026-03-03"), at: 7 };
    let number = tx.finalize_invoice(id, &f)?;
    tx.commit().expect("commit");
    Ok(number)
}

/// Makes the invoice's calls draw `included` seconds each from the allowance `key`, and its
/// line and draws say so.
fn drawing(inv: &mut NewInvoice, key: &BalanceKey, included: &[u64]) {
    for (c, seconds) in inv.calls.iter_mut().zip(included) {
        c.included_seconds = *seconds;
    }
    let total: u64 = included.iter().sum();
    inv.lines[0].included_seconds = total;
    inv.lines[0].charged_seconds = inv.lines[0].billable_seconds - total;
    inv.draws = vec![(key.clone(), total)];
}

/// Three drafts billing one call each, the first drawing 40 s of an allowance; their ids.
fn three_drafts<S: Store>(store: &mut S) -> (i64, Vec<InvoiceId>, BalanceKey) {
    let c = customer(store, "c1");
    import(store, &[call(c, "a", 1, 60), call(c, "b", 2, 60), call(c, "c", 3, 60)]);
    let calls: Vec<(i64, i64)> = unbilled(store, c).iter().map(|s| (s.pk, s.call.start)).collect();
    let key = BalanceKey { plan: "biz".into(), position: 0, period_start: "1970-01-01".into() };
    let mut tx = store.write_usage().expect("tx");
    let ids = (0..3)
        .map(|i| {
            let mut inv = invoice_for(c, &calls[i..=i], vec![]);
            // One call of 0.6150: a line of 0.62.
            (inv.lines[0].amount, inv.total) = (Amount::from_units(62), Amount::from_units(62));
            if i == 0 {
                drawing(&mut inv, &key, &[40]);
            }
            tx.insert_invoice(&inv).expect("draft")
        })
        .collect();
    tx.commit().expect("commit");
    (c, ids, key)
}

pub(super) fn drafts_are_numbered_in_the_order_they_are_finalized<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (_, ids, _) = three_drafts(&mut db.store);
    assert_eq!(finalize(&mut db.store, ids[1], "INV-").expect("the first finalized"), "INV-000001");
    // The prefix of the time; the one sequence goes on.
    assert_eq!(finalize(&mut db.store, ids[0], "ACME/").expect("the second"), "ACME/000002");
    let again = finalize(&mut db.store, ids[1], "INV-");
    assert!(matches!(again, Err(StoreError::Refused(ref why)) if why.contains("is final")), "{again:?}");
    // A finalization rolled back gives its number back: the next one takes it.
    let mut tx = db.store.write_usage().expect("tx");
    let f = Finalization { prefix: "INV-".into(), issued: date("2026-02-01"), due: date("2026-03-03"), at: 7 };
    assert_eq!(tx.finalize_invoice(ids[2], &f).expect("taken"), "INV-000003");
    drop(tx);
    assert_eq!(finalize(&mut db.store, ids[2], "INV-").expect("taken again"), "INV-000003");

    let mut tx = db.store.read().expect("tx");
    let inv = tx.invoice(ids[1]).expect("read").expect("stored");
    assert_eq!(inv.status, InvoiceStatus::Final);
    assert_eq!(
        (inv.number.as_deref(), inv.issued.as_deref(), inv.due.as_deref()),
        (Some("INV-000001"), Some("2026-02-01"), Some("2026-03-03"))
    );
    assert_eq!(tx.invoice_by_number("ACME/000002").expect("by number"), Some(ids[0]));
    assert_eq!(tx.invoice_by_number("INV-000002").expect("by number"), None);
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());
}

pub(super) fn a_final_invoice_refuses_every_change_through_the_store<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (c, ids, key) = three_drafts(&mut db.store);
    finalize(&mut db.store, ids[0], "INV-").expect("final");
    let before = db.store.read().expect("tx").invoice(ids[0]).expect("read");

    let mut tx = db.store.write_usage().expect("tx");
    let refused = [
        ("add a line", tx.add_manual_line(ids[0], "Credit", Amount::from_units(-500), Amount::from_units(-438)).err()),
        ("remove a line", tx.remove_line(ids[0], 1, Amount::ZERO).err()),
        (
            "finalize again",
            tx.finalize_invoice(
                ids[0],
                &Finalization { prefix: "INV-".into(), issued: date("2026-02-01"), due: date("2026-02-01"), at: 8 },
            )
            .err(),
        ),
        ("void a draft", tx.void_invoice(ids[1], 9, "wrong").err()),
        (
            "add a line to nothing",
            tx.add_manual_line(InvoiceId(99), "x", Amount::from_units(1), Amount::from_units(1)).err(),
        ),
    ];
    drop(tx);
    for (what, error) in refused {
        assert!(matches!(error, Some(StoreError::Refused(_))), "{what}: {error:?}");
    }
    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.delete_invoice(ids[0]).expect("delete"), DeleteOutcome::NotDraft);
    drop(tx);
    // Its call stays billed: a new invoice cannot take it.
    let billed = db.store.read().expect("tx").invoice(ids[0]).expect("read").expect("kept");
    let call_a = tx_calls(&mut db.store, c)[0];
    let mut tx = db.store.write_usage().expect("tx");
    assert!(tx.insert_invoice(&invoice_for(c, &[call_a], vec![])).is_err(), "a final invoice's call billed twice");
    drop(tx);
    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.invoice(ids[0]).expect("read"), before);
    assert_eq!(Some(billed), before);
    assert_eq!(tx.allowance_used(c).expect("used"), vec![(key, 40)]);
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());
}

/// Every call of the customer, billed or not: (number, start).
fn tx_calls<S: Store>(store: &mut S, c: i64) -> Vec<(i64, i64)> {
    let mut tx = store.read().expect("tx");
    tx.calls(&CallQuery::of_customer(c)).expect("calls").iter().map(|s| (s.pk, s.call.start)).collect()
}

/// Runs one statement behind the store's back, in a transaction of its own: `Err` with the
/// database's words when it refuses.
fn raw(backend: Backend, url: &str, sql: &str) -> Result<u64, String> {
    match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(url.trim_start_matches("sqlite://")).expect("open");
            conn.pragma_update(None, "foreign_keys", "ON").expect("foreign keys");
            conn.execute(sql, []).map(|n| n as u64).map_err(|e| e.to_string())
        }
        Backend::Postgres => {
            let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
            client
                .execute(sql, &[])
                .map_err(|e| e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned()))
        }
    }
}

pub(super) fn sql_behind_the_stores_back_cannot_change_a_final_or_void_invoice<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (c, ids, _) = three_drafts(&mut db.store);
    // A final invoice with subscription days too, and a void one.
    let s = save_subscription(&mut db.store, &subscription(c, "seat"));
    let mut tx = db.store.write_usage().expect("tx");
    let days =
        tx.insert_invoice(&recurring_invoice(c, s, ("2026-01-01", "2026-01-31"), &["2026-02-01"])).expect("days");
    tx.commit().expect("commit");
    for id in [ids[0], days, ids[1]] {
        finalize(&mut db.store, id, "INV-").expect("final");
    }
    let mut tx = db.store.write_usage().expect("tx");
    tx.add_event(ids[0], &InvoiceEvent { at: 1, what: EventKind::Finalized, by: "t".into(), detail: None })
        .expect("event");
    tx.void_invoice(ids[1], 5, "wrong").expect("void");
    tx.commit().expect("commit");
    let read = |store: &mut S| {
        let mut tx = store.read().expect("tx");
        [ids[0], days, ids[1]].map(|id| tx.invoice(id).expect("read"))
    };
    let before = read(&mut db.store);
    let time = if backend == Backend::Sqlite { "1" } else { "now()" };
    let (f, d, v) = (ids[0].0, days.0, ids[1].0);
    let statements = [
        format!("UPDATE invoices SET total_e2 = total_e2 + 1 WHERE pk = {f}"),
        format!("UPDATE invoices SET number = 'INV-999999' WHERE pk = {f}"),
        format!("UPDATE invoices SET status = 'draft', number = NULL, number_seq = NULL, issued = NULL, due = NULL, finalized_at = NULL WHERE pk = {f}"),
        format!("UPDATE invoices SET status = 'void', voided_at = {time}, void_reason = 'x', total_e2 = 0 WHERE pk = {f}"),
        format!("UPDATE invoices SET status = 'void' WHERE pk = {f}"),
        format!("DELETE FROM invoices WHERE pk = {f}"),
        format!("UPDATE invoice_lines SET amount_e2 = 1 WHERE invoice_pk = {f}"),
        format!("DELETE FROM invoice_lines WHERE invoice_pk = {f}"),
        format!("INSERT INTO invoice_lines (invoice_pk, position, kind, amount_e2) VALUES ({f}, 99, 'manual', 100)"),
        format!("UPDATE billed_calls SET charge_e4 = 0 WHERE invoice_pk = {f}"),
        format!("DELETE FROM billed_calls WHERE invoice_pk = {f}"),
        format!("UPDATE invoice_draws SET seconds = 1 WHERE invoice_pk = {f}"),
        format!("DELETE FROM invoice_draws WHERE invoice_pk = {f}"),
        format!("INSERT INTO invoice_draws (invoice_pk, plan_id, position, period_start, seconds) VALUES ({f}, 'other', 0, '2026-01-01', 5)"),
        format!("UPDATE billed_days SET day = '2026-02-09' WHERE invoice_pk = {d}"),
        format!("DELETE FROM billed_days WHERE invoice_pk = {d}"),
        format!("UPDATE invoice_events SET actor = 'someone else' WHERE invoice_pk = {f}"),
        format!("DELETE FROM invoice_events WHERE invoice_pk = {f}"),
        // A draft is not voided, and a void invoice never changes again.
        format!("UPDATE invoices SET status = 'void', voided_at = {time}, void_reason = 'x' WHERE pk = {}", ids[2].0),
        format!("UPDATE invoices SET void_reason = 'another reason' WHERE pk = {v}"),
        format!("UPDATE invoices SET status = 'final', voided_at = NULL, void_reason = NULL WHERE pk = {v}"),
        format!("DELETE FROM invoices WHERE pk = {v}"),
        format!("DELETE FROM invoice_lines WHERE invoice_pk = {v}"),
        format!("INSERT INTO invoice_lines (invoice_pk, position, kind, amount_e2) VALUES ({v}, 99, 'manual', 100)"),
    ];
    for sql in &statements {
        match raw(backend, &db.url, sql) {
            Err(_) => {}
            Ok(rows) => panic!("the database took `{sql}` ({rows} rows)"),
        }
    }
    assert_eq!(read(&mut db.store), before, "nothing changed");
    // What the store refuses it says why, naming the rule.
    let why = raw(backend, &db.url, &format!("DELETE FROM invoices WHERE pk = {f}")).expect_err("refused");
    assert!(why.contains("invoices_final"), "{why}");
    // A draft's rows still change freely.
    let draft = ids[2].0;
    assert_eq!(
        raw(backend, &db.url, &format!("UPDATE invoice_lines SET description = 'x' WHERE invoice_pk = {draft}")),
        Ok(1)
    );
    assert_eq!(db.store.read().expect("tx").check().expect("check"), Vec::<String>::new());
}

pub(super) fn voiding_releases_calls_days_and_draws_and_keeps_the_document<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let s = save_subscription(&mut db.store, &subscription(c, "seat"));
    // 2026-01-10 12:00 UTC and an hour later: calls of January, on January's automatic invoice.
    let noon = 1_768_046_400_000_000;
    import(&mut db.store, &[call(c, "a", noon, 60), call(c, "b", noon + 3_600_000_000, 60)]);
    let calls: Vec<(i64, i64)> = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect();
    let key = BalanceKey { plan: "biz".into(), position: 0, period_start: "2026-01-01".into() };
    let automatic = |days: &[&str]| {
        let mut inv = NewInvoice {
            from: "2026-01-01".into(),
            to: "2026-01-31".into(),
            kind: InvoiceKind::Cycle,
            days: days.iter().map(|d| store::BilledDay { subscription_pk: s, day: date(d) }).collect(),
            ..invoice_for(c, &calls, vec![])
        };
        drawing(&mut inv, &key, &[60, 30]);
        inv
    };
    let mut tx = db.store.write_usage().expect("tx");
    let id = tx.insert_invoice(&automatic(&["2026-02-01", "2026-02-02"])).expect("january");
    tx.commit().expect("commit");
    let number = finalize(&mut db.store, id, "INV-").expect("final");
    let before = db.store.read().expect("tx").invoice(id).expect("read").expect("stored");

    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.void_invoice(id, 42, "wrong rate").expect("void"), 2, "both calls released");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    let after = tx.invoice(id).expect("read").expect("kept");
    assert_eq!(after.status, InvoiceStatus::Void);
    assert_eq!(after.void_reason.as_deref(), Some("wrong rate"));
    assert_eq!(
        (after.number.as_deref(), &after.lines, after.total),
        (Some(number.as_str()), &before.lines, before.total)
    );
    assert_eq!(tx.allowance_used(c).expect("used"), vec![(key.clone(), 0)], "the draw given back");
    assert_eq!(tx.billed_days(s).expect("days"), vec![], "the days released");
    assert_eq!(tx.invoices_for_range(c, "2026-01-01", "2026-01-31").expect("range"), vec![], "no live invoice");
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());
    drop(tx);
    assert_eq!(unbilled(&mut db.store, c).len(), 2, "the calls released");

    let mut tx = db.store.write_usage().expect("tx");
    assert!(matches!(tx.void_invoice(id, 43, "again"), Err(StoreError::Refused(_))));
    assert_eq!(tx.delete_invoice(id).expect("delete"), DeleteOutcome::NotDraft);
    // The period is invoiced anew: calls, days and the allowance, once more.
    let again = tx.insert_invoice(&automatic(&["2026-02-01", "2026-02-02"])).expect("the corrected invoice");
    tx.commit().expect("commit");
    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.invoices_for_range(c, "2026-01-01", "2026-01-31").expect("range"), vec![again]);
    assert_eq!(tx.allowance_used(c).expect("used"), vec![(key, 90)]);
    assert_eq!(tx.billed_days(s).expect("days").len(), 2);
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());
}

pub(super) fn drafts_take_manual_lines_and_invoices_are_listed<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (c, ids, _) = three_drafts(&mut db.store);
    let other = customer(&mut db.store, "c2");
    let mut tx = db.store.write_usage().expect("tx");
    let usage = Amount::from_units(62);
    tx.add_manual_line(ids[2], "Setup fee", Amount::from_units(2_500), Amount::from_units(2_562)).expect("fee");
    tx.add_manual_line(ids[2], "Credit", Amount::from_units(-500), Amount::from_units(2_062)).expect("credit");
    assert!(matches!(tx.remove_line(ids[2], 1, usage), Err(StoreError::Refused(ref w)) if w.contains("usage line")));
    assert!(matches!(tx.remove_line(ids[2], 4, usage), Err(StoreError::Refused(ref w)) if w.contains("no line 4")));
    assert!(matches!(tx.remove_line(ids[2], 0, usage), Err(StoreError::Refused(_))));
    tx.remove_line(ids[2], 2, Amount::from_units(-438)).expect("the fee removed");
    for (i, what) in [EventKind::Created, EventKind::LineAdded].into_iter().enumerate() {
        let e = InvoiceEvent { at: i as i64, what, by: "alice".into(), detail: Some(format!("#{i}")) };
        tx.add_event(ids[2], &e).expect("event");
    }
    tx.commit().expect("commit");
    finalize(&mut db.store, ids[0], "INV-").expect("final");

    let mut tx = db.store.read().expect("tx");
    let inv = tx.invoice(ids[2]).expect("read").expect("stored");
    let lines: Vec<(LineKind, &str, i64)> =
        inv.lines.iter().map(|l| (l.kind, l.description.as_str(), l.amount.units())).collect();
    assert_eq!(lines, [(LineKind::Usage, "", 62), (LineKind::Manual, "Credit", -500)]);
    assert_eq!(inv.total, Amount::from_units(-438));
    let events: Vec<(EventKind, &str, Option<&str>)> =
        inv.events.iter().map(|e| (e.what, e.by.as_str(), e.detail.as_deref())).collect();
    assert_eq!(events, [(EventKind::Created, "alice", Some("#0")), (EventKind::LineAdded, "alice", Some("#1"))]);
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());

    let listed = |tx: &mut S::Tx<'_>, q: InvoiceQuery| -> Vec<InvoiceId> {
        tx.invoices(&q).expect("list").iter().map(|i| i.id).collect()
    };
    assert_eq!(listed(&mut tx, InvoiceQuery::default()), [ids[2], ids[1], ids[0]], "newest first");
    let finals = InvoiceQuery { status: Some(InvoiceStatus::Final), ..InvoiceQuery::default() };
    assert_eq!(listed(&mut tx, finals), [ids[0]]);
    let theirs = InvoiceQuery { customer_pk: Some(other), ..InvoiceQuery::default() };
    assert_eq!(listed(&mut tx, theirs), []);
    // The drafts bill 1970-01-01: days that overlap it keep them.
    let days = |first: &str, last: &str| InvoiceQuery {
        overlapping: Some((date(first), date(last))),
        ..InvoiceQuery::default()
    };
    assert_eq!(listed(&mut tx, days("1969-12-31", "1970-01-01")).len(), 3);
    assert_eq!(listed(&mut tx, days("1970-01-02", "1970-02-01")), []);
    let summary = &tx.invoices(&InvoiceQuery { customer_pk: Some(c), ..InvoiceQuery::default() }).expect("list")[2];
    assert_eq!(
        (summary.number.as_deref(), summary.status, summary.issued.as_deref(), summary.due.as_deref()),
        (Some("INV-000001"), InvoiceStatus::Final, Some("2026-02-01"), Some("2026-03-03"))
    );
}

pub(super) fn settings_round_trip_with_their_bytes<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let logo =
        Setting { name: "logo_file".into(), value: "logo.png".into(), data: Some(vec![0x89, 0, 255]), updated_at: 5 };
    let prefix = Setting { name: "invoice_prefix".into(), value: "ACME-".into(), data: None, updated_at: 6 };
    let mut tx = db.store.write().expect("tx");
    tx.save_setting(&logo).expect("logo");
    tx.save_setting(&prefix).expect("prefix");
    tx.save_setting(&Setting { value: "INV/".into(), ..prefix.clone() }).expect("replaced");
    tx.commit().expect("commit");
    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.settings().expect("settings"), vec![Setting { value: "INV/".into(), ..prefix }, logo.clone()]);
    assert_eq!(tx.setting("logo_file").expect("logo"), Some(logo));
    drop(tx);
    let mut tx = db.store.write().expect("tx");
    tx.remove_setting("logo_file").expect("removed");
    tx.commit().expect("commit");
    assert_eq!(db.store.read().expect("tx").setting("logo_file").expect("logo"), None);
}
