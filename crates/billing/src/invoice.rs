//! Invoices: preview, create, show and delete (contract sections 4 and 5).

use crate::doc::{EventDoc, InvoiceDoc, LineDoc, TypeCount, Warnings};
use crate::error::{BillingError, Result};
use crate::metered::guard::Guard;
use crate::pricing::{bill_call, call_of, explain_unrated, tiers, Pricing};
use crate::time::parse_zone;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rating::calendar::{day_range, epoch_days, from_epoch_days, periods_through};
use rating::{Account, Allowance, AllowanceKey, Allowances, Balances, Calendar, Micros, Outcome, UsageLines};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use store::prelude::*;
use store::{
    BalanceKey, CallQuery, Customer, DeleteOutcome, EventKind, Invoice, InvoiceEvent, InvoiceId, InvoiceKind,
    InvoiceLine, LineKind, NewBilledCall, NewInvoice, Store, StoreTx, Subscription,
};
use tracing::info_span;

/// What to invoice: a customer, whole days `from..=to` in the customer's zone, and call types
/// (`None` = all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRequest {
    pub customer: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub call_types: Option<Vec<String>>,
}

/// The customer's zone, or an error naming the customer.
pub fn zone_of(c: &Customer) -> Result<Tz> {
    parse_zone(&c.timezone).map_err(|_| BillingError::BadZone { customer: c.id.clone(), zone: c.timezone.clone() })
}

/// What billing a range would do.
struct Computation {
    lines: UsageLines,
    /// The late usage of an automatic invoice: per earlier period `(first, last)`, oldest
    /// first, its calls' lines.
    late: Vec<(NaiveDate, NaiveDate, UsageLines)>,
    unrated: BTreeMap<String, u64>,
    already_billed: u64,
    answered: u64,
    /// Answered calls a rate was found for (billed by the range's lines).
    rated: u64,
    /// The calls to bill, when they are to be billed (a preview needs only the totals).
    calls: Option<Vec<NewBilledCall>>,
    draws: Vec<(BalanceKey, u64)>,
}

impl Computation {
    fn warnings(&self) -> Warnings {
        Warnings {
            unrated: self.unrated.iter().map(|(t, n)| TypeCount { call_type: t.clone(), calls: *n }).collect(),
            already_billed: self.already_billed,
        }
    }

    /// Why nothing is billable, in words for the operator.
    fn nothing_reason(&self, req: &InvoiceRequest) -> String {
        let what = match &req.call_types {
            Some(t) => format!(" of type {}", t.join(", ")),
            None => String::new(),
        };
        let head = format!("nothing to bill for {} from {} to {}", req.customer, req.from, req.to);
        if self.answered == 0 {
            return format!("{head}: no answered calls{what} in range");
        }
        let mut parts = Vec::new();
        let unrated: u64 = self.unrated.values().sum();
        if unrated > 0 {
            let types: Vec<String> = self.unrated.iter().map(|(t, n)| format!("{t} ({n})")).collect();
            parts.push(format!("{unrated} unrated: no rate for {}", types.join(", ")));
        }
        if self.already_billed > 0 {
            parts.push(format!("{} already billed", self.already_billed));
        }
        format!("{head}: of {} answered calls{what} in range, {}", self.answered, parts.join("; "))
    }
}

/// The plans that give the customer allowances in the days `first..=last` (contract-cycle §2):
/// customers.csv's plans, then those of every subscription active on one of the days
/// (subscriptions in id order), each plan once.
pub fn plans_in(customer: &Customer, subscriptions: &[Subscription], first: NaiveDate, last: NaiveDate) -> Vec<String> {
    let mut ids = customer.plans.clone();
    for s in subscriptions.iter().filter(|s| s.active_in(first, last)) {
        for p in &s.plans {
            if !ids.contains(p) {
                ids.push(p.clone());
            }
        }
    }
    ids
}

