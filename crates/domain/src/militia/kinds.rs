//! Militia and self-defence classifications with Vietnamese labels (law brief §3; Luật DQTV
//! 48/2019/QH14 Art. 2, Art. 19.2; organisation per mod.gov.vn).

use serde::{Deserialize, Serialize};

/// Where the force is organised (Art. 2.1): militia in localities, self-defence in agencies,
/// organisations, public service units and economic organisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForceType {
    /// dân quân
    Militia,
    /// tự vệ
    SelfDefense,
}

impl ForceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ForceType::Militia => "militia",
            ForceType::SelfDefense => "self_defense",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            ForceType::Militia => "Dân quân",
            ForceType::SelfDefense => "Tự vệ",
        }
    }

    pub fn parse(s: &str) -> Result<ForceType, String> {
        match s {
            "militia" => Ok(ForceType::Militia),
            "self_defense" => Ok(ForceType::SelfDefense),
            _ => Err(format!("Loại lực lượng \"{s}\" không hợp lệ.")),
        }
    }
}

/// Kind of core (nòng cốt) militia or self-defence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilitiaKind {
    OnSite,
    Mobile,
    Standing,
    Maritime,
    AirDefense,
    Artillery,
    Reconnaissance,
    Signals,
    Engineering,
    Chemical,
    Medical,
}

impl MilitiaKind {
    pub const ALL: [MilitiaKind; 11] = [
        MilitiaKind::OnSite,
        MilitiaKind::Mobile,
        MilitiaKind::Standing,
        MilitiaKind::Maritime,
        MilitiaKind::AirDefense,
        MilitiaKind::Artillery,
        MilitiaKind::Reconnaissance,
        MilitiaKind::Signals,
        MilitiaKind::Engineering,
        MilitiaKind::Chemical,
        MilitiaKind::Medical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MilitiaKind::OnSite => "on_site",
            MilitiaKind::Mobile => "mobile",
            MilitiaKind::Standing => "standing",
            MilitiaKind::Maritime => "maritime",
            MilitiaKind::AirDefense => "air_defense",
            MilitiaKind::Artillery => "artillery",
            MilitiaKind::Reconnaissance => "reconnaissance",
            MilitiaKind::Signals => "signals",
            MilitiaKind::Engineering => "engineering",
            MilitiaKind::Chemical => "chemical",
            MilitiaKind::Medical => "medical",
        }
    }

    pub fn parse(s: &str) -> Result<MilitiaKind, String> {
        MilitiaKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("Loại dân quân tự vệ \"{s}\" không hợp lệ."))
    }

    /// The kind's qualifier, e.g. "tại chỗ", "phòng không".
    pub fn label_vi(self) -> &'static str {
        match self {
            MilitiaKind::OnSite => "tại chỗ",
            MilitiaKind::Mobile => "cơ động",
            MilitiaKind::Standing => "thường trực",
            MilitiaKind::Maritime => "biển",
            MilitiaKind::AirDefense => "phòng không",
            MilitiaKind::Artillery => "pháo binh",
            MilitiaKind::Reconnaissance => "trinh sát",
            MilitiaKind::Signals => "thông tin",
            MilitiaKind::Engineering => "công binh",
            MilitiaKind::Chemical => "phòng hóa",
            MilitiaKind::Medical => "y tế",
        }
    }

    /// Full label with the force, e.g. "Dân quân tại chỗ", "Tự vệ cơ động".
    pub fn full_label_vi(self, force: ForceType) -> String {
        format!("{} {}", force.label_vi(), self.label_vi())
    }

    /// Arms-branch kinds (binh chủng): air defence to medical.
    pub fn is_arms_branch(self) -> bool {
        !matches!(
            self,
            MilitiaKind::OnSite | MilitiaKind::Mobile | MilitiaKind::Standing | MilitiaKind::Maritime
        )
    }

    /// Whether the kind exists for the force. Standing militia is a militia force stationed in key
    /// defence areas (Art. 2.4, Art. 6.3); the brief names no standing self-defence.
    pub fn allowed_for(self, force: ForceType) -> bool {
        !(self == MilitiaKind::Standing && force == ForceType::SelfDefense)
    }
}

/// Unit echelon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Echelon {
    /// tổ
    Team,
    /// tiểu đội
    Squad,
    /// khẩu đội: squad level, for artillery
    GunCrew,
    /// trung đội
    Platoon,
    /// đại đội
    Company,
    /// hải đội: company level, maritime
    NavalSquadron,
    /// tiểu đoàn
    Battalion,
    /// hải đoàn: battalion level, maritime
    NavalGroup,
}

