use super::*;

fn t() -> &'static Territory {
    Territory::bundled()
}

fn before() -> Date {
    date!(2025 - 06 - 30)
}

#[test]
fn counts_before_and_after_the_reform() {
    let t = t();
    assert_eq!(t.list(Level::Province, REFORM_DATE).len(), 34);
    assert_eq!(t.list(Level::Province, before()).len(), 63);
    assert_eq!(t.list(Level::District, before()).len(), 696);
    assert_eq!(t.list(Level::District, REFORM_DATE).len(), 0);
    assert_eq!(t.list(Level::Commune, REFORM_DATE).len(), 3321);
    // vietnamadminunits 1.0.4 holds 10,035 communes before the reform (see data/README.md).
    assert_eq!(t.list(Level::Commune, before()).len(), 10_035);
    let kinds = |k| {
        t.list(Level::Commune, REFORM_DATE)
            .iter()
            .filter(|u| u.kind == k)
            .count()
    };
    assert_eq!(
        (kinds(UnitKind::Xa), kinds(UnitKind::Phuong), kinds(UnitKind::DacKhu)),
        (2621, 687, 13)
    );
    let in_province = |code: &str| {
        t.children_on(
            t.unit_on(code, Some(Level::Province), REFORM_DATE).unwrap(),
            REFORM_DATE,
        )
        .len()
    };
    assert_eq!(in_province("79"), 168);
    assert_eq!(in_province("01"), 126);
    assert_eq!(in_province("12"), 38);
}

#[test]
fn a_code_means_different_units_on_different_dates() {
    let t = t();
    let old = t.unit_on("00004", Some(Level::Commune), before()).unwrap();
    let new = t.unit_on("00004", Some(Level::Commune), REFORM_DATE).unwrap();
    assert_eq!(old.name, "Phường Trúc Bạch");
    assert_eq!(new.name, "Phường Ba Đình");
    assert_eq!(old.parent_code.as_deref(), Some("001"));
    assert_eq!(new.parent_code.as_deref(), Some("01"));
    assert!(t.unit_on("99999", None, REFORM_DATE).is_none());
    // Hưng Yên before absorbed Thái Bình; code 33 then and now are two units.
    let hy_old = t.unit_on("33", Some(Level::Province), before()).unwrap();
    let hy_new = t.unit_on("33", Some(Level::Province), REFORM_DATE).unwrap();
    assert_ne!(hy_old, hy_new);
    let preds: Vec<&str> = t.predecessors(hy_new).iter().map(|(u, _)| u.code.as_str()).collect();
    assert_eq!(preds, vec!["33", "34"]);
    // An unchanged province is one unit throughout.
    let hn = t.unit_on("01", Some(Level::Province), before()).unwrap();
    assert!(hn.valid_from.is_none() && hn.valid_to.is_none());
    assert_eq!(t.units_with_code("01").len(), 1);
}

