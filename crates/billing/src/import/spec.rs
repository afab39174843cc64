//! The column mapping of a call file in another switch's layout: `--map field=COLUMN,…`.

use std::collections::BTreeMap;
use std::fmt;

/// What a column of a foreign call file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Id,
    Start,
    Answer,
    End,
    Duration,
    Billsec,
    Direction,
    From,
    To,
    Customer,
    Domain,
    CallType,
    Disposition,
}

impl Field {
    pub const ALL: [Field; 13] = [
        Field::Id,
        Field::Start,
        Field::Answer,
        Field::End,
        Field::Duration,
        Field::Billsec,
        Field::Direction,
        Field::From,
        Field::To,
        Field::Customer,
        Field::Domain,
        Field::CallType,
        Field::Disposition,
    ];

    /// The field's name in a SPEC.
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Start => "start",
            Field::Answer => "answer",
            Field::End => "end",
            Field::Duration => "duration",
            Field::Billsec => "billsec",
            Field::Direction => "direction",
            Field::From => "from",
            Field::To => "to",
            Field::Customer => "customer",
            Field::Domain => "domain",
            Field::CallType => "call_type",
            Field::Disposition => "disposition",
        }
    }
}

/// A column of the file: a header name, or a 1-based position in a file without a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Name(String),
    Position(usize),
}

impl Column {
    /// `#N` is a position, anything else a header name.
    fn parse(s: &str) -> Result<Column, String> {
        match s.strip_prefix('#') {
            Some(n) => match n.parse::<usize>() {
                Ok(p) if p >= 1 && n.bytes().all(|b| b.is_ascii_digit()) => Ok(Column::Position(p)),
                _ => Err(format!("`{s}` is not a column position (#1, #2, …)")),
            },
            None => Ok(Column::Name(s.to_owned())),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::Name(n) => f.write_str(n),
            Column::Position(p) => write!(f, "#{p}"),
        }
    }
}

/// Which columns hold which fields. A field maps to one column, except `id`, which may join
/// several (`id=#6+#10`); an empty list leaves the field unmapped (to drop a preset's column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    fields: BTreeMap<Field, Vec<Column>>,
}

impl Spec {
    /// Parses `field=COLUMN,…`: every field known and named once, and COLUMN all header names or
    /// all positions.
    pub fn parse(s: &str) -> Result<Spec, String> {
        let mut spec = Spec::default();
        if s.trim().is_empty() {
            return Err("the mapping is empty: expected field=COLUMN,…".into());
        }
        for pair in s.split(',') {
            let Some((name, column)) = pair.split_once('=') else {
                return Err(format!("`{}` is not field=COLUMN", pair.trim()));
            };
            let name = name.trim();
            let Some(field) = Field::ALL.into_iter().find(|f| f.name() == name) else {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                return Err(format!("unknown field `{name}` (expected: {})", known.join(", ")));
            };
            let column = column.trim();
            let columns = match column {
                "" => Vec::new(),
                c if field == Field::Id => c.split('+').map(|p| Column::parse(p.trim())).collect::<Result<_, _>>()?,
                c => vec![Column::parse(c)?],
            };
            if columns.iter().any(|c| matches!(c, Column::Name(n) if n.is_empty())) {
                return Err(format!("`{}` names an empty column", pair.trim()));
            }
            if spec.fields.insert(field, columns).is_some() {
                return Err(format!("field `{name}` is mapped twice"));
            }
        }
        spec.has_header()?;
        Ok(spec)
    }

    /// Maps `field` to `columns` (a builder for presets).
    pub fn with(mut self, field: Field, columns: &[Column]) -> Spec {
        self.fields.insert(field, columns.to_vec());
        self
    }

    /// This mapping with each field of `overrides` replacing its own.
    pub fn merged(&self, overrides: &Spec) -> Spec {
        let mut out = self.clone();
        out.fields.extend(overrides.fields.iter().map(|(f, c)| (*f, c.clone())));
        out
    }

