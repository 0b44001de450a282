//! Reservist classes (hạng 1 / hạng 2, LNVQS Art. 24; point 2.e as replaced by Luật Dân quân tự vệ
//! 2019 Art. 49), age groups (nhóm A / B, LNVQS Art. 26) and kinds of reserve equipment (phương
//! tiện kỹ thuật dự bị, PTKT).

use super::age::{within_end_of_age, Sex};
use serde::{Deserialize, Serialize};
use time::Date;

/// Class of a reserve NCO or soldier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservistClass {
    Class1,
    Class2,
}

impl ReservistClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservistClass::Class1 => "class_1",
            ReservistClass::Class2 => "class_2",
        }
    }

    /// Reads [`ReservistClass::as_str`] back.
    pub fn parse(s: &str) -> Result<ReservistClass, String> {
        match s {
            "class_1" => Ok(ReservistClass::Class1),
            "class_2" => Ok(ReservistClass::Class2),
            _ => Err(format!(
                "Hạng quân nhân dự bị \"{s}\" không hợp lệ (hạng một hoặc hạng hai)."
            )),
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            ReservistClass::Class1 => "Quân nhân dự bị hạng một",
            ReservistClass::Class2 => "Quân nhân dự bị hạng hai",
        }
    }
}

/// Months of People's Police service that make a man class 1: "từ 20 tháng trở lên" (LNVQS
/// Art. 24.2.c, the official text; neither Luật DQTV 2019 Art. 49 nor Luật 98/2025 amends it).
pub const POLICE_MONTHS_FOR_CLASS_1: u32 = 20;

/// Below this many months of police service a man is class 2 (LNVQS Art. 24.3.c, "dưới 12
/// tháng"). From here up to [`POLICE_MONTHS_FOR_CLASS_1`] the law's text classifies nobody.
pub const POLICE_MONTHS_CLASS_2_BELOW: u32 = 12;

/// The service history that decides the reservist class (LNVQS Art. 24).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceHistory {
    /// Months of active service as an NCO or soldier, already discharged.
    pub active_service_months: u32,
    /// Discharged NCO or soldier who has been in combat.
    pub in_combat: bool,
    /// Months of People's Police service (men who left the police).
    pub police_months: u32,
    /// Left professional-soldier (QNCN) service.
    pub former_professional_soldier: bool,
    /// Defence worker or employee converted from NCO or soldier status.
    pub converted_defense_worker: bool,
    /// Standing militia who completed militia service (Art. 24.2.e as replaced by Luật DQTV 2019
    /// Art. 49: no month threshold).
    #[serde(default)]
    pub completed_standing_militia_service: bool,
    /// On-site, mobile, maritime, air-defence, artillery, reconnaissance, signals, engineering,
    /// chemical or medical militia: months of concentrated training (class 1 from 3).
    pub militia_concentrated_training_months: u32,
    /// A class-2 soldier's months of concentrated training.
    pub class2_concentrated_training_months: u32,
    /// Months of continuous commune-police service.
    pub commune_police_months: u32,
}

/// The reservist class given the service history: class 1 when any Art. 24 class-1 criterion holds,
/// otherwise class 2 (discharged under 6 months, other defence workers, police under 20 months,
/// men past call-up age who never served, women registered under Art. 12.2). Police service of
/// 12 to 19 months is not classified by the law's text: see [`needs_manual_review`].
pub fn classify(h: &ServiceHistory) -> ReservistClass {
    let class1 = h.active_service_months >= 6
        || h.in_combat
        || h.police_months >= POLICE_MONTHS_FOR_CLASS_1
        || h.former_professional_soldier
        || h.converted_defense_worker
        || h.completed_standing_militia_service
        || h.militia_concentrated_training_months >= 3
        || h.class2_concentrated_training_months >= 6
        || h.commune_police_months >= 36;
    if class1 {
        ReservistClass::Class1
    } else {
        ReservistClass::Class2
    }
}

/// Why the class given by [`classify`] must be checked by hand, when it must: a man whose only
/// ground would be 12 to 19 months of People's Police service, which LNVQS Art. 24 places in
/// neither class (class 1 from 20 months, point 2.c; class 2 under 12 months, point 3.c).
pub fn needs_manual_review(h: &ServiceHistory) -> Option<String> {
    let gap = (POLICE_MONTHS_CLASS_2_BELOW..POLICE_MONTHS_FOR_CLASS_1).contains(&h.police_months);
    (gap && classify(h) == ReservistClass::Class2).then(|| {
        format!(
            "Thời gian phục vụ trong Công an nhân dân {} tháng: điểm c khoản 2 Điều 24 Luật NVQS xếp hạng một từ \
             20 tháng, điểm c khoản 3 xếp hạng hai dưới 12 tháng; khoảng 12–19 tháng luật không quy định, cần \
             cán bộ xem xét.",
            h.police_months
        )
    })
}

