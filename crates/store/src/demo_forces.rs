//! Demo data for the forces pages, added by `phongthu demo` on top of [`Store::seed_demo`]:
//! a few citizens of the second demo commune, a militia platoon with members, reservists, a
//! mobilisation unit of the provincial command with positions and a few assignments, reserve
//! equipment with a need and a readiness check, and militia targets (a province ratio, commune
//! populations, one explicit target). Everything goes through the scoped store as the system
//! actor, so it is validated and audited like any user's work. Kept small so that it runs in
//! well under a second. Idempotent: a second call finds the mobilisation unit and does nothing.
//!
//! The ratio of 1.30 % is only an example value for the demo: the law brief (§3) finds no legal
//! ratio, and each province sets its own.

use crate::db::Store;
use crate::demo::DemoReport;
use crate::error::StoreError;
use crate::militia::{NewMilitiaMember, NewMilitiaUnit};
use crate::reserve::{EquipmentCondition, NewEquipment, NewPosition, NewReserveUnit, NewReservist};
use crate::NewCitizen;
use phongthu_domain::militia::{Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::reserve::{EquipmentKind, ReservistClass};
use serde::Serialize;
use sqlx::Row;
use time::{Date, Month};

/// The demo's mobilisation unit (its presence marks the forces demo as seeded).
pub const DEMO_RESERVE_UNIT: &str = "Đại đội vận tải dự bị động viên số 1";

/// What [`Store::seed_demo_forces`] made.
#[derive(Debug, Clone, Serialize)]
pub struct DemoForcesReport {
    pub created: bool,
    pub reserve_unit_id: i64,
    pub militia_unit_id: Option<i64>,
    pub reservists: i64,
    pub assignments: i64,
    pub equipment: i64,
}

fn day(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).expect("a valid demo date")
}

/// (name, birth year, commune index, CNQS, class, rank)
const RESERVISTS: [(&str, i32, &str, ReservistClass, &str); 6] = [
    ("Nguyễn Văn Bình", 1996, "2B", ReservistClass::Class1, "Trung sĩ"),
    ("Trần Văn Cường", 1995, "2B", ReservistClass::Class1, "Hạ sĩ"),
    ("Lê Văn Đông", 1997, "1A", ReservistClass::Class1, "Binh nhất"),
    ("Phạm Văn Giang", 1993, "1A", ReservistClass::Class2, "Binh nhì"),
    ("Vũ Văn Hải", 1994, "3C", ReservistClass::Class1, "Thượng sĩ"),
    ("Đặng Văn Khánh", 1997, "1A", ReservistClass::Class2, ""),
];

/// (name, birth year) of the militia platoon.
const MILITIA: [(&str, i32); 3] = [("Hoàng Văn Minh", 1992), ("Bùi Văn Nam", 1990), ("Đỗ Văn Phúc", 1995)];

