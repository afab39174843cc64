//! Laying out documents already built: an invoice of a few lines as PDF (the target: at least 20
//! a second) and HTML, and one with 10,000 billed calls in its call detail (end to end, with the
//! `meter` binary, in scripts/bench_render.sh).

use billing::doc::LineDoc;
use billing::document::{Appendix, BillTo, CallGroup, CallRow, InvoiceDocument, Paper, Seller, Status};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn usage(call_type: &str, calls: u64, amount: &str) -> LineDoc {
    LineDoc {
        kind: "usage".into(),
        call_type: Some(call_type.into()),
        calls: Some(calls),
        billable_seconds: Some(calls * 95),
        included_seconds: Some(calls * 10),
        charged_seconds: Some(calls * 85),
        amount: amount.into(),
        ..LineDoc::default()
    }
}

/// A final invoice of a reseller's usual shape: three usage lines, a recurring and a manual one;
/// with `calls` billed calls in its call detail when given.
fn document(calls: Option<usize>) -> InvoiceDocument {
    let appendix = calls.map(|n| {
        let rows = (0..n)
            .map(|i| CallRow {
                id: format!("call-{i:06}"),
                source: "netsapiens".into(),
                date: format!("2026-11-{:02}", 1 + i % 30),
                time: format!("{:02}:{:02}:{:02}", i % 24, i % 60, (i * 7) % 60),
                offset: "-05:00".into(),
                from: "12025550199".into(),
                to: format!("1212555{:04}", i % 10_000),
                call_type: "domestic".into(),
                duration: 30 + (i % 600) as u32,
                billable_seconds: 60 + (i % 600) as u64,
                included_seconds: 0,
                rate: Some("0.0100".into()),
                connection_fee: Some("0.0000".into()),
                charge: format!("0.{:04}", 100 + i % 9000),
            })
            .collect();
        Appendix {
            groups: vec![CallGroup {
                line: Some(0),
                call_type: "domestic".into(),
                late: None,
                calls: rows,
                billable_seconds: 0,
                included_seconds: 0,
                charges: "0.0000".into(),
                subtotal: "0.00".into(),
            }],
            calls: n as u64,
        }
    });
    InvoiceDocument {
        id: "D-42".into(),
        status: Status::Final,
        number: Some("INV-000042".into()),
        issued: Some("2026-12-01".into()),
        due: Some("2026-12-31".into()),
        void_reason: None,
        from: "2026-11-01".into(),
        to: "2026-11-30".into(),
        currency: "USD".into(),
        zone: "America/New_York".into(),
        seller: Seller {
            name: Some("Northwind Voice LLC".into()),
            address: vec!["100 Main Street, Suite 400".into(), "Springfield, IL 62701".into()],
            tax_id: Some("US-12-3456789".into()),
            footer: vec!["Thank you for your business.".into()],
            logo: None,
        },
        customer: BillTo { id: "acme".into(), name: "Acme Dental Group".into(), email: Some("ap@acme.example".into()) },
        lines: vec![
            usage("domestic", 9_214, "1234.56"),
            usage("international", 120, "310.20"),
            usage("toll_free", 800, "41.07"),
            LineDoc {
                kind: "recurring".into(),
                subscription: Some("seats".into()),
                description: "Hosted seat".into(),
                quantity: Some("25".into()),
                unit_price: Some("19.0000".into()),
                from: Some("2026-12-01".into()),
                to: Some("2026-12-31".into()),
                amount: "475.00".into(),
                ..LineDoc::default()
            },
            LineDoc {
                kind: "manual".into(),
                description: "Outage credit".into(),
                amount: "-25.00".into(),
                ..LineDoc::default()
            },
        ],
        total: "2035.83".into(),
        paper: Paper::A4,
        appendix,
    }
}

fn bench(c: &mut Criterion) {
    let small = document(None);
    c.bench_function("pdf/invoice", |b| b.iter(|| render::pdf(black_box(&small), Paper::A4).map(|p| p.len())));
    c.bench_function("html/invoice", |b| b.iter(|| render::html(black_box(&small), Paper::A4).len()));
    let big = document(Some(10_000));
    let mut group = c.benchmark_group("appendix_10000_calls");
    group.sample_size(10);
    group.bench_function("pdf", |b| b.iter(|| render::pdf(black_box(&big), Paper::A4).map(|p| p.len())));
    group.bench_function("csv", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(2_000_000);
            render::csv(black_box(&big), &mut out).map(|()| out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