impl Echelon {
    pub const ALL: [Echelon; 8] = [
        Echelon::Team,
        Echelon::Squad,
        Echelon::GunCrew,
        Echelon::Platoon,
        Echelon::Company,
        Echelon::NavalSquadron,
        Echelon::Battalion,
        Echelon::NavalGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Echelon::Team => "team",
            Echelon::Squad => "squad",
            Echelon::GunCrew => "gun_crew",
            Echelon::Platoon => "platoon",
            Echelon::Company => "company",
            Echelon::NavalSquadron => "naval_squadron",
            Echelon::Battalion => "battalion",
            Echelon::NavalGroup => "naval_group",
        }
    }

    pub fn parse(s: &str) -> Result<Echelon, String> {
        Echelon::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("Cấp đơn vị \"{s}\" không hợp lệ."))
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Echelon::Team => "Tổ",
            Echelon::Squad => "Tiểu đội",
            Echelon::GunCrew => "Khẩu đội",
            Echelon::Platoon => "Trung đội",
            Echelon::Company => "Đại đội",
            Echelon::NavalSquadron => "Hải đội",
            Echelon::Battalion => "Tiểu đoàn",
            Echelon::NavalGroup => "Hải đoàn",
        }
    }

    /// Level for nesting: team 1, squad/gun crew 2, platoon 3, company/hải đội 4, battalion/hải đoàn 5.
    pub fn level(self) -> u8 {
        match self {
            Echelon::Team => 1,
            Echelon::Squad | Echelon::GunCrew => 2,
            Echelon::Platoon => 3,
            Echelon::Company | Echelon::NavalSquadron => 4,
            Echelon::Battalion | Echelon::NavalGroup => 5,
        }
    }

    /// Whether a unit of this echelon may be organised for the kind: hải đội and hải đoàn are the
    /// maritime forms of company and battalion, khẩu đội the artillery form of squad.
    pub fn allowed_for(self, kind: MilitiaKind) -> bool {
        match self {
            Echelon::NavalSquadron | Echelon::NavalGroup => kind == MilitiaKind::Maritime,
            Echelon::GunCrew => kind == MilitiaKind::Artillery,
            Echelon::Company | Echelon::Battalion => kind != MilitiaKind::Maritime,
            _ => true,
        }
    }

    /// Whether `child` may sit directly under `self`.
    pub fn may_contain(self, child: Echelon) -> bool {
        child.level() < self.level()
    }
}

/// Commander posts of militia and self-defence units (Art. 19.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommanderPost {
    BattalionCommander,
    BattalionPoliticalOfficer,
    BattalionDeputyCommander,
    BattalionDeputyPoliticalOfficer,
    CompanyCommander,
    CompanyPoliticalOfficer,
    CompanyDeputyCommander,
    CompanyDeputyPoliticalOfficer,
    PlatoonLeader,
    SquadLeader,
    BoatCaptain,
    GunCrewLeader,
    /// thôn đội trưởng: also commands the village's on-site militia unit.
    VillageMilitiaLeader,
}

