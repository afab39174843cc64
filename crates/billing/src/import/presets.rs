//! Built-in mappings (`--preset`) for the exports of Asterisk, FreeSWITCH, Kazoo and 3CX.

use super::rules::{AnsweredRule, DirectionRule};
use super::spec::{Column, Field, Spec};
use super::timefmt::TimeFormat;

/// A switch whose call export has a built-in mapping (layouts of docs/sources.md section 3).
///
/// Every preset leaves the time zone to `--timezone`, else the customer's zone (times without an
/// offset are *assumed* local), and takes `--customer` for rows that name no customer. `--map`
/// replaces single fields of a preset; `--time-format`, `--answered` and `--direction` its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Asterisk,
    Freeswitch,
    Kazoo,
    ThreeCx,
}

/// What a preset maps and which rules it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub spec: Spec,
    pub time_format: TimeFormat,
    pub answered: AnsweredRule,
    pub direction: DirectionRule,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Asterisk, Preset::Freeswitch, Preset::Kazoo, Preset::ThreeCx];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Asterisk => "asterisk",
            Preset::Freeswitch => "freeswitch",
            Preset::Kazoo => "kazoo",
            Preset::ThreeCx => "3cx",
        }
    }

    /// Whether the export has a header row (else columns are positions).
    pub fn has_header(self) -> bool {
        matches!(self, Preset::Kazoo | Preset::ThreeCx)
    }

    /// The layout for a file whose rows have `width` cells.
    pub fn layout(self, width: usize) -> Layout {
        match self {
            Preset::Asterisk => asterisk(width),
            Preset::Freeswitch => freeswitch(),
            Preset::Kazoo => kazoo(),
            Preset::ThreeCx => three_cx(),
        }
    }
}

fn at(positions: &[usize]) -> Vec<Column> {
    positions.iter().map(|p| Column::Position(*p)).collect()
}

fn named(name: &str) -> Vec<Column> {
    vec![Column::Name(name.to_owned())]
}

/// Asterisk `cdr_csv` `Master.csv`, no header: `accountcode`(1) → customer (empty: `--customer`),
/// `src`(2) → from, `dst`(3) → to, `start`(10), `answer`(11), `end`(12), `duration`(13),
/// `billsec`(14) = talk seconds, `disposition`(15); answered when the disposition is `ANSWERED`;
/// direction from the customer's numbers. Times `YYYY-MM-DD hh:mm:ss`, local (UTC with
/// `usegmtime`: give `--timezone UTC`).
///
/// The id depends on the optional columns, *assumed* to be in Asterisk's order (`uniqueid` with
/// `loguniqueid`, `userfield` with `loguserfield`, then `peeraccount, linkedid, sequence` with
/// `newcdrcolumns`): 16 columns → `channel`(6)+`start`(10)+`dstchannel`(7), which tells apart the
/// legs of one call dialled in parallel; 17 or 18 → `uniqueid`(17); 19 → `linkedid`(18)+
/// `sequence`(19); 20 → `uniqueid`(17)+`sequence`(20); 21 → `uniqueid`(17)+`sequence`(21), since
/// Asterisk 12 and later writes several records with one `uniqueid`. Joined cells are separated
/// by `|`.
fn asterisk(width: usize) -> Layout {
    let id = match width {
        0..=16 => at(&[6, 10, 7]),
        17 | 18 => at(&[17]),
        19 => at(&[18, 19]),
        w => at(&[17, w.min(21)]),
    };
    let spec = Spec::default()
        .with(Field::Id, &id)
        .with(Field::Customer, &at(&[1]))
        .with(Field::From, &at(&[2]))
        .with(Field::To, &at(&[3]))
        .with(Field::Start, &at(&[10]))
        .with(Field::Answer, &at(&[11]))
        .with(Field::End, &at(&[12]))
        .with(Field::Duration, &at(&[13]))
        .with(Field::Billsec, &at(&[14]))
        .with(Field::Disposition, &at(&[15]));
    Layout {
        spec,
        time_format: TimeFormat::Default,
        answered: AnsweredRule::Disposition("ANSWERED".into()),
        direction: DirectionRule::Numbers,
    }
}