#[test]
fn rollup_of_an_old_commune_reaches_todays_province() {
    let t = t();
    let path = t.rollup_path("00004", before(), None).unwrap();
    let codes: Vec<(&str, Level)> = path.iter().map(|u| (u.code.as_str(), u.level)).collect();
    assert_eq!(codes[0], ("00004", Level::Commune));
    assert_eq!(*codes.last().unwrap(), ("01", Level::Province));
    assert!(path.last().unwrap().is_current());
    // Every old commune either rolls up or asks for a choice among real successors.
    let mut split = 0;
    for u in t.list(Level::Commune, before()) {
        match t.rollup_path(&u.code, before(), None) {
            Ok(p) => assert!(p.last().unwrap().level == Level::Province && p.last().unwrap().is_current()),
            Err(RollupError::NeedsChoice { options, .. }) => {
                split += 1;
                assert!(options.len() >= 2);
                let p = t.rollup_path(&u.code, before(), Some(&options[1].0)).unwrap();
                assert_eq!(p[1].code, options[1].0);
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!((400..=500).contains(&split), "{split} split communes");
    // A record filed under a current commune rolls up to its province directly.
    let p = t.rollup_path("00004", REFORM_DATE, None).unwrap();
    assert_eq!(p.len(), 2);
}

#[test]
fn rollup_errors_are_clear() {
    let t = t();
    let e = t.rollup_path("12345678", REFORM_DATE, None).unwrap_err();
    assert!(e.to_string().contains("Không có đơn vị hành chính mã"));
    let split = t
        .list(Level::Commune, before())
        .into_iter()
        .find(|u| t.successors(u).len() > 1)
        .unwrap();
    let e = t.rollup_path(&split.code, before(), None).unwrap_err();
    assert!(e.to_string().contains("cần chọn"), "{e}");
    let e = t.rollup_path(&split.code, before(), Some("00004")).unwrap_err();
    assert!(matches!(e, RollupError::InvalidChoice { .. }));
}

#[test]
fn old_districts_end_and_island_districts_become_special_zones() {
    let t = t();
    let d = t.unit_on("001", Some(Level::District), before()).unwrap();
    assert_eq!(d.name, "Quận Ba Đình");
    let h = t.history(d);
    assert!(matches!(h[0], HistoryEvent::Abolished { .. }));
    assert!(h[0].to_string().contains("01/07/2025"));
    let p = t.rollup_path("001", before(), None).unwrap();
    assert_eq!(p.last().unwrap().code, "01");
    let zones: Vec<_> = t
        .list(Level::Commune, REFORM_DATE)
        .into_iter()
        .filter(|u| u.kind == UnitKind::DacKhu && t.predecessors(u).iter().any(|(p, _)| p.level == Level::District))
        .collect();
    assert_eq!(
        zones.len(),
        5,
        "Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo had no communes"
    );
}

#[test]
fn history_reads_in_vietnamese() {
    let t = t();
    let new = t.unit_on("00004", Some(Level::Commune), REFORM_DATE).unwrap();
    let h = t.history(new);
    let s = h[0].to_string();
    assert!(s.starts_with("Thành lập ngày 01/07/2025 trên cơ sở:"), "{s}");
    assert!(s.contains("Phường Trúc Bạch"), "{s}");
    let old = t.unit_on("00004", Some(Level::Commune), before()).unwrap();
    assert!(t.history(old)[0].to_string().contains("Phường Ba Đình"));
}

#[test]
fn search_folds_diacritics_and_tone_placement() {
    let t = t();
    let hits = t.search("dong thanh", Some(Level::Commune), Some(before()), 50);
    assert!(!hits.is_empty());
    assert!(text::fold(&hits[0].name).contains("dong thanh"), "{}", hits[0].name);
    assert!(hits.iter().any(|u| u.short_name() == "Đồng Thanh"));
    assert!(hits
        .iter()
        .all(|u| text::matches_query(&text::fold(&u.name), "dong thanh")));
    // "Hoà" and "Hòa" both find the province published as "Tỉnh Khánh Hòa".
    for q in ["khánh hoà", "Khánh Hòa", "khanh hoa"] {
        let hits = t.search(q, Some(Level::Province), Some(REFORM_DATE), 5);
        assert_eq!(hits.first().map(|u| u.code.as_str()), Some("56"), "{q}");
    }
    assert_eq!(t.search("00004", None, Some(REFORM_DATE), 5)[0].name, "Phường Ba Đình");
    assert!(t.search("", None, None, 5).is_empty());
}

#[test]
fn names_in_sentences() {
    let t = t();
    let hy = t.unit_on("33", Some(Level::Province), REFORM_DATE).unwrap();
    assert_eq!(hy.short_name(), "Hưng Yên");
    assert_eq!(hy.name_in_sentence(), "tỉnh Hưng Yên");
    let hn = t.unit_on("01", Some(Level::Province), REFORM_DATE).unwrap();
    assert_eq!(hn.name_in_sentence(), "thành phố Hà Nội");
    assert_eq!(
        t.province_code_of(t.unit_on("00004", None, before()).unwrap())
            .as_deref(),
        Some("01")
    );
}

#[test]
fn regions_cover_each_province_once() {
    let t = t();
    let mut seen: Vec<&str> = military_regions()
        .iter()
        .flat_map(|r| r.provinces.iter().map(|p| p.code))
        .collect();
    seen.sort();
    let all: Vec<&str> = t
        .list(Level::Province, REFORM_DATE)
        .iter()
        .map(|u| u.code.as_str())
        .collect();
    assert_eq!(seen, all);
    assert_eq!(military_regions().iter().filter(|r| r.is_capital_command()).count(), 1);
    assert_eq!(military_regions().len(), 8);
}

#[test]
fn malformed_data_is_rejected_not_panicked_on() {
    assert!(Territory::from_tsv("U\t01\tprovince\ttinh\n").is_err());
    assert!(Territory::from_tsv("U\t01\tprovince\txa\tX\t\t\t\n").is_err());
    assert!(Territory::from_tsv("U\t01\tprovince\ttinh\tTỉnh A\t\tbad\t\n").is_err());
    assert!(Territory::from_tsv("U\t00001\tcommune\txa\tXã A\t99\t\t\n").is_err());
    assert!(Territory::from_tsv("S\t1\tcommune\t2\tcommune\t2025-07-01\t0\n").is_err());
    let ok = Territory::from_tsv("U\t01\tprovince\ttinh\tTỉnh A\t\t\t\nU\t00001\tcommune\txa\tXã B\t01\t\t\n").unwrap();
    assert_eq!(ok.units().len(), 2);
}

#[test]
fn fingerprint_is_stable() {
    assert_eq!(t().fingerprint(), t().fingerprint());
    assert_eq!(t().fingerprint().len(), 16);
}
