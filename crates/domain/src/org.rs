//! The military organisation: military regions, provincial commands, regional defense commands
//! (PTKV), commune military commands, and the rules of how they nest.
//!
//! Since the 2025 reform (law brief §8) a commune military command sits directly under the
//! provincial military command (NQ 66.12/2026/NQ-CP, in force 26/01/2026 to 28/02/2027); a regional
//! defense command covers a user-defined set of communes without being their parent. The
//! organisation tree therefore has: ministry → military region (or the Capital Command) → provincial
//! command → {regional defense commands, commune commands, agencies}.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// Bộ Quốc phòng / Bộ Tổng Tham mưu: the national level.
    Ministry,
    /// Quân khu.
    MilitaryRegion,
    /// Bộ Tư lệnh Thủ đô Hà Nội (directly under the ministry; provincial and regional at once).
    CapitalCommand,
    /// Bộ Chỉ huy Quân sự tỉnh (or the HCMC Command).
    ProvincialCommand,
    /// Ban Chỉ huy Phòng thủ khu vực: covers a set of communes.
    RegionalDefenseCommand,
    /// Ban Chỉ huy Quân sự cấp xã.
    CommuneCommand,
    /// Ban Chỉ huy quân sự of an agency or enterprise (self-defense forces).
    AgencyCommand,
    /// Ban Chỉ huy Quân sự huyện: dissolved in 2025 (QĐ 2786/QĐ-BQP), kept for history.
    DistrictCommand,
}

impl OrgKind {
    pub const ALL: [OrgKind; 8] = [
        OrgKind::Ministry,
        OrgKind::MilitaryRegion,
        OrgKind::CapitalCommand,
        OrgKind::ProvincialCommand,
        OrgKind::RegionalDefenseCommand,
        OrgKind::CommuneCommand,
        OrgKind::AgencyCommand,
        OrgKind::DistrictCommand,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Ministry => "ministry",
            OrgKind::MilitaryRegion => "military_region",
            OrgKind::CapitalCommand => "capital_command",
            OrgKind::ProvincialCommand => "provincial_command",
            OrgKind::RegionalDefenseCommand => "regional_defense_command",
            OrgKind::CommuneCommand => "commune_command",
            OrgKind::AgencyCommand => "agency_command",
            OrgKind::DistrictCommand => "district_command",
        }
    }

    pub fn parse(s: &str) -> Result<OrgKind, String> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("Loại đơn vị \"{s}\" không hợp lệ."))
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            OrgKind::Ministry => "Bộ Quốc phòng",
            OrgKind::MilitaryRegion => "Quân khu",
            OrgKind::CapitalCommand => "Bộ Tư lệnh Thủ đô Hà Nội",
            OrgKind::ProvincialCommand => "Bộ Chỉ huy Quân sự tỉnh, thành phố",
            OrgKind::RegionalDefenseCommand => "Ban Chỉ huy Phòng thủ khu vực",
            OrgKind::CommuneCommand => "Ban Chỉ huy Quân sự cấp xã",
            OrgKind::AgencyCommand => "Ban Chỉ huy Quân sự cơ quan, tổ chức",
            OrgKind::DistrictCommand => "Ban Chỉ huy Quân sự huyện (đã giải thể)",
        }
    }

    /// Whether a unit of this kind carries a commune (true) or a province (false) territory code.
    pub fn territory_level(self) -> Option<&'static str> {
        match self {
            OrgKind::CommuneCommand => Some("commune"),
            OrgKind::ProvincialCommand | OrgKind::CapitalCommand => Some("province"),
            OrgKind::DistrictCommand => Some("district"),
            _ => None,
        }
    }

    /// The kinds allowed directly under a parent of this kind.
    pub fn allowed_children(self) -> &'static [OrgKind] {
        use OrgKind::*;
        match self {
            Ministry => &[MilitaryRegion, CapitalCommand],
            MilitaryRegion => &[ProvincialCommand],
            CapitalCommand => &[RegionalDefenseCommand, CommuneCommand, AgencyCommand, DistrictCommand],
            ProvincialCommand => &[RegionalDefenseCommand, CommuneCommand, AgencyCommand, DistrictCommand],
            RegionalDefenseCommand | CommuneCommand | AgencyCommand | DistrictCommand => &[],
        }
    }

    /// Checks that a unit of kind `child` may be placed under `self`, with a Vietnamese reason.
    pub fn check_child(self, child: OrgKind) -> Result<(), String> {
        if self.allowed_children().contains(&child) {
            Ok(())
        } else {
            Err(format!(
                "Không thể đặt \"{}\" trực thuộc \"{}\".",
                child.label_vi(),
                self.label_vi()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_rules() {
        assert!(OrgKind::ProvincialCommand.check_child(OrgKind::CommuneCommand).is_ok());
        assert!(OrgKind::MilitaryRegion.check_child(OrgKind::CommuneCommand).is_err());
        assert!(OrgKind::CommuneCommand.check_child(OrgKind::CommuneCommand).is_err());
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Ok(k));
        }
    }
}