impl CommanderPost {
    pub const ALL: [CommanderPost; 13] = [
        CommanderPost::BattalionCommander,
        CommanderPost::BattalionPoliticalOfficer,
        CommanderPost::BattalionDeputyCommander,
        CommanderPost::BattalionDeputyPoliticalOfficer,
        CommanderPost::CompanyCommander,
        CommanderPost::CompanyPoliticalOfficer,
        CommanderPost::CompanyDeputyCommander,
        CommanderPost::CompanyDeputyPoliticalOfficer,
        CommanderPost::PlatoonLeader,
        CommanderPost::SquadLeader,
        CommanderPost::BoatCaptain,
        CommanderPost::GunCrewLeader,
        CommanderPost::VillageMilitiaLeader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommanderPost::BattalionCommander => "battalion_commander",
            CommanderPost::BattalionPoliticalOfficer => "battalion_political_officer",
            CommanderPost::BattalionDeputyCommander => "battalion_deputy_commander",
            CommanderPost::BattalionDeputyPoliticalOfficer => "battalion_deputy_political_officer",
            CommanderPost::CompanyCommander => "company_commander",
            CommanderPost::CompanyPoliticalOfficer => "company_political_officer",
            CommanderPost::CompanyDeputyCommander => "company_deputy_commander",
            CommanderPost::CompanyDeputyPoliticalOfficer => "company_deputy_political_officer",
            CommanderPost::PlatoonLeader => "platoon_leader",
            CommanderPost::SquadLeader => "squad_leader",
            CommanderPost::BoatCaptain => "boat_captain",
            CommanderPost::GunCrewLeader => "gun_crew_leader",
            CommanderPost::VillageMilitiaLeader => "village_militia_leader",
        }
    }

    pub fn parse(s: &str) -> Result<CommanderPost, String> {
        CommanderPost::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("Chức vụ chỉ huy \"{s}\" không hợp lệ."))
    }

    /// Vietnamese title; `maritime` gives the hải đoàn / hải đội forms.
    pub fn label_vi(self, maritime: bool) -> &'static str {
        use CommanderPost::*;
        match (self, maritime) {
            (BattalionCommander, false) => "Tiểu đoàn trưởng",
            (BattalionCommander, true) => "Hải đoàn trưởng",
            (BattalionPoliticalOfficer, false) => "Chính trị viên tiểu đoàn",
            (BattalionPoliticalOfficer, true) => "Chính trị viên hải đoàn",
            (BattalionDeputyCommander, false) => "Tiểu đoàn phó",
            (BattalionDeputyCommander, true) => "Hải đoàn phó",
            (BattalionDeputyPoliticalOfficer, false) => "Chính trị viên phó tiểu đoàn",
            (BattalionDeputyPoliticalOfficer, true) => "Chính trị viên phó hải đoàn",
            (CompanyCommander, false) => "Đại đội trưởng",
            (CompanyCommander, true) => "Hải đội trưởng",
            (CompanyPoliticalOfficer, false) => "Chính trị viên đại đội",
            (CompanyPoliticalOfficer, true) => "Chính trị viên hải đội",
            (CompanyDeputyCommander, false) => "Đại đội phó",
            (CompanyDeputyCommander, true) => "Hải đội phó",
            (CompanyDeputyPoliticalOfficer, false) => "Chính trị viên phó đại đội",
            (CompanyDeputyPoliticalOfficer, true) => "Chính trị viên phó hải đội",
            (PlatoonLeader, _) => "Trung đội trưởng",
            (SquadLeader, _) => "Tiểu đội trưởng",
            (BoatCaptain, _) => "Thuyền trưởng",
            (GunCrewLeader, _) => "Khẩu đội trưởng",
            (VillageMilitiaLeader, _) => "Thôn đội trưởng",
        }
    }

    /// The echelon the post commands (the village militia leader commands the on-site unit of the
    /// village; the brief does not fix its echelon, so `None`).
    pub fn echelon(self) -> Option<Echelon> {
        use CommanderPost::*;
        match self {
            BattalionCommander
            | BattalionPoliticalOfficer
            | BattalionDeputyCommander
            | BattalionDeputyPoliticalOfficer => Some(Echelon::Battalion),
            CompanyCommander | CompanyPoliticalOfficer | CompanyDeputyCommander | CompanyDeputyPoliticalOfficer => {
                Some(Echelon::Company)
            }
            PlatoonLeader => Some(Echelon::Platoon),
            SquadLeader | BoatCaptain => Some(Echelon::Squad),
            GunCrewLeader => Some(Echelon::GunCrew),
            VillageMilitiaLeader => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_labels() {
        for k in MilitiaKind::ALL {
            assert_eq!(MilitiaKind::parse(k.as_str()), Ok(k));
        }
        for e in Echelon::ALL {
            assert_eq!(Echelon::parse(e.as_str()), Ok(e));
        }
        for p in CommanderPost::ALL {
            assert_eq!(CommanderPost::parse(p.as_str()), Ok(p));
            assert!(!p.label_vi(true).is_empty());
        }
        assert_eq!(
            MilitiaKind::OnSite.full_label_vi(ForceType::Militia),
            "Dân quân tại chỗ"
        );
        assert_eq!(CommanderPost::CompanyCommander.label_vi(true), "Hải đội trưởng");
        assert_eq!(CommanderPost::VillageMilitiaLeader.label_vi(false), "Thôn đội trưởng");
        assert!(MilitiaKind::parse("navy").unwrap_err().contains("navy"));
    }

    #[test]
    fn echelon_rules() {
        assert!(Echelon::NavalSquadron.allowed_for(MilitiaKind::Maritime));
        assert!(!Echelon::NavalSquadron.allowed_for(MilitiaKind::Mobile));
        assert!(!Echelon::Company.allowed_for(MilitiaKind::Maritime));
        assert!(Echelon::GunCrew.allowed_for(MilitiaKind::Artillery));
        assert!(Echelon::Platoon.may_contain(Echelon::GunCrew));
        assert!(!Echelon::Squad.may_contain(Echelon::GunCrew));
        assert!(!MilitiaKind::Standing.allowed_for(ForceType::SelfDefense));
        assert!(MilitiaKind::Signals.is_arms_branch());
        assert!(!MilitiaKind::Maritime.is_arms_branch());
    }
}
