//! The checks a mapping passes before any file is read.

use super::*;

fn options(map: &str) -> MapOptions {
    MapOptions { map: Some(Spec::parse(map).expect("a valid spec")), ..MapOptions::default() }
}

fn refused(o: &MapOptions) -> MappingError {
    o.plan(16).expect_err("a mapping that cannot work")
}

#[test]
fn the_rules_default_to_what_is_mapped() {
    let p = options("id=uuid,start=start,to=dst,customer=acct,billsec=billsec").plan(0).expect("a plan");
    assert!(p.header);
    assert_eq!(
        (p.answered, p.direction, p.time_format),
        (AnsweredRule::Billsec, DirectionRule::Numbers, TimeFormat::Default)
    );
    let times = "id=#1,start=#2,to=#3,answer=#4,end=#5,direction=#6";
    let p = MapOptions { customer: Some("acme".into()), ..options(times) }.plan(0).expect("a plan");
    assert!(!p.header);
    assert_eq!((p.answered, p.direction), (AnsweredRule::Answer, DirectionRule::Column));
}

#[test]
fn options_override_a_presets_rules_and_map_its_fields() {
    let o = MapOptions {
        preset: Some(Preset::Kazoo),
        map: Some(Spec::parse("start=iso_8601").expect("a valid spec")),
        time_format: Some(TimeFormat::Default),
        direction: Some(DirectionRule::Numbers),
        customer: Some("acme".into()),
        ..MapOptions::default()
    };
    let p = o.plan(0).expect("a plan");
    assert_eq!(p.spec.get(Field::Start), Some(&[Column::Name("iso_8601".into())][..]));
    assert_eq!(
        (p.time_format, p.direction, p.answered),
        (TimeFormat::Default, DirectionRule::Numbers, AnsweredRule::Billsec)
    );
    let asterisk = MapOptions { preset: Some(Preset::Asterisk), ..MapOptions::default() }.plan(17).expect("a plan");
    assert_eq!(asterisk.answered, AnsweredRule::Disposition("ANSWERED".into()));
}

#[test]
fn a_mapping_that_cannot_work_is_refused_with_why() {
    use MappingError::*;
    assert_eq!(refused(&MapOptions::default()), NoLayout);
    assert_eq!(refused(&options("start=s,to=t,customer=c,billsec=b")), MissingField { field: Field::Id });
    assert_eq!(refused(&options("id=i,to=t,customer=c,billsec=b")), MissingField { field: Field::Start });
    assert_eq!(refused(&options("id=i,start=s,customer=c,billsec=b")), MissingField { field: Field::To });
    assert_eq!(refused(&options("id=i,start=s,to=t,billsec=b")), NoCustomer);
    assert_eq!(refused(&options("id=i,start=s,to=t,customer=c,answer=a")), NoTalkTime);
    let disposition = MapOptions {
        answered: Some(AnsweredRule::Disposition("ANSWERED".into())),
        ..options("id=i,start=s,to=t,customer=c,billsec=b")
    };
    assert_eq!(refused(&disposition), AnsweredUnmapped { field: Field::Disposition });
    let answer =
        MapOptions { answered: Some(AnsweredRule::Answer), ..options("id=i,start=s,to=t,customer=c,billsec=b") };
    assert_eq!(refused(&answer), AnsweredUnmapped { field: Field::Answer });
    let column =
        MapOptions { direction: Some(DirectionRule::Column), ..options("id=i,start=s,to=t,customer=c,billsec=b") };
    assert_eq!(refused(&column), DirectionUnmapped);
    let mixed = MapOptions { preset: Some(Preset::Asterisk), ..options("customer=accountcode") };
    assert!(matches!(refused(&mixed), Columns(why) if why.contains("mixes header names")));
    let dropped = MapOptions { preset: Some(Preset::Asterisk), ..options("disposition=") };
    assert_eq!(refused(&dropped), AnsweredUnmapped { field: Field::Disposition });
}