/// The customer's allowances in drawing order, with where each balance is stored, for calls of
/// the billing periods `periods`. Without subscription plans in them, the allowances are those of
/// customers.csv in every period; otherwise each period has its own list (§2).
fn allowances_of<T: StoreTx>(
    tx: &mut T,
    customer: &Customer,
    subscriptions: &[Subscription],
    periods: &[(NaiveDate, NaiveDate)],
) -> Result<(Allowances, Vec<(String, u32)>)> {
    let plans: HashMap<String, store::Plan> = tx.plans()?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut list = Vec::new();
    let mut places = Vec::new();
    let mut add = |ids: &[String], period: Option<i32>| {
        for id in ids {
            let Some(plan) = plans.get(id) else { continue };
            for (pos, a) in plan.allowances.iter().enumerate() {
                let position = pos as u32;
                list.push(Allowance {
                    plan: id.clone(),
                    position,
                    call_types: a.call_types.clone(),
                    seconds: a.included_minutes.saturating_mul(60),
                    period,
                });
                places.push((id.clone(), position));
            }
        }
    };
    let per_period: Vec<(i32, Vec<String>)> = periods
        .iter()
        .map(|&(first, last)| (epoch_days(first), plans_in(customer, subscriptions, first, last)))
        .collect();
    if per_period.iter().all(|(_, ids)| *ids == customer.plans) {
        add(&customer.plans, None);
    } else {
        for (key, ids) in &per_period {
            add(ids, Some(*key));
        }
    }
    let mut allowances = Allowances::new(list);
    for (key, used) in tx.allowance_used(customer.pk)? {
        let Ok(start) = crate::time::parse_date(&key.period_start) else { continue };
        let period = epoch_days(start);
        let found = places.iter().zip(allowances.list()).position(|((p, pos), a)| {
            *p == key.plan && *pos == key.position && a.period.is_none_or(|only| only == period)
        });
        if let Some(i) = found {
            allowances.set_used(AllowanceKey { allowance: i, period }, used);
        }
    }
    Ok((allowances, places))
}

/// Rates the customer's answered calls of the request's days, in the contract's order (the order
/// in which they draw on allowances), as the store reads them: each call is dropped once rated,
/// and only what an invoice stores of it is kept, when `keep_calls`. `late` are the earlier
/// billing periods whose unbilled calls an automatic invoice also bills (late usage), each
/// drawing on its own period's allowances.
fn compute<T: StoreTx>(
    tx: &mut T,
    pricing: &Pricing,
    customer: &Customer,
    req: &InvoiceRequest,
    keep_calls: bool,
    late: &[(NaiveDate, NaiveDate)],
) -> Result<Computation> {
    let tz = zone_of(customer)?;
    let account = Account { tiers: tiers(pricing, customer), call_types: req.call_types.as_deref() };
    let subscriptions = tx.subscriptions(Some(customer.pk))?;
    // Every period a call of the days may fall in (the clocks may put a call of a first or last
    // day in a neighbouring period).
    let earliest = late.iter().map(|p| p.0).chain([req.from]).min().unwrap_or(req.from);
    let periods = periods_through(
        earliest.pred_opt().unwrap_or(earliest),
        req.to.succ_opt().unwrap_or(req.to),
        customer.billing_day,
    );
    let (allowances, places) =
        tracing::debug_span!("allowances").in_scope(|| allowances_of(tx, customer, &subscriptions, &periods))?;
    let mut balances = Balances::new(allowances, Calendar { zone: tz, billing_day: customer.billing_day });
    let mut c = Computation {
        lines: UsageLines::default(),
        late: Vec::new(),
        unrated: BTreeMap::new(),
        already_billed: 0,
        answered: 0,
        rated: 0,
        calls: keep_calls.then(Vec::new),
        draws: Vec::new(),
    };
    // The call types met so far, each shared by every billed call of its type.
    let mut types: Vec<Arc<str>> = Vec::new();
    let mut keep = |calls: &mut Option<Vec<NewBilledCall>>,
                    stored: &store::StoredCall,
                    call_type: &str,
                    priced: &rating::Priced<'_>,
                    charge: rating::Charge| {
        if let Some(calls) = calls {
            let call_type = match types.iter().find(|t| t.as_ref() == call_type) {
                Some(t) => Arc::clone(t),
                None => {
                    let t: Arc<str> = Arc::from(call_type);
                    types.push(Arc::clone(&t));
                    t
                }
            };
            calls.push(NewBilledCall {
                call_pk: stored.pk,
                call_start: stored.call.start,
                call_type,
                rate_id: priced.rate.id,
                billable_seconds: priced.billable,
                included_seconds: priced.included,
                charge,
            });
        }
    };
    let (from, to) = day_range(tz, req.from, req.to);
    let query =
        CallQuery { from: Some(from), to: Some(to), answered_only: true, ..CallQuery::of_customer(customer.pk) };
    let span = tracing::debug_span!("rate_calls", calls = tracing::field::Empty).entered();
    tx.each_call(&query, |stored| {
        if let Some(b) = &stored.billed {
            if account.selects(&b.call_type) {
                c.answered += 1;
                c.already_billed += 1;
            }
            return Ok(());
        }
        let rated = pricing.rate(&account, &call_of(&stored.call), Some(&mut balances));
        let call_type = rated.call_type;
        let priced = match rated.outcome {
            // The query reads answered calls only.
            Outcome::Excluded | Outcome::Unanswered => return Ok(()),
            Outcome::Unrated => {
                c.answered += 1;
                *c.unrated.entry(call_type.to_owned()).or_default() += 1;
                return Ok(());
            }
            Outcome::Priced(p) => p,
        };
        c.answered += 1;
        c.rated += 1;
        let charge = bill_call(&mut c.lines, &stored.call, call_type, &priced)?;
        keep(&mut c.calls, &stored, call_type, &priced, charge);
        Ok::<_, BillingError>(())
    })?;
    span.record("calls", c.answered);
    drop(span);
    // Late calls: every unbilled, rated call of the period, whatever its type.
    let every_type = Account { tiers: tiers(pricing, customer), call_types: None };
    for &(first, last) in late {
        let (from, to) = day_range(tz, first, last);
        let query = CallQuery {
            from: Some(from),
            to: Some(to),
            answered_only: true,
            unbilled_only: true,
            ..CallQuery::of_customer(customer.pk)
        };
        let mut lines = UsageLines::default();
        tx.each_call(&query, |stored| {
            let rated = pricing.rate(&every_type, &call_of(&stored.call), Some(&mut balances));
            if let Outcome::Priced(priced) = rated.outcome {
                let charge = bill_call(&mut lines, &stored.call, rated.call_type, &priced)?;
                keep(&mut c.calls, &stored, rated.call_type, &priced, charge);
            }
            Ok::<_, BillingError>(())
        })?;
        if !lines.is_empty() {
            c.late.push((first, last, lines));
        }
    }
    c.draws = balances
        .draws()
        .into_iter()
        .map(|d| {
            let (plan, position) = places[d.key.allowance].clone();
            let period_start = from_epoch_days(d.key.period).format("%Y-%m-%d").to_string();
            (BalanceKey { plan, position, period_start }, d.seconds)
        })
        .collect();
    Ok(c)
}

