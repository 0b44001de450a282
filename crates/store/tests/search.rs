//! The registry search through the name-word index, on both backends (SQLite by default;
//! PostgreSQL when `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set): the same records, in the
//! same order, as the rule the search has always had, computed here in memory over every record
//! of the scope; counts exact when the index gives the candidates and bounded (said as such)
//! when every word of the query is common.

use phongthu_domain::nvqs::Sex;
use phongthu_domain::text;
use phongthu_store::testing::TestDb;
use phongthu_store::{
    Actor, Citizen, CitizenFilter, ImportMode, ImportOptions, NewCitizen, Paging, SourceRow, Store,
    CITIZEN_CANDIDATE_CAP, CITIZEN_COLUMNS, CITIZEN_COUNT_CAP,
};
use time::macros::date;

use phongthu_store::testing::demo_actor as actor;

const FAMILY: [&str; 8] = ["Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"];
const MIDDLE: [&str; 7] = ["Văn", "Thị", "Văn Minh", "Ngọc", "Đức", "", "Thị Thu"];
const GIVEN: [&str; 12] = [
    "Đức", "Anh", "Hùng", "Lan", "Tuấn", "Hoa", "Dũng", "Nguyên", "Khánh", "Thu", "H'Hen", "A-Sáng",
];

/// The name of record `i`: every family name, middle and given name in turn, "Nguyễn" most
/// common, so that "nguyen" alone has more than CANDIDATE_CAP candidates.
fn name(i: usize) -> String {
    let f = if i % 10 < 9 {
        "Nguyễn"
    } else {
        FAMILY[i % FAMILY.len()]
    };
    let m = MIDDLE[(i / 3) % MIDDLE.len()];
    let g = GIVEN[(i / 7) % GIVEN.len()];
    [f, m, g]
        .iter()
        .filter(|w| !w.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The birth year and sex of record `i` (its ID number must agree with them).
fn year_sex(i: usize) -> (i32, Sex) {
    let female = MIDDLE[(i / 3) % MIDDLE.len()].starts_with("Thị");
    (1990 + (i % 20) as i32, if female { Sex::Female } else { Sex::Male })
}

/// A well-formed national ID (Hưng Yên birth registration) for record `i`.
fn national_id(i: usize) -> String {
    let (year, sex) = year_sex(i);
    let g = (year - 1900) / 100 * 2 + if sex == Sex::Female { 1 } else { 0 };
    format!("033{g}{:02}{:06}", year % 100, 100_000 + i)
}

/// The search rule as it was written in SQL before the index, in memory: every word of the
/// folded query starts a word of the folded name, or a query of digits starts the national ID
/// or the old ID number.
fn old_rule(c: &Citizen, q: &str) -> bool {
    let q = q.trim();
    if q.is_empty() {
        return true;
    }
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        let starts = |v: &Option<String>| v.as_deref().is_some_and(|v| v.starts_with(&digits));
        return starts(&c.national_id) || starts(&c.legacy_id);
    }
    let name = format!(" {}", text::fold(&c.full_name));
    text::fold(q)
        .split(' ')
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect::<String>())
        .filter(|w| !w.is_empty())
        .all(|w| name.contains(&format!(" {w}")))
}

async fn every_record(store: &Store, a: &Actor, f: &CitizenFilter) -> Vec<Citizen> {
    let mut all = vec![];
    let no_query = CitizenFilter {
        query: None,
        ..f.clone()
    };
    store
        .scoped(a)
        .for_each_citizen(&no_query, 1000, |c| {
            all.push(c.clone());
            Ok(())
        })
        .await
        .unwrap();
    all
}