impl Store {
    /// Seeds the forces demo on top of the base demo `demo` (see the module documentation).
    pub async fn seed_demo_forces(&self, demo: &DemoReport) -> Result<DemoForcesReport, StoreError> {
        let existing = sqlx::query("SELECT id FROM reserve_unit WHERE unit_id = $1 AND name = $2")
            .bind(demo.province_command_id)
            .bind(DEMO_RESERVE_UNIT)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(r) = existing {
            let id: i64 = r.get(0);
            let assignments: i64 =
                sqlx::query("SELECT count(*) FROM reserve_assignment WHERE reserve_unit_id = $1 AND ended_on IS NULL")
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?
                    .get(0);
            let reservists: i64 = sqlx::query("SELECT count(*) FROM reservist")
                .fetch_one(&self.pool)
                .await?
                .get(0);
            let equipment: i64 = sqlx::query("SELECT count(*) FROM reserve_equipment")
                .fetch_one(&self.pool)
                .await?
                .get(0);
            return Ok(DemoForcesReport {
                created: false,
                reserve_unit_id: id,
                militia_unit_id: None,
                reservists,
                assignments,
                equipment,
            });
        }
        let communes = &demo.commune_command_ids;
        if communes.len() < 2 {
            return Err(StoreError::NotFound("Dữ liệu mẫu chưa có đủ hai xã.".into()));
        }
        // Everyone lives in the second commune: the first one is where the HTTP and browser tests
        // work, and they expect it empty. Born before 1998, so no one falls in a call-up pool.
        let home = communes[1];
        let actor = self.system_actor().await?;
        let s = self.scoped(&actor);
        let today = crate::citizens::today();
        let citizen = |unit_id: i64, name: &str, year: i32, n: usize| NewCitizen {
            unit_id,
            // PPP G YY RRRRRR: Hưng Yên (033), a man born in the 1900s (0) or 2000s (2).
            national_id: Some(format!(
                "033{}{:02}{:06}",
                if year >= 2000 { 2 } else { 0 },
                year % 100,
                900 + n
            )),
            legacy_id: None,
            full_name: name.to_string(),
            birth_date: day(year, Month::May, 10),
            sex: Sex::Male,
            ethnicity: Some("Kinh".into()),
            religion: Some("Không".into()),
            birth_registration_place: None,
            permanent_commune_code: None,
            permanent_village: Some("Thôn Đông".into()),
            current_commune_code: None,
            current_village: None,
            education_grade: Some("12/12".into()),
            qualification: None,
            studying_level: None,
            studying_detail: None,
            occupation: Some("Lái xe".into()),
            workplace: None,
            party_member: false,
            union_member: true,
            note: Some("Dữ liệu mẫu".into()),
        };

        // Reservists.
        let mut reservists = vec![];
        for (i, (name, year, spec, class, rank)) in RESERVISTS.iter().enumerate() {
            let c = s.create_citizen(citizen(home, name, *year, i)).await?;
            let r = s
                .add_reservist(NewReservist {
                    citizen_id: c.id,
                    class: *class,
                    specialty: spec.to_string(),
                    rank: (!rank.is_empty()).then(|| rank.to_string()),
                    registered_on: day(2024, Month::January, 15),
                })
                .await?;
            reservists.push(r);
        }
        // A mobilisation unit of the provincial command (it recruits in the whole province).
        let unit = s
            .create_reserve_unit(NewReserveUnit {
                unit_id: demo.province_command_id,
                name: DEMO_RESERVE_UNIT.into(),
                combat: false,
                spare_percent: 10,
            })
            .await?;
        let mut positions = vec![];
        for (title, spec, rank, count) in [
            ("Lái xe vận tải", "2B", "Trung sĩ", 3),
            ("Chiến sĩ bảo vệ", "1A", "Binh nhất", 2),
            ("Nhân viên quân y", "3C", "Trung sĩ", 1),
        ] {
            positions.push(
                s.add_position(NewPosition {
                    reserve_unit_id: unit.id,
                    title: title.into(),
                    specialty: spec.into(),
                    rank: Some(rank.into()),
                    count,
                })
                .await?,
            );
        }
        // Three placed on their own specialty; the others are left for the assignment page.
        let picks = [
            (reservists[0].id, positions[0].id),
            (reservists[2].id, positions[1].id),
            (reservists[4].id, positions[2].id),
        ];
        let assignments = s.accept_assignments(&picks, today).await? as i64;

        // Reserve equipment.
        let mut equipment = 0;
        for (kind, owner, plate, capacity, condition) in [
            (
                EquipmentKind::Truck,
                "Công ty TNHH Vận tải Phố Hiến",
                "89C-123.45",
                "8 tấn",
                EquipmentCondition::Good,
            ),
            (
                EquipmentKind::Truck,
                "Nguyễn Văn Bình",
                "89C-678.90",
                "5 tấn",
                EquipmentCondition::NeedsRepair,
            ),
            (
                EquipmentKind::Car4x4NineSeats,
                "Hợp tác xã Tân Tiến",
                "89A-246.80",
                "9 chỗ",
                EquipmentCondition::Good,
            ),
            (
                EquipmentKind::Ambulance,
                "Trạm y tế xã",
                "89A-135.79",
                "",
                EquipmentCondition::Good,
            ),
        ] {
            let e = s
                .add_equipment(NewEquipment {
                    unit_id: home,
                    kind,
                    owner: owner.into(),
                    plate: plate.into(),
                    capacity: (!capacity.is_empty()).then(|| capacity.to_string()),
                    condition,
                })
                .await?;
            if equipment == 0 {
                s.record_equipment_check(e.id, today, true, Some("Kiểm tra định kỳ (dữ liệu mẫu)"))
                    .await?;
            }
            equipment += 1;
        }
        s.set_equipment_need(unit.id, EquipmentKind::Truck, 2).await?;

        // A militia platoon, and the targets.
        let militia_unit = s
            .create_militia_unit(NewMilitiaUnit {
                unit_id: home,
                kind: MilitiaKind::Mobile,
                echelon: Echelon::Platoon,
                name: "Trung đội dân quân cơ động (mẫu)".into(),
            })
            .await?;
        for (i, (name, year)) in MILITIA.iter().enumerate() {
            let c = s
                .create_citizen(citizen(home, name, *year, RESERVISTS.len() + i))
                .await?;
            s.add_member(NewMilitiaMember {
                militia_unit_id: militia_unit.id,
                citizen_id: c.id,
                post: None,
                volunteer: false,
                joined_on: day(2025, Month::March, 1),
            })
            .await?;
        }
        let province: Option<String> = sqlx::query("SELECT province_code FROM org_unit WHERE id = $1")
            .bind(demo.province_command_id)
            .fetch_one(&self.pool)
            .await?
            .get(0);
        if let Some(p) = province {
            s.set_militia_ratio(&p, Some(130)).await?;
        }
        s.set_militia_target(home, Some(9_800), None, Some("Dân số theo báo cáo của xã (mẫu)"))
            .await?;
        if let Some(&third) = communes.get(2) {
            s.set_militia_target(third, Some(7_500), Some(80), None).await?;
        }
        Ok(DemoForcesReport {
            created: true,
            reserve_unit_id: unit.id,
            militia_unit_id: Some(militia_unit.id),
            reservists: reservists.len() as i64,
            assignments,
            equipment,
        })
    }
}