    /// The columns of `field`; `None` when it is unmapped.
    pub fn get(&self, field: Field) -> Option<&[Column]> {
        self.fields.get(&field).map(Vec::as_slice).filter(|c| !c.is_empty())
    }

    /// Whether the file has a header: `Some(true)` when columns are named, `Some(false)` when
    /// they are positions, `None` when nothing is mapped; mixing the two is an error.
    pub fn has_header(&self) -> Result<Option<bool>, String> {
        let all = || self.fields.values().flatten();
        let named = all().find(|c| matches!(c, Column::Name(_)));
        let placed = all().find(|c| matches!(c, Column::Position(_)));
        match (named, placed) {
            (Some(n), Some(p)) => Err(format!(
                "the mapping mixes header names (`{n}`) and positions (`{p}`): positions are for files without a header"
            )),
            (Some(_), None) => Ok(Some(true)),
            (None, Some(_)) => Ok(Some(false)),
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Column {
        Column::Name(s.into())
    }

    #[test]
    fn names_mean_a_header_and_positions_mean_none() {
        let s = Spec::parse("id=uuid, start = start_stamp,to=dest").expect("a valid spec");
        assert_eq!(s.get(Field::Id), Some(&[name("uuid")][..]));
        assert_eq!(s.get(Field::Start), Some(&[name("start_stamp")][..]));
        assert_eq!(s.get(Field::From), None);
        assert_eq!(s.has_header(), Ok(Some(true)));
        let p = Spec::parse("id=#11,start=#5,to=#3,billsec=#9").expect("a valid spec");
        assert_eq!(p.get(Field::Billsec), Some(&[Column::Position(9)][..]));
        assert_eq!(p.has_header(), Ok(Some(false)));
    }

    #[test]
    fn an_id_may_join_columns_and_an_empty_column_unmaps() {
        let s = Spec::parse("id=#6+#10,customer=").expect("a valid spec");
        assert_eq!(s.get(Field::Id), Some(&[Column::Position(6), Column::Position(10)][..]));
        assert_eq!(s.get(Field::Customer), None);
        let preset =
            Spec::default().with(Field::Customer, &[Column::Position(1)]).with(Field::To, &[Column::Position(3)]);
        let merged = preset.merged(&s);
        assert_eq!(merged.get(Field::Customer), None);
        assert_eq!(merged.get(Field::To), Some(&[Column::Position(3)][..]));
        // `+` joins only ids: elsewhere it is part of a header name.
        assert_eq!(Spec::parse("to=a+b").expect("a valid spec").get(Field::To), Some(&[name("a+b")][..]));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let err = |s: &str| Spec::parse(s).expect_err("an invalid spec");
        assert!(err("colour=#1").contains("unknown field `colour`"), "{}", err("colour=#1"));
        assert!(err("id").contains("`id` is not field=COLUMN"));
        assert!(err("id=a,id=b").contains("field `id` is mapped twice"));
        assert!(err("id=#0").contains("`#0` is not a column position"));
        assert!(err("id=#x").contains("`#x` is not a column position"));
        assert!(err("id=#+1").contains("is not a column position"));
        assert!(err("id=uuid,start=#5").contains("mixes header names (`uuid`) and positions (`#5`)"));
        assert!(err("").contains("empty"));
        assert!(err("id=a,").contains("is not field=COLUMN"));
        assert!(err("id=a+").contains("empty column"));
        assert!(err("Id=a").contains("unknown field"));
    }

    #[test]
    fn a_merge_can_mix_and_is_then_refused() {
        let preset = Spec::parse("id=#17,start=#10").expect("a valid spec");
        let merged = preset.merged(&Spec::parse("customer=accountcode").expect("a valid spec"));
        assert!(merged.has_header().expect_err("an invalid spec").contains("mixes"));
    }
}