fn usage_lines(lines: &UsageLines) -> Vec<InvoiceLine> {
    lines
        .iter()
        .map(|(t, l)| InvoiceLine {
            kind: LineKind::Usage,
            call_type: Some(t.to_owned()),
            description: String::new(),
            calls: l.calls,
            billable_seconds: l.billable_seconds,
            included_seconds: l.included_seconds,
            charged_seconds: l.charged_seconds,
            amount: l.amount(),
            ..InvoiceLine::default()
        })
        .collect()
}

fn line_doc(l: &InvoiceLine) -> LineDoc {
    let usage = l.kind == LineKind::Usage;
    let counts = |n: u64| usage.then_some(n);
    let recurring = l.recurring.as_ref();
    LineDoc {
        kind: l.kind.as_str().to_owned(),
        call_type: l.call_type.clone(),
        subscription: recurring.map(|r| r.subscription.clone()),
        description: l.description.clone(),
        quantity: recurring.map(|r| crate::subscriptions::quantity_text(r.quantity_e4)),
        unit_price: recurring.map(|r| crate::subscriptions::unit_price_text(r.unit_price_e4)),
        late: l.late,
        from: l.days.as_ref().map(|d| d.0.clone()),
        to: l.days.as_ref().map(|d| d.1.clone()),
        calls: counts(l.calls),
        billable_seconds: counts(l.billable_seconds),
        included_seconds: counts(l.included_seconds),
        charged_seconds: counts(l.charged_seconds),
        amount: l.amount.to_string(),
    }
}

/// The usage lines of a computation: the range's, then the late ones by period and call type.
fn all_usage_lines(c: &Computation) -> Vec<InvoiceLine> {
    let mut lines = usage_lines(&c.lines);
    for (first, last, late) in &c.late {
        lines.extend(usage_lines(late).into_iter().map(|l| InvoiceLine {
            late: true,
            days: Some((first.to_string(), last.to_string())),
            ..l
        }));
    }
    lines
}

/// The sum of lines' amounts.
fn total_of(lines: &[InvoiceLine]) -> Result<rating::Amount> {
    lines.iter().try_fold(rating::Amount::ZERO, |t, l| {
        t.checked_add(l.amount).map_err(|overflow| BillingError::Overflow { what: "the invoice".into(), overflow })
    })
}