/// Reserve age group (LNVQS Art. 26; the service ages themselves are Art. 25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    A,
    B,
}

impl AgeGroup {
    pub fn label_vi(self) -> &'static str {
        match self {
            AgeGroup::A => "Nhóm A",
            AgeGroup::B => "Nhóm B",
        }
    }

    /// Men: A to the end of 35, B 36 to the end of 45; women: A to the end of 30, B 31 to the end of
    /// 40. `None` past group B.
    pub fn of(birth: Date, sex: Sex, on: Date) -> Option<AgeGroup> {
        let (a, b) = match sex {
            Sex::Male => (35, 45),
            Sex::Female => (30, 40),
        };
        if within_end_of_age(birth, a, on) {
            Some(AgeGroup::A)
        } else if within_end_of_age(birth, b, on) {
            Some(AgeGroup::B)
        } else {
            None
        }
    }
}

/// Broad category of reserve equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentCategory {
    Vehicle,
    Machinery,
    Vessel,
    Other,
}

impl EquipmentCategory {
    pub fn label_vi(self) -> &'static str {
        match self {
            EquipmentCategory::Vehicle => "Phương tiện vận tải",
            EquipmentCategory::Machinery => "Máy móc, thiết bị",
            EquipmentCategory::Vessel => "Phương tiện thủy",
            EquipmentCategory::Other => "Phương tiện khác",
        }
    }
}

/// Kinds of reserve equipment registered in practice (law brief §4). The exhaustive legal list is
/// UNCONFIRMED; the water, air, rail and equipment kinds come from the brief's note on the PTKT
/// registration decree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentKind {
    Car4x4NineSeats,
    Coach,
    Truck,
    FuelTanker,
    Ambulance,
    SpecialPurposeRoadVehicle,
    ConstructionMachinery,
    LoadingEquipment,
    RailVehicle,
    InlandWaterVessel,
    SeaVessel,
    Aircraft,
    CommunicationsEquipment,
    MedicalEquipment,
}

