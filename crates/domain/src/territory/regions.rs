//! Military regions and the Capital Command with today's provinces (law brief §8).
//!
//! The brief gives the regions' pre-2025 provinces, partly unconfirmed. Today's mapping below is
//! derived from it: a merged province goes with the region of its components. Where the brief
//! marks a list UNCONFIRMED, or where the components came from two regions (Lâm Đồng: Lâm Đồng and
//! Bình Thuận of MR7, Đắk Nông of MR5), the entry carries `confirmed: false`; the store seeds it
//! with a note and administrators can move a provincial command to another region.

/// A province (by today's code) in a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionProvince {
    pub code: &'static str,
    pub confirmed: bool,
}

/// A military region or the Capital Command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MilitaryRegion {
    pub code: &'static str,
    pub name: &'static str,
    pub provinces: &'static [RegionProvince],
}

impl MilitaryRegion {
    /// The Hanoi Capital Command: directly under the Ministry, commanding the city itself.
    pub fn is_capital_command(&self) -> bool {
        self.code == "BTLTD"
    }
}

const fn p(code: &'static str, confirmed: bool) -> RegionProvince {
    RegionProvince { code, confirmed }
}

static REGIONS: &[MilitaryRegion] = &[
    MilitaryRegion {
        code: "BTLTD",
        name: "Bộ Tư lệnh Thủ đô Hà Nội",
        provinces: &[p("01", true)],
    },
    // MR1: the brief marks its list UNCONFIRMED.
    MilitaryRegion {
        code: "QK1",
        name: "Quân khu 1",
        provinces: &[p("04", false), p("19", false), p("20", false), p("24", false)],
    },
    MilitaryRegion {
        code: "QK2",
        name: "Quân khu 2",
        provinces: &[
            p("08", true),
            p("11", true),
            p("12", true),
            p("14", true),
            p("15", true),
            p("25", true),
        ],
    },
    MilitaryRegion {
        code: "QK3",
        name: "Quân khu 3",
        provinces: &[p("22", true), p("31", true), p("33", true), p("37", true)],
    },
    // MR4: UNCONFIRMED in the brief.
    MilitaryRegion {
        code: "QK4",
        name: "Quân khu 4",
        provinces: &[
            p("38", false),
            p("40", false),
            p("42", false),
            p("44", false),
            p("46", false),
        ],
    },
    // MR5: Đà Nẵng, Quảng Ngãi and Gia Lai are named in the MR5 sources; Khánh Hòa and Đắk Lắk
    // follow from their components.
    MilitaryRegion {
        code: "QK5",
        name: "Quân khu 5",
        provinces: &[
            p("48", true),
            p("51", true),
            p("52", true),
            p("56", false),
            p("66", false),
        ],
    },
    // MR7: HCMC, Đồng Nai and Tây Ninh are named in the MR7 sources; Lâm Đồng has components from
    // MR5 and MR7.
    MilitaryRegion {
        code: "QK7",
        name: "Quân khu 7",
        provinces: &[p("68", false), p("75", true), p("79", true), p("80", true)],
    },
    // MR9: UNCONFIRMED in the brief ("the 12 Mekong Delta provinces and cities").
    MilitaryRegion {
        code: "QK9",
        name: "Quân khu 9",
        provinces: &[
            p("82", false),
            p("86", false),
            p("91", false),
            p("92", false),
            p("96", false),
        ],
    },
];

/// The seven military regions and the Capital Command.
pub fn military_regions() -> &'static [MilitaryRegion] {
    REGIONS
}
