//! Backups of a SQLite database taken while writers run: each is a consistent copy of one
//! instant (every citizen written has its audit entry, the chain verifies), and restores to the
//! same figures. SQLite only: PostgreSQL is backed up with pg_dump (crates/phongthu/tests/serve.rs
//! checks that the command says so).

use phongthu_domain::nvqs::Sex;
use phongthu_store::{restore_sqlite, NewCitizen, OpenOptions, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A number as a name part: 0 → "A", 27 → "Bb" (names hold no digits).
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    let mut s: String = out.into_iter().collect();
    s[..1].make_ascii_uppercase();
    s
}

fn citizen(unit_id: i64, writer: usize, n: usize) -> NewCitizen {
    NewCitizen {
        unit_id,
        national_id: None,
        legacy_id: None,
        full_name: format!("Công Dân {} {}", letters(writer), letters(n)),
        birth_date: time::macros::date!(1990 - 05 - 10),
        sex: Sex::Male,
        ethnicity: None,
        religion: None,
        birth_registration_place: None,
        permanent_commune_code: None,
        permanent_village: None,
        current_commune_code: None,
        current_village: None,
        education_grade: None,
        qualification: None,
        studying_level: None,
        studying_detail: None,
        occupation: None,
        workplace: None,
        party_member: false,
        union_member: false,
        note: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_under_load_are_consistent_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let store = Store::open(&url, OpenOptions::default()).await.unwrap();
    let demo = store.seed_demo().await.unwrap();
    let unit = demo.commune_command_ids[0];
    let before = store.row_counts().await.unwrap();
    let c0 = before.iter().find(|(t, _)| *t == "citizen").unwrap().1;
    let a0 = before.iter().find(|(t, _)| *t == "audit_log").unwrap().1;

    // Two writers add citizens (one audited transaction each) while backups are taken.
    let running = Arc::new(AtomicBool::new(true));
    let mut writers = Vec::new();
    for w in 0..2 {
        let store = store.clone();
        let running = running.clone();
        writers.push(tokio::spawn(async move {
            let actor = store.system_actor().await.unwrap();
            let mut n = 0;
            while running.load(Ordering::Relaxed) && n < 2_000 {
                store.scoped(&actor).create_citizen(citizen(unit, w, n)).await.unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut reports = Vec::new();
    for i in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let dest = dir.path().join(format!("b{i}.db"));
        reports.push(store.backup_sqlite(&dest).await.unwrap());
    }
    running.store(false, Ordering::Relaxed);
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    assert!(written > 0);
    for r in &reports {
        let citizens = r.count("citizen").unwrap();
        let audit = r.count("audit_log").unwrap();
        // One instant: every citizen in the copy has its audit entry and no more.
        assert_eq!(citizens - c0, audit - a0, "{r:?}");
        assert_eq!(r.audit_entries as i64, audit);
        assert!(citizens >= c0 && citizens <= c0 + written as i64);
    }
    assert!(
        reports.last().unwrap().count("citizen").unwrap() > c0,
        "the backups were taken while the writers wrote"
    );
    // A backup never overwrites a file.
    let again = store.backup_sqlite(&reports[0].path).await.unwrap_err();
    assert!(again.to_string().contains("đã có"), "{again}");

    // Restored into a new file: the same figures, the chain verifies.
    let target = dir.path().join("restored.db");
    let restored = restore_sqlite(&reports[2].path, &target).await.unwrap();
    assert_eq!(restored.counts, reports[2].counts);
    assert_eq!(restored.audit_head_hash, reports[2].audit_head_hash);
    store.close().await;
}
