//! Builders of the rows of the contract's files, each with the defaults an operator's file would
//! leave empty, so that a test names only what its story is about.

/// A row of rates.csv: a price per minute of one call type, for any number unless a prefix is
/// given, in the default deck unless a customer is.
#[derive(Debug, Clone)]
pub struct RateRow {
    call_type: String,
    rate: String,
    prefix: String,
    increments: (u32, u32),
    customer: String,
}

/// A catch-all rate of the default deck: `call_type` at `rate` a minute, billed per second.
pub fn rate(call_type: &str, rate: &str) -> RateRow {
    RateRow {
        call_type: call_type.into(),
        rate: rate.into(),
        prefix: String::new(),
        increments: (1, 1),
        customer: String::new(),
    }
}

impl RateRow {
    pub const HEADER: &'static str = "call_type,rate,prefix,initial_increment,subsequent_increment,customer";

    /// Only for numbers whose match key starts with `prefix`.
    pub fn prefix(self, prefix: &str) -> RateRow {
        RateRow { prefix: prefix.into(), ..self }
    }

    /// Billed `initial` seconds first, then by `subsequent` seconds.
    pub fn increments(self, initial: u32, subsequent: u32) -> RateRow {
        RateRow { increments: (initial, subsequent), ..self }
    }

    /// The customer's own rate.
    pub fn of(self, customer: &str) -> RateRow {
        RateRow { customer: customer.into(), ..self }
    }

    pub fn csv(&self) -> String {
        let (i, s) = self.increments;
        format!("{},{},{},{i},{s},{}", self.call_type, self.rate, self.prefix, self.customer)
    }
}

/// A calling plan: allowances of included minutes, in drawing order.
#[derive(Debug, Clone)]
pub struct PlanRow {
    id: String,
    allowances: Vec<(String, u64)>,
}

pub fn plan(id: &str) -> PlanRow {
    PlanRow { id: id.into(), allowances: Vec::new() }
}

impl PlanRow {
    pub const HEADER: &'static str = "plan,call_types,included_minutes";

    /// An allowance of `minutes` a period for calls of `call_types`.
    pub fn allows(mut self, call_types: &[&str], minutes: u64) -> PlanRow {
        self.allowances.push((call_types.join("|"), minutes));
        self
    }

    /// One row per allowance.
    pub fn csv(&self) -> Vec<String> {
        self.allowances.iter().map(|(types, minutes)| format!("{},{types},{minutes}", self.id)).collect()
    }
}

/// A customer: in UTC, billed on the 1st, on no plan and no platform unless told.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    id: String,
    timezone: String,
    billing_day: u8,
    plans: Vec<String>,
    netsapiens_domain: String,
}

pub fn customer(id: &str) -> CustomerRow {
    CustomerRow {
        id: id.into(),
        timezone: "UTC".into(),
        billing_day: 1,
        plans: Vec::new(),
        netsapiens_domain: String::new(),
    }
}

impl CustomerRow {
    pub const HEADER: &'static str = "id,name,timezone,billing_day,plans,netsapiens_domain";

    pub fn zone(self, timezone: &str) -> CustomerRow {
        CustomerRow { timezone: timezone.into(), ..self }
    }

    pub fn billed_on(self, billing_day: u8) -> CustomerRow {
        CustomerRow { billing_day, ..self }
    }

    pub fn plans(self, plans: &[&str]) -> CustomerRow {
        CustomerRow { plans: plans.iter().map(|p| (*p).to_owned()).collect(), ..self }
    }

    /// Its domain on the NetSapiens platform.
    pub fn netsapiens(self, domain: &str) -> CustomerRow {
        CustomerRow { netsapiens_domain: domain.into(), ..self }
    }

    pub fn csv(&self) -> String {
        let c = self;
        let name = format!("Customer {}", c.id);
        format!("{},{name},{},{},{},{}", c.id, c.timezone, c.billing_day, c.plans.join("|"), c.netsapiens_domain)
    }
}

/// A call record of cdrs.csv: outbound and classified by the deck's rules unless told.
#[derive(Debug, Clone)]
pub struct CallRow {
    id: String,
    customer: String,
    start: String,
    duration: u32,
    direction: &'static str,
    from: String,
    to: String,
    call_type: String,
}

/// Call `id` of `customer`, started at `start` (RFC 3339), of `duration` seconds, from one of the
/// customer's numbers to `to`.
pub fn call(id: &str, customer: &str, start: &str, duration: u32, to: &str) -> CallRow {
    CallRow {
        id: id.into(),
        customer: customer.into(),
        start: start.into(),
        duration,
        direction: "outbound",
        from: "+13035550100".into(),
        to: to.into(),
        call_type: String::new(),
    }
}

impl CallRow {
    pub const HEADER: &'static str = "id,start,duration,direction,from,to,customer,call_type";

    /// Of this call type, whatever the numbers say.
    pub fn typed(self, call_type: &str) -> CallRow {
        CallRow { call_type: call_type.into(), ..self }
    }

    pub fn csv(&self) -> String {
        let c = self;
        format!(
            "{},{},{},{},{},{},{},{}",
            c.id, c.start, c.duration, c.direction, c.from, c.to, c.customer, c.call_type
        )
    }
}

/// A usage line as an invoice shows it.
pub fn usage(call_type: &str, calls: u64, seconds: (u64, u64, u64), amount: &str) -> billing::doc::LineDoc {
    let (billable_seconds, included_seconds, charged_seconds) = seconds;
    billing::doc::LineDoc {
        kind: "usage".into(),
        call_type: Some(call_type.into()),
        calls: Some(calls),
        billable_seconds: Some(billable_seconds),
        included_seconds: Some(included_seconds),
        charged_seconds: Some(charged_seconds),
        amount: amount.into(),
        ..Default::default()
    }
}

/// A row of subscriptions.csv: quantity 1, open-ended and without plans unless told.
#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    id: String,
    customer: String,
    start: String,
    end: String,
    quantity: String,
    unit_price: String,
    plans: Vec<String>,
}

pub fn subscription(id: &str, customer: &str, start: &str, unit_price: &str) -> SubscriptionRow {
    SubscriptionRow {
        id: id.into(),
        customer: customer.into(),
        start: start.into(),
        end: String::new(),
        quantity: "1".into(),
        unit_price: unit_price.into(),
        plans: Vec::new(),
    }
}

impl SubscriptionRow {
    pub const HEADER: &'static str = "id,customer,start,end,description,quantity,unit_price,plans";

    pub fn until(self, end: &str) -> SubscriptionRow {
        SubscriptionRow { end: end.into(), ..self }
    }

    pub fn quantity(self, quantity: &str) -> SubscriptionRow {
        SubscriptionRow { quantity: quantity.into(), ..self }
    }

    pub fn plans(self, plans: &[&str]) -> SubscriptionRow {
        SubscriptionRow { plans: plans.iter().map(|p| (*p).to_owned()).collect(), ..self }
    }

    pub fn csv(&self) -> String {
        let s = self;
        let plans = s.plans.join("|");
        format!(
            "{},{},{},{},Service {},{},{},{plans}",
            s.id, s.customer, s.start, s.end, s.id, s.quantity, s.unit_price
        )
    }
}

/// A recurring line as an invoice shows it: (subscription, from, to, amount).
pub fn recurring_lines(doc: &billing::doc::InvoiceDoc) -> Vec<(String, String, String, String)> {
    doc.lines
        .iter()
        .filter(|l| l.kind == "recurring")
        .map(|l| {
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            (text(&l.subscription), text(&l.from), text(&l.to), l.amount.clone())
        })
        .collect()
}
