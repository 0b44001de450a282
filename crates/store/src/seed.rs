//! Seed data written at bootstrap: military regions, the Capital Command and the provincial
//! commands of today's 34 provinces, per the law brief's best-known mapping (§8). Mappings the
//! brief marks UNCONFIRMED are stored with a note, and administrators can move a provincial
//! command to another region.

use crate::error::StoreError;
use crate::org::NewOrgUnit;
use crate::scope::WriteTx;
use phongthu_domain::org::OrgKind;
use phongthu_domain::territory::{military_regions, Level, Territory};

pub(crate) const UNCONFIRMED_NOTE: &str = "Trực thuộc quân khu theo thông tin chưa được xác nhận chính thức.";

pub(crate) async fn seed_regions(w: &mut WriteTx<'_>, root_id: i64) -> Result<(), StoreError> {
    let t = Territory::bundled();
    let today = time::OffsetDateTime::now_utc().date();
    let on = today.max(phongthu_domain::territory::REFORM_DATE);
    for region in military_regions() {
        let capital = region.is_capital_command();
        let region_id = w
            .insert_org_unit(&NewOrgUnit {
                parent_id: Some(root_id),
                kind: if capital {
                    OrgKind::CapitalCommand
                } else {
                    OrgKind::MilitaryRegion
                },
                name: region.name.to_string(),
                code: Some(region.code.to_string()),
                admin_code: if capital {
                    region.provinces.first().map(|p| p.code.to_string())
                } else {
                    None
                },
                province_code: if capital {
                    region.provinces.first().map(|p| p.code.to_string())
                } else {
                    None
                },
                note: None,
            })
            .await?;
        if capital {
            continue;
        }
        for p in region.provinces {
            let Some(province) = t.unit_on(p.code, Some(Level::Province), on) else {
                continue;
            };
            w.insert_org_unit(&NewOrgUnit {
                parent_id: Some(region_id),
                kind: OrgKind::ProvincialCommand,
                name: format!("Bộ Chỉ huy Quân sự {}", province.name_in_sentence()),
                code: None,
                admin_code: Some(province.code.clone()),
                province_code: Some(province.code.clone()),
                note: (!p.confirmed).then(|| UNCONFIRMED_NOTE.to_string()),
            })
            .await?;
        }
    }
    Ok(())
}