#[tokio::test]
async fn search_keeps_the_records_and_order_of_the_old_rule() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let province = actor(&db.store, "quantri").await;
    let commune = actor(&db.store, "chihuy").await;
    let n = CITIZEN_CANDIDATE_CAP as usize + 4000;
    let headers: Vec<String> = CITIZEN_COLUMNS.iter().map(|c| c.header.to_string()).collect();
    let col = |h: &str| headers.iter().position(|x| x == h).unwrap();
    // Two communes: most records in the first, a few hundred in the second.
    for (unit, range) in [
        (demo.commune_command_ids[0], 0..n - 400),
        (demo.commune_command_ids[1], n - 400..n),
    ] {
        let rows: Vec<Result<SourceRow, String>> = range
            .map(|i| {
                let mut cells = vec![String::new(); headers.len()];
                cells[col("Họ và tên")] = name(i);
                let (year, sex) = year_sex(i);
                cells[col("Ngày sinh")] = format!("{:02}/03/{year}", 1 + i % 28);
                cells[col("Giới tính")] = if sex == Sex::Female { "Nữ" } else { "Nam" }.into();
                if i % 5 != 0 {
                    cells[col("Số định danh cá nhân")] = national_id(i);
                }
                if i % 7 == 0 {
                    cells[col("Số CMND")] = format!("{:09}", 145_000_000 + i);
                }
                Ok(SourceRow {
                    line: i as u64 + 2,
                    cells,
                })
            })
            .collect();
        let opts = ImportOptions {
            unit_id: unit,
            mode: ImportMode::ValidOnly,
            source_name: "tim-kiem.csv".into(),
        };
        let r = db
            .store
            .scoped(&province)
            .import_citizens(&headers, rows, &opts, &mut ())
            .await
            .unwrap();
        assert!(r.committed, "{}", r.summary_vi());
        assert_eq!(r.rejected_rows, 0, "{}", r.summary_vi());
    }
    // Records written one at a time are indexed too, and a renamed one under its new name only.
    let s = db.store.scoped(&commune);
    let created = s
        .create_citizen(NewCitizen::new(
            demo.commune_command_ids[0],
            "Ksor Y Bhăm Êban",
            date!(2001 - 02 - 03),
            Sex::Male,
        ))
        .await
        .unwrap();
    let mut renamed = NewCitizen::new(
        demo.commune_command_ids[0],
        "Đinh Khắc Quyết",
        date!(2002 - 02 - 03),
        Sex::Male,
    );
    let other = s.create_citizen(renamed.clone()).await.unwrap();
    renamed.full_name = "Đinh Khắc Trọng".into();
    s.update_citizen(other.id, renamed).await.unwrap();

    let queries = [
        "",
        "nguyen",
        "Nguyễn Văn",
        "nguyen van duc",
        "van",
        "thi thu",
        "duc",
        "Đức",
        "DUC",
        "ng",
        "h",
        "a-sang",
        "asang",
        "hhen",
        "h'hen",
        "a-sang",
        "sang",
        "khanh nguyen",
        "nguyen nguyen",
        "  tuan  ",
        "zzz",
        "van thi",
        "quyet",
        "trong",
        "khac trong",
        "bham eban",
        "y",
        "033",
        "0332",
        "033099",
        "0330991001",
        "145",
        "1450000",
        "9",
        "0 3 3 2 0 7",
        "Lê Ngọc Hoa",
    ];
    let filters = |q: &str| {
        let q = Some(q.to_string());
        vec![
            CitizenFilter {
                query: q.clone(),
                ..Default::default()
            },
            CitizenFilter {
                query: q.clone(),
                sex: Some(Sex::Female),
                ..Default::default()
            },
            CitizenFilter {
                query: q.clone(),
                unit_id: Some(demo.commune_command_ids[1]),
                ..Default::default()
            },
            CitizenFilter {
                query: q,
                birth_year: Some(1995),
                ..Default::default()
            },
        ]
    };
    let mut dense = 0;
    for a in [&province, &commune] {
        let mut scope = vec![];
        for f in filters("") {
            scope.push(every_record(&db.store, a, &f).await);
        }
        for q in queries {
            for (k, f) in filters(q).into_iter().enumerate() {
                if a.unit_id == commune.unit_id && f.unit_id.is_some() {
                    continue;
                }
                let want: Vec<Citizen> = scope[k].iter().filter(|c| old_rule(c, q)).cloned().collect();
                let scoped = db.store.scoped(a);
                for page in [Paging { offset: 0, limit: 50 }, Paging { offset: 50, limit: 50 }] {
                    let got = scoped.list_citizens(&f, page).await.unwrap();
                    let ids: Vec<i64> = got.items.iter().map(|c| c.id).collect();
                    let want_ids: Vec<i64> = want
                        .iter()
                        .skip(page.offset as usize)
                        .take(page.limit as usize)
                        .map(|c| c.id)
                        .collect();
                    assert_eq!(ids, want_ids, "{q:?} {f:?} {page:?}");
                    let n = want.len() as i64;
                    if got.capped {
                        // A bound: at least what was shown, and more exist.
                        dense += 1;
                        assert!(n > got.total, "{q:?} {f:?}: capped at {} with {n}", got.total);
                        assert!(got.total >= page.offset + got.items.len() as i64, "{q:?} {f:?}");
                    } else {
                        assert_eq!(got.total, n, "{q:?} {f:?}");
                    }
                }
            }
        }
    }
    // Both ways were taken: common words alone are counted only up to the cap.
    assert!(dense > 0);
    assert!(!db
        .store
        .scoped(&province)
        .list_citizens(
            &CitizenFilter {
                query: Some("quyet".into()),
                ..Default::default()
            },
            Paging::default()
        )
        .await
        .unwrap()
        .items
        .iter()
        .any(|c| c.id == other.id));
    let found = db
        .store
        .scoped(&province)
        .list_citizens(
            &CitizenFilter {
                query: Some("eban ksor".into()),
                ..Default::default()
            },
            Paging::default(),
        )
        .await
        .unwrap();
    assert_eq!(found.items.iter().map(|c| c.id).collect::<Vec<_>>(), [created.id]);
    assert!(!found.capped);
}