/// FreeSWITCH `mod_cdr_csv` with the `example` template, no header: `caller_id_number`(2) → from,
/// `destination_number`(3) → to, `start_stamp`(5), `answer_stamp`(6), `end_stamp`(7),
/// `duration`(8), `billsec`(9) = talk seconds, `hangup_cause`(10) → disposition, `uuid`(11) → id,
/// `accountcode`(13) → customer (empty: `--customer`; *assumed* to hold meter's customer id when
/// set). Answered when `billsec` > 0; direction from the customer's numbers. Times local.
fn freeswitch() -> Layout {
    let spec = Spec::default()
        .with(Field::Id, &at(&[11]))
        .with(Field::Customer, &at(&[13]))
        .with(Field::From, &at(&[2]))
        .with(Field::To, &at(&[3]))
        .with(Field::Start, &at(&[5]))
        .with(Field::Answer, &at(&[6]))
        .with(Field::End, &at(&[7]))
        .with(Field::Duration, &at(&[8]))
        .with(Field::Billsec, &at(&[9]))
        .with(Field::Disposition, &at(&[10]));
    Layout {
        spec,
        time_format: TimeFormat::Default,
        answered: AnsweredRule::Billsec,
        direction: DirectionRule::Numbers,
    }
}

/// Kazoo (2600Hz) CDR CSV, header row: `call_id` → id, `caller_id_number` → from,
/// `callee_id_number` → to, `timestamp` (Gregorian seconds) → start, `duration_seconds`,
/// `billing_seconds` = talk seconds, `direction` (`inbound`/`outbound`). Answered when
/// `billing_seconds` > 0. No customer column: give `--customer`. *Assumed:* `direction` is the
/// customer's view of the call; Kazoo documents it relative to the media switch, so where it
/// reads the other way give `--direction numbers`. For `iso_8601` instead of `timestamp`:
/// `--map start=iso_8601 --time-format default`.
fn kazoo() -> Layout {
    let spec = Spec::default()
        .with(Field::Id, &named("call_id"))
        .with(Field::From, &named("caller_id_number"))
        .with(Field::To, &named("callee_id_number"))
        .with(Field::Start, &named("timestamp"))
        .with(Field::Duration, &named("duration_seconds"))
        .with(Field::Billsec, &named("billing_seconds"))
        .with(Field::Direction, &named("direction"));
    Layout {
        spec,
        time_format: TimeFormat::Gregorian,
        answered: AnsweredRule::Billsec,
        direction: DirectionRule::Column,
    }
}

/// 3CX CDR service file, header row with the admin's choice of fields, of which it reads
/// `historyid` → id, `duration` (h:mm:ss) = talk seconds, `time-start`, `time-answered`,
/// `time-end`, `reason-terminated` → disposition, `from-no` → from, `to-no` → to. Answered when
/// `time-answered` is not empty (*assumed:* 3CX leaves it empty for unanswered calls, and
/// `duration` is the talk time). Direction from the customer's numbers; no customer column:
/// give `--customer`. Times `YYYY/MM/DD hh:mm:ss` or `YYYY-MM-DD hh:mm:ss`, local.
fn three_cx() -> Layout {
    let spec = Spec::default()
        .with(Field::Id, &named("historyid"))
        .with(Field::Duration, &named("duration"))
        .with(Field::Start, &named("time-start"))
        .with(Field::Answer, &named("time-answered"))
        .with(Field::End, &named("time-end"))
        .with(Field::Disposition, &named("reason-terminated"))
        .with(Field::From, &named("from-no"))
        .with(Field::To, &named("to-no"));
    Layout { spec, time_format: TimeFormat::Default, answered: AnsweredRule::Answer, direction: DirectionRule::Numbers }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_presets_have_no_header_and_named_ones_do() {
        for p in Preset::ALL {
            let layout = p.layout(21);
            assert_eq!(layout.spec.has_header(), Ok(Some(p.has_header())), "{}", p.name());
            assert!(layout.spec.get(Field::Id).is_some() && layout.spec.get(Field::To).is_some());
        }
    }

    #[test]
    fn the_asterisk_id_follows_the_optional_columns() {
        let id = |w| Preset::Asterisk.layout(w).spec.get(Field::Id).map(<[Column]>::to_vec);
        assert_eq!(id(16), Some(at(&[6, 10, 7])));
        assert_eq!(id(17), Some(at(&[17])));
        assert_eq!(id(18), Some(at(&[17])));
        assert_eq!(id(19), Some(at(&[18, 19])));
        assert_eq!(id(20), Some(at(&[17, 20])));
        assert_eq!(id(21), Some(at(&[17, 21])));
    }
}