fn customer_of<T: StoreTx>(tx: &mut T, id: &str) -> Result<Customer> {
    tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.to_owned()))
}

fn check_range(req: &InvoiceRequest) -> Result<()> {
    crate::error::check_range(req.from, req.to)
}

/// What a preview shows.
#[derive(Debug, Clone)]
pub struct Preview {
    pub doc: InvoiceDoc,
    /// Why nothing is billable, when nothing is.
    pub reason: Option<String>,
    /// For each unrated call type (in the order of `doc.unrated`), which tiers were tried.
    pub unrated_notes: Vec<String>,
    /// The answered calls found in the range (of the call types asked): those a rate was found
    /// for, the unrated (`doc.unrated`) and those already billed (`doc.already_billed`).
    pub calls: u64,
    /// The calls of `calls` a rate was found for: what the lines bill.
    pub rated: u64,
}

/// Shows what an invoice for the request would hold, without changing anything.
pub fn preview<S: Store>(store: &mut S, req: &InvoiceRequest) -> Result<Preview> {
    let _span = info_span!("invoice.preview", customer = %req.customer).entered();
    check_range(req)?;
    let mut tx = store.read()?;
    let customer = customer_of(&mut tx, &req.customer)?;
    let pricing = crate::pricing::load(&mut tx)?;
    let c = compute(&mut tx, &pricing, &customer, req, false, &[])?;
    let lines = usage_lines(&c.lines);
    let w = c.warnings();
    let reason = c.lines.is_empty().then(|| c.nothing_reason(req));
    let unrated_notes = w.unrated.iter().map(|u| explain_unrated(&pricing, &customer, &u.call_type)).collect();
    let doc = InvoiceDoc {
        id: None,
        status: None,
        customer: customer.id,
        from: req.from.to_string(),
        to: req.to.to_string(),
        currency: customer.currency,
        call_types: req.call_types.clone(),
        lines: lines.iter().map(line_doc).collect(),
        total: c.lines.total()?.to_string(),
        unrated: w.unrated,
        already_billed: w.already_billed,
        number: None,
        issued: None,
        due: None,
        events: None,
    };
    Ok(Preview { doc, reason, unrated_notes, calls: c.answered, rated: c.rated })
}

/// What only an automatic invoice bills besides the usage of its range (contract-cycle §3).
#[derive(Debug, Clone, Default)]
pub(crate) struct CycleExtras {
    /// The earlier billing periods (at most two, oldest first) whose unbilled calls it bills.
    pub late: Vec<(NaiveDate, NaiveDate)>,
    /// The billing day the invoice is made on: recurring lines are billed through the period
    /// that starts on it.
    pub coming: Option<NaiveDate>,
}

/// Creates an invoice in an open write transaction, at `now` by `by` (its `created` event);
/// `Err(NothingToBill)` when it would have no line.
pub(crate) fn create_in<T: StoreTx>(
    tx: &mut T,
    pricing: &Pricing,
    customer: &Customer,
    req: &InvoiceRequest,
    kind: InvoiceKind,
    (now, by): (Micros, &str),
    extras: &CycleExtras,
) -> Result<InvoiceDoc> {
    let c = compute(tx, pricing, customer, req, true, &extras.late)?;
    let recurring = match extras.coming {
        Some(day) => crate::recurring::lines(tx, customer, day)?,
        None => crate::recurring::Recurring::default(),
    };
    let mut lines = all_usage_lines(&c);
    lines.extend(recurring.lines);
    if lines.is_empty() {
        return Err(BillingError::NothingToBill(c.nothing_reason(req)));
    }
    // Warnings hold only strings and counts: serialising them cannot fail.
    let warnings = serde_json::to_string(&c.warnings()).unwrap_or_default();
    let new = NewInvoice {
        customer_pk: customer.pk,
        from: req.from.to_string(),
        to: req.to.to_string(),
        call_types: req.call_types.clone(),
        kind,
        currency: customer.currency.clone(),
        total: total_of(&lines)?,
        lines,
        warnings,
        created_at: now,
        calls: c.calls.unwrap_or_default(),
        draws: c.draws,
        calls_from: c.late.first().map(|(first, _, _)| first.to_string()),
        days: recurring.days,
    };
    let id = tracing::debug_span!("insert_invoice", calls = new.calls.len()).in_scope(|| tx.insert_invoice(&new))?;
    tx.add_event(id, &InvoiceEvent { at: now, what: EventKind::Created, by: by.to_owned(), detail: None })?;
    let stored = tracing::debug_span!("read_invoice")
        .in_scope(|| tx.invoice(id))?
        .ok_or_else(|| BillingError::UnknownInvoice(id.to_string()))?;
    Ok(doc_of(&stored))
}