#[tokio::test]
async fn counts_are_bounded_and_said_so() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let province = actor(&db.store, "quantri").await;
    let headers: Vec<String> = CITIZEN_COLUMNS.iter().map(|c| c.header.to_string()).collect();
    let col = |h: &str| headers.iter().position(|x| x == h).unwrap();
    let rows: Vec<Result<SourceRow, String>> = (0..CITIZEN_COUNT_CAP as usize + 5)
        .map(|i| {
            let mut cells = vec![String::new(); headers.len()];
            cells[col("Họ và tên")] = name(i);
            cells[col("Ngày sinh")] = "01/01/2000".into();
            cells[col("Giới tính")] = "Nam".into();
            Ok(SourceRow {
                line: i as u64 + 2,
                cells,
            })
        })
        .collect();
    let opts = ImportOptions {
        unit_id: demo.commune_command_ids[0],
        mode: ImportMode::AllOrNothing,
        source_name: "dem.csv".into(),
    };
    let s = db.store.scoped(&province);
    assert!(
        s.import_citizens(&headers, rows, &opts, &mut ())
            .await
            .unwrap()
            .committed
    );
    let all = s
        .list_citizens(&CitizenFilter::default(), Paging::default())
        .await
        .unwrap();
    assert!(all.capped);
    assert_eq!(all.total, CITIZEN_COUNT_CAP);
    assert_eq!(all.items.len(), 50);
    // The home page's figure is exact.
    assert_eq!(s.citizen_count().await.unwrap(), CITIZEN_COUNT_CAP + 5);
    // A rare word: its candidates are few, so its count is exact.
    let rare = s
        .list_citizens(
            &CitizenFilter {
                query: Some("khanh".into()),
                ..Default::default()
            },
            Paging::default(),
        )
        .await
        .unwrap();
    assert!(!rare.capped);
    let khanh = (0..CITIZEN_COUNT_CAP as usize + 5)
        .filter(|&i| text::fold(&name(i)).split(' ').any(|w| w.starts_with("khanh")))
        .count();
    assert!(khanh > 50, "{khanh}");
    assert_eq!(rare.total as usize, khanh);
}