impl EquipmentKind {
    pub const ALL: [EquipmentKind; 14] = [
        EquipmentKind::Car4x4NineSeats,
        EquipmentKind::Coach,
        EquipmentKind::Truck,
        EquipmentKind::FuelTanker,
        EquipmentKind::Ambulance,
        EquipmentKind::SpecialPurposeRoadVehicle,
        EquipmentKind::ConstructionMachinery,
        EquipmentKind::LoadingEquipment,
        EquipmentKind::RailVehicle,
        EquipmentKind::InlandWaterVessel,
        EquipmentKind::SeaVessel,
        EquipmentKind::Aircraft,
        EquipmentKind::CommunicationsEquipment,
        EquipmentKind::MedicalEquipment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EquipmentKind::Car4x4NineSeats => "car_4x4_nine_seats",
            EquipmentKind::Coach => "coach",
            EquipmentKind::Truck => "truck",
            EquipmentKind::FuelTanker => "fuel_tanker",
            EquipmentKind::Ambulance => "ambulance",
            EquipmentKind::SpecialPurposeRoadVehicle => "special_purpose_road_vehicle",
            EquipmentKind::ConstructionMachinery => "construction_machinery",
            EquipmentKind::LoadingEquipment => "loading_equipment",
            EquipmentKind::RailVehicle => "rail_vehicle",
            EquipmentKind::InlandWaterVessel => "inland_water_vessel",
            EquipmentKind::SeaVessel => "sea_vessel",
            EquipmentKind::Aircraft => "aircraft",
            EquipmentKind::CommunicationsEquipment => "communications_equipment",
            EquipmentKind::MedicalEquipment => "medical_equipment",
        }
    }

    pub fn parse(s: &str) -> Result<EquipmentKind, String> {
        EquipmentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("Loại phương tiện kỹ thuật dự bị \"{s}\" không hợp lệ."))
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            EquipmentKind::Car4x4NineSeats => "Xe ô tô 9 chỗ hai cầu",
            EquipmentKind::Coach => "Xe khách từ 10 chỗ trở lên",
            EquipmentKind::Truck => "Xe tải từ 2,5 tấn trở lên",
            EquipmentKind::FuelTanker => "Xe chở xăng dầu",
            EquipmentKind::Ambulance => "Xe cứu thương",
            EquipmentKind::SpecialPurposeRoadVehicle => "Xe chuyên dùng đường bộ",
            EquipmentKind::ConstructionMachinery => "Máy thi công đường, cầu",
            EquipmentKind::LoadingEquipment => "Thiết bị xếp dỡ",
            EquipmentKind::RailVehicle => "Phương tiện đường sắt",
            EquipmentKind::InlandWaterVessel => "Phương tiện thủy nội địa",
            EquipmentKind::SeaVessel => "Tàu biển",
            EquipmentKind::Aircraft => "Tàu bay",
            EquipmentKind::CommunicationsEquipment => "Thiết bị thông tin liên lạc",
            EquipmentKind::MedicalEquipment => "Trang thiết bị y tế",
        }
    }

    pub fn category(self) -> EquipmentCategory {
        use EquipmentKind::*;
        match self {
            Car4x4NineSeats
            | Coach
            | Truck
            | FuelTanker
            | Ambulance
            | SpecialPurposeRoadVehicle
            | RailVehicle
            | Aircraft => EquipmentCategory::Vehicle,
            ConstructionMachinery | LoadingEquipment => EquipmentCategory::Machinery,
            InlandWaterVessel | SeaVessel => EquipmentCategory::Vessel,
            CommunicationsEquipment | MedicalEquipment => EquipmentCategory::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn class_thresholds() {
        let mut h = ServiceHistory::default();
        assert_eq!(classify(&h), ReservistClass::Class2);
        h.active_service_months = 5;
        assert_eq!(classify(&h), ReservistClass::Class2);
        h.active_service_months = 6;
        assert_eq!(classify(&h), ReservistClass::Class1);
        let h = ServiceHistory {
            police_months: 11,
            militia_concentrated_training_months: 2,
            commune_police_months: 35,
            ..Default::default()
        };
        assert_eq!(classify(&h), ReservistClass::Class2);
        assert_eq!(needs_manual_review(&h), None);
        // Police service: class 1 from 20 months (Art. 24.2.c); 12–19 months flagged.
        for (months, class, review) in [
            (12, ReservistClass::Class2, true),
            (19, ReservistClass::Class2, true),
            (20, ReservistClass::Class1, false),
        ] {
            let h = ServiceHistory {
                police_months: months,
                ..Default::default()
            };
            assert_eq!(classify(&h), class, "{months}");
            assert_eq!(needs_manual_review(&h).is_some(), review, "{months}");
        }
        // Another class-1 ground settles it: nothing to review.
        let h = ServiceHistory {
            police_months: 15,
            active_service_months: 6,
            ..Default::default()
        };
        assert_eq!(needs_manual_review(&h), None);
        // Standing militia who completed service: class 1 with no month threshold (Luật DQTV
        // 2019 Art. 49).
        let h = ServiceHistory {
            completed_standing_militia_service: true,
            ..Default::default()
        };
        assert_eq!(classify(&h), ReservistClass::Class1);
        let h = ServiceHistory {
            commune_police_months: 36,
            ..Default::default()
        };
        assert_eq!(classify(&h), ReservistClass::Class1);
    }

    #[test]
    fn age_groups() {
        let on = date!(2026 - 06 - 30);
        assert_eq!(AgeGroup::of(date!(1990 - 07 - 01), Sex::Male, on), Some(AgeGroup::A));
        assert_eq!(AgeGroup::of(date!(1990 - 06 - 30), Sex::Male, on), Some(AgeGroup::B));
        assert_eq!(AgeGroup::of(date!(1995 - 06 - 30), Sex::Female, on), Some(AgeGroup::B));
        assert_eq!(AgeGroup::of(date!(1980 - 06 - 30), Sex::Male, on), None);
    }

    #[test]
    fn equipment_kinds_round_trip() {
        for k in EquipmentKind::ALL {
            assert_eq!(EquipmentKind::parse(k.as_str()), Ok(k));
            assert!(!k.label_vi().is_empty());
        }
        assert_eq!(EquipmentKind::SeaVessel.category(), EquipmentCategory::Vessel);
        assert!(EquipmentKind::parse("tank").is_err());
    }
}