/// Creates a draft invoice for the request, in one transaction, unless `guard` finds that its
/// calls may be incomplete; `by` (the operator) is recorded as its creator.
pub fn create<S: Store>(
    store: &mut S,
    req: &InvoiceRequest,
    now: Micros,
    by: &str,
    guard: Guard,
) -> Result<InvoiceDoc> {
    let _span = info_span!("invoice.create", customer = %req.customer).entered();
    check_range(req)?;
    guard.ensure(store, &req.customer, (req.from, req.to), now)?;
    let mut tx = store.write_usage()?;
    let customer =
        tx.customer_for_update(&req.customer)?.ok_or_else(|| BillingError::UnknownCustomer(req.customer.clone()))?;
    let pricing = crate::pricing::load(&mut tx)?;
    let doc = create_in(&mut tx, &pricing, &customer, req, InvoiceKind::Manual, (now, by), &CycleExtras::default())?;
    tracing::debug_span!("commit").in_scope(|| tx.commit())?;
    Ok(doc)
}

/// The document of a stored invoice, with its events.
pub fn doc_of(inv: &Invoice) -> InvoiceDoc {
    let w: Warnings = serde_json::from_str(&inv.warnings).unwrap_or_default();
    InvoiceDoc {
        id: Some(inv.id.to_string()),
        status: Some(inv.status.to_string()),
        customer: inv.customer.clone(),
        from: inv.from.clone(),
        to: inv.to.clone(),
        currency: inv.currency.clone(),
        call_types: inv.call_types.clone(),
        lines: inv.lines.iter().map(line_doc).collect(),
        total: inv.total.to_string(),
        unrated: w.unrated,
        already_billed: w.already_billed,
        number: Some(inv.number.clone()),
        issued: Some(inv.issued.clone()),
        due: Some(inv.due.clone()),
        events: Some(events_of(inv)),
    }
}

/// The events of an invoice as shown.
pub fn events_of(inv: &Invoice) -> Vec<EventDoc> {
    inv.events
        .iter()
        .map(|e| {
            let voided = e.what == EventKind::Voided;
            let line = matches!(e.what, EventKind::LineAdded | EventKind::LineRemoved);
            EventDoc {
                at: crate::time::format_utc(e.at),
                what: e.what.as_str().to_owned(),
                by: e.by.clone(),
                reason: e.detail.clone().filter(|_| voided),
                line: e.detail.clone().filter(|_| line),
            }
        })
        .collect()
}

/// The invoice an operator names: by its number (`INV-000042`, any prefix it was given), else by
/// its id (`D-42`, the number alone, or the id's earlier form `INV-000042`). Numbers come first:
/// an id never looks like a number.
pub(crate) fn resolve<T: StoreTx>(tx: &mut T, text: &str) -> Result<InvoiceId> {
    if let Some(id) = tx.invoice_by_number(text.trim())? {
        return Ok(id);
    }
    text.parse::<InvoiceId>().map_err(|_| BillingError::UnknownInvoice(text.to_owned()))
}

/// A stored invoice, with its events.
pub fn show<S: Store>(store: &mut S, id: &str) -> Result<InvoiceDoc> {
    let mut tx = store.read()?;
    let iid = resolve(&mut tx, id)?;
    let inv = tx.invoice(iid)?.ok_or_else(|| BillingError::UnknownInvoice(id.to_owned()))?;
    Ok(doc_of(&inv))
}

/// Deletes a draft invoice; its calls can be billed again. Returns how many were released.
pub fn delete<S: Store>(store: &mut S, id: &str) -> Result<u64> {
    let _span = info_span!("invoice.delete", invoice = %id).entered();
    let mut tx = store.write_usage()?;
    let iid = resolve(&mut tx, id)?;
    match tx.delete_invoice(iid)? {
        DeleteOutcome::Deleted { calls_released } => {
            tx.commit()?;
            Ok(calls_released)
        }
        DeleteOutcome::NotFound => Err(BillingError::UnknownInvoice(id.to_owned())),
        DeleteOutcome::NotDraft => {
            let status = tx.invoice(iid)?.map(|i| i.status.to_string()).unwrap_or_default();
            Err(BillingError::NotDraft(iid.to_string(), status))
        }
    }
}
