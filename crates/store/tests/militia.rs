//! Militia units, members and training on both backends (SQLite by default; PostgreSQL when
//! `PHONGTHU_TEST_DATABASE_URL=postgres://...` is set).

use phongthu_domain::militia::{CommanderPost, Echelon, EndReason, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_store::testing::TestDb;
use phongthu_store::{NewCitizen, NewMilitiaMember, NewMilitiaUnit, StoreError};
use time::macros::date;
use time::Date;

use phongthu_store::testing::demo_actor as actor;

fn join(unit: i64, citizen: i64, on: Date) -> NewMilitiaMember {
    NewMilitiaMember {
        militia_unit_id: unit,
        citizen_id: citizen,
        post: None,
        volunteer: false,
        joined_on: on,
    }
}

#[tokio::test]
async fn units_members_training_and_scope() {
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await.unwrap();
    let admin = actor(&db.store, "quantri").await;
    let s = db.store.scoped(&admin);
    let (a, b) = (demo.commune_command_ids[0], demo.commune_command_ids[1]);
    let audit = || async { db.store.verify_audit().await.unwrap().entries };

    // Units: only under a commune (or agency) command, kind and echelon checked by the domain.
    let platoon = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội dân quân cơ động số 1".into(),
        })
        .await
        .unwrap();
    assert_eq!(platoon.unit_id, a);
    assert!(!platoon.province_code.is_empty());
    assert_eq!(platoon.active_members, 0);
    let before = audit().await;
    let bad = |unit_id, kind, echelon, name: &str| NewMilitiaUnit {
        unit_id,
        kind,
        echelon,
        name: name.into(),
    };
    let e = s
        .create_militia_unit(bad(a, MilitiaKind::Mobile, Echelon::NavalSquadron, "Hải đội"))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let e = s
        .create_militia_unit(bad(
            demo.province_command_id,
            MilitiaKind::Mobile,
            Echelon::Platoon,
            "X",
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("cấp xã"), "{e}");
    let e = s
        .create_militia_unit(bad(a, MilitiaKind::OnSite, Echelon::Squad, "  "))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "{e}");
    let e = s
        .create_militia_unit(bad(
            a,
            MilitiaKind::OnSite,
            Echelon::Squad,
            "Trung đội dân quân cơ động số 1",
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert_eq!(audit().await, before, "nothing written on refused units");
    let squad = s
        .create_militia_unit(bad(a, MilitiaKind::OnSite, Echelon::Squad, "Tiểu đội tại chỗ thôn 2"))
        .await
        .unwrap();

    // Citizens of the registry.
    let mk = |unit, name: &str, birth, sex| NewCitizen::new(unit, name, birth, sex);
    let an = s
        .create_citizen(mk(a, "Nguyễn Văn An", date!(2000 - 04 - 02), Sex::Male))
        .await
        .unwrap();
    let binh = s
        .create_citizen(mk(a, "Trần Văn Bình", date!(1998 - 09 - 10), Sex::Male))
        .await
        .unwrap();
    let hoa = s
        .create_citizen(mk(a, "Lê Thị Hoa", date!(1984 - 06 - 01), Sex::Female))
        .await
        .unwrap();
    let nho = s
        .create_citizen(mk(a, "Phạm Văn Nhỏ", date!(2010 - 01 - 01), Sex::Male))
        .await
        .unwrap();
    let other = s
        .create_citizen(mk(b, "Đỗ Văn Xa", date!(2001 - 01 - 01), Sex::Male))
        .await
        .unwrap();

    // Members: ages by sex via the domain; the citizen must live in the unit's commune.
    let jan = date!(2026 - 01 - 10);
    let m_an = s
        .add_member(NewMilitiaMember {
            post: Some(CommanderPost::PlatoonLeader),
            ..join(platoon.id, an.id, jan)
        })
        .await
        .unwrap();
    assert_eq!((m_an.term_years, m_an.full_name.as_str()), (4, "Nguyễn Văn An"));
    assert_eq!(m_an.service_end, date!(2030 - 01 - 09));
    let m_binh = s
        .add_member(join(platoon.id, binh.id, date!(2023 - 03 - 01)))
        .await
        .unwrap();
    let before = audit().await;
    let e = s.add_member(join(platoon.id, hoa.id, jan)).await.unwrap_err();
    assert!(e.to_string().contains("hết 40 tuổi"), "{e}");
    let e = s.add_member(join(platoon.id, nho.id, jan)).await.unwrap_err();
    assert!(e.to_string().contains("chưa đủ 18"), "{e}");
    let e = s.add_member(join(platoon.id, other.id, jan)).await.unwrap_err();
    assert!(e.to_string().contains("nơi cư trú"), "{e}");
    let e = s
        .add_member(NewMilitiaMember {
            post: Some(CommanderPost::CompanyCommander),
            ..join(platoon.id, an.id, jan)
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("không phù hợp"), "{e}");
    // One person, one active record: the ledger names the unit that holds him.
    let e = s.add_member(join(squad.id, an.id, jan)).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("Trung đội dân quân cơ động số 1"), "{e}");
    assert_eq!(audit().await, before, "nothing written on refused members");
    let m_hoa = s
        .add_member(NewMilitiaMember {
            volunteer: true,
            ..join(platoon.id, hoa.id, jan)
        })
        .await
        .unwrap();
    assert_eq!(s.militia_unit(platoon.id).await.unwrap().active_members, 3);
    let names: Vec<String> = s
        .members(platoon.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.full_name)
        .collect();
    assert_eq!(
        names,
        ["Nguyễn Văn An", "Trần Văn Bình", "Lê Thị Hoa"],
        "Vietnamese order by given name"
    );

    // Training against the legal days: An year 1 → 15, Bình year 4 (mobile) → 12, Hoa year 1 → 15.
    s.record_training(m_an.id, 2026, 10).await.unwrap();
    s.record_training(m_binh.id, 2026, 12).await.unwrap();
    s.record_training(m_an.id, 2026, 11).await.unwrap(); // a correction replaces the figure
    let before = audit().await;
    assert!(matches!(
        s.record_training(m_an.id, 2026, 400).await,
        Err(StoreError::Invalid(_))
    ));
    let e = s.record_training(m_an.id, 2025, 5).await.unwrap_err();
    assert!(e.to_string().contains("không phục vụ"), "{e}");
    assert_eq!(audit().await, before);
    let t = s.unit_training(platoon.id, 2026).await.unwrap();
    assert_eq!((t.summary.members, t.summary.required_days), (3, 15 + 12 + 15));
    assert_eq!((t.summary.attended_days, t.summary.missing_days), (11 + 12, 4 + 15));
    let short = s.shortfalls(2026).await.unwrap();
    let got: Vec<(i64, u32, u32)> = short
        .iter()
        .map(|m| (m.member.id, m.shortfall.required, m.shortfall.missing))
        .collect();
    assert_eq!(got, [(m_hoa.id, 15, 15), (m_an.id, 15, 4)], "most missing first");
    assert!(short[1].shortfall.message_vi().contains("Còn thiếu 4 ngày"));

    // End of term: Bình's 4 years end on 28/02/2027; an extension of a year moves it to 2028;
    // more than 2 years is refused for a private of a mobile platoon.
    let end = s.end_of_term(2027).await.unwrap();
    assert_eq!(end.len(), 1);
    assert_eq!(
        (end[0].member_id.as_str(), end[0].last_day),
        (m_binh.id.to_string().as_str(), date!(2027 - 02 - 28))
    );
    assert_eq!(end[0].reason, EndReason::TermCompleted);
    let before = audit().await;
    assert!(matches!(
        s.extend_member(m_binh.id, 30).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(audit().await, before);
    let ext = s.extend_member(m_binh.id, 12).await.unwrap();
    assert_eq!(ext.extended_until, Some(date!(2028 - 02 - 29)));
    assert!(s.end_of_term(2027).await.unwrap().is_empty());
    assert_eq!(s.end_of_term(2028).await.unwrap().len(), 1);

    // Scope: the other commune's commander sees nothing and cannot write here.
    let cmd_b = actor(&db.store, "chihuy.xa2").await;
    let sb = db.store.scoped(&cmd_b);
    assert!(sb.militia_units().await.unwrap().is_empty());
    assert!(matches!(
        sb.militia_unit(platoon.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(sb.members(platoon.id).await, Err(StoreError::NotFound(_))));
    assert!(sb.shortfalls(2026).await.unwrap().is_empty());
    assert!(matches!(
        sb.record_training(m_an.id, 2026, 15).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        sb.create_militia_unit(bad(a, MilitiaKind::OnSite, Echelon::Team, "Tổ"))
            .await,
        Err(StoreError::Forbidden(_))
    ));
    // The own commune's commander works with his units; he cannot reach the other commune's
    // citizens.
    let cmd_a = actor(&db.store, "chihuy").await;
    let sa = db.store.scoped(&cmd_a);
    assert_eq!(sa.militia_units().await.unwrap().len(), 2);
    assert!(matches!(
        sa.add_member(join(squad.id, other.id, jan)).await,
        Err(StoreError::NotFound(_))
    ));
    sa.record_training(m_hoa.id, 2026, 15).await.unwrap();
    assert_eq!(sa.shortfalls(2026).await.unwrap().len(), 1);
    // Leader and inspector read, never write.
    for who in ["lanhdao", "thanhtra"] {
        let r = actor(&db.store, who).await;
        let sr = db.store.scoped(&r);
        assert_eq!(sr.militia_units().await.unwrap().len(), 2);
        assert!(matches!(
            sr.record_training(m_an.id, 2026, 15).await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            sr.add_member(join(squad.id, nho.id, jan)).await,
            Err(StoreError::Forbidden(_))
        ));
    }

    // Leaving ends the ledger entry: the person may then join another unit.
    let left = s.member_leaves(m_an.id, date!(2026 - 06 - 30)).await.unwrap();
    assert_eq!(left.left_on, Some(date!(2026 - 06 - 30)));
    let e = s
        .add_member(join(squad.id, an.id, date!(2026 - 06 - 30)))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "overlap on the last day: {e}");
    let again = s
        .add_member(join(squad.id, an.id, date!(2026 - 07 - 01)))
        .await
        .unwrap();
    assert_eq!(again.militia_unit_id, squad.id);
    assert_eq!(s.militia_unit(platoon.id).await.unwrap().active_members, 2);
    assert!(db.store.verify_audit().await.unwrap().broken.is_none());
}
