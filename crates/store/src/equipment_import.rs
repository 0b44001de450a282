//! Import of reserve equipment (PTKT) from rows with Vietnamese column headers, into one
//! commune command chosen on the form (equipment is registered where it is kept). Each row is
//! checked (kind, owner, plate unique in the province and in the file, capacity, condition) and its
//! errors reported by row, column and reason; all-or-nothing or valid rows only, as for the
//! reservist import; each piece and the import are audited.

use crate::citizens::{
    header_key as key, import_summary_vi, match_columns, ImportMode, KnownColumn, RowError, SourceRow,
};
use crate::error::StoreError;
use crate::reserve::{opt_text, text, EquipmentCondition};
use crate::scope::Scoped;
use phongthu_domain::auth::Permission;
use phongthu_domain::reserve::EquipmentKind;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// One column of the equipment import template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EquipmentColumn {
    pub header: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub example: &'static str,
    pub hint: &'static str,
}

const KIND: usize = 0;
const OWNER: usize = 1;
const PLATE: usize = 2;
const CAPACITY: usize = 3;
const CONDITION: usize = 4;

/// The columns of the equipment import template, in template order.
pub const EQUIPMENT_COLUMNS: &[EquipmentColumn] = &[
    EquipmentColumn {
        header: "Loại phương tiện",
        aliases: &["Loại", "Loại PTKT"],
        required: true,
        example: "Xe tải từ 2,5 tấn trở lên",
        hint: "Bắt buộc. Một trong các loại: Xe ô tô 9 chỗ hai cầu; Xe khách từ 10 chỗ trở lên; Xe tải từ 2,5 tấn trở lên; Xe chở xăng dầu; Xe cứu thương; Xe chuyên dùng đường bộ; Máy thi công đường, cầu; Thiết bị xếp dỡ; Phương tiện đường sắt; Phương tiện thủy nội địa; Tàu biển; Tàu bay; Thiết bị thông tin liên lạc; Trang thiết bị y tế.",
    },
    EquipmentColumn {
        header: "Chủ phương tiện",
        aliases: &["Chủ sở hữu", "Tên chủ phương tiện"],
        required: true,
        example: "Công ty TNHH Vận tải Phố Hiến",
        hint: "Bắt buộc. Tên cá nhân hoặc tổ chức.",
    },
    EquipmentColumn {
        header: "Biển số",
        aliases: &["Biển kiểm soát", "Số đăng ký", "Biển số hoặc số đăng ký"],
        required: true,
        example: "89C-123.45",
        hint: "Bắt buộc. Không trùng với phương tiện đã đăng ký trong tỉnh.",
    },
    EquipmentColumn {
        header: "Trọng tải, sức chứa",
        aliases: &["Trọng tải", "Sức chứa", "Trọng tải/sức chứa"],
        required: false,
        example: "8 tấn",
        hint: "",
    },
    EquipmentColumn {
        header: "Tình trạng kỹ thuật",
        aliases: &["Tình trạng"],
        required: false,
        example: "Tốt",
        hint: "Tốt, Cần sửa chữa hoặc Hỏng; để trống là Tốt.",
    },
];

fn parse_kind(v: &str) -> Option<EquipmentKind> {
    let k = key(v);
    EquipmentKind::ALL
        .into_iter()
        .find(|e| key(e.label_vi()) == k || key(e.as_str()) == k)
}

fn parse_condition(v: &str) -> Option<EquipmentCondition> {
    let k = key(v);
    if k.starts_with("hong") {
        return Some(EquipmentCondition::OutOfService);
    }
    EquipmentCondition::ALL
        .into_iter()
        .find(|c| key(c.label_vi()) == k || key(c.as_str()) == k)
}

/// How the equipment import runs.
#[derive(Debug, Clone)]
pub struct EquipmentImportOptions {
    /// The commune command where the equipment is registered.
    pub unit_id: i64,
    pub mode: ImportMode,
    pub source_name: String,
}

/// What the equipment import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EquipmentImportReport {
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected_rows: u64,
    pub rejected: Vec<RowError>,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
}

impl EquipmentImportReport {
    pub fn summary_vi(&self) -> String {
        import_summary_vi(
            self.rows_read,
            self.rejected_rows,
            self.committed,
            format!(
                "Đã nhập {} phương tiện kỹ thuật dự bị từ {} dòng dữ liệu; {} dòng bị từ chối.",
                self.accepted, self.rows_read, self.rejected_rows
            ),
            "phương tiện nào",
            None,
            &self.ignored_columns,
        )
    }
}

impl Scoped<'_> {
    /// Imports reserve equipment into the commune command `opts.unit_id` (see the module
    /// documentation).
    pub async fn import_equipment(
        &self,
        headers: &[String],
        rows: Vec<SourceRow>,
        opts: &EquipmentImportOptions,
    ) -> Result<EquipmentImportReport, StoreError> {
        self.require(Permission::Write)?;
        let known: Vec<KnownColumn<'_>> = EQUIPMENT_COLUMNS
            .iter()
            .map(|c| KnownColumn {
                header: c.header,
                aliases: c.aliases,
                required: c.required,
            })
            .collect();
        let (col, ignored) = match_columns(headers, &known)?;
        let province = self.registry_unit(opts.unit_id).await.map_err(|e| match e {
            StoreError::Invalid(_) => StoreError::Invalid(
                "Phương tiện kỹ thuật dự bị được đăng ký tại Ban Chỉ huy Quân sự cấp xã: hãy chọn đơn vị cấp xã."
                    .into(),
            ),
            e => e,
        })?;
        let header_of = |i: usize| {
            col[i]
                .and_then(|j| headers.get(j))
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .unwrap_or_else(|| EQUIPMENT_COLUMNS[i].header.to_string())
        };
        let mut report = EquipmentImportReport {
            ignored_columns: ignored,
            ..Default::default()
        };
        let mut w = self.begin_write(Permission::Write).await?;
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut ids = vec![];
        for row in &rows {
            if row.cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            report.rows_read += 1;
            let cell = |i: usize| {
                col[i]
                    .and_then(|j| row.cells.get(j))
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
            };
            let mut errs: Vec<RowError> = vec![];
            let mut bad = |i: usize, value: Option<&str>, reason: String| {
                errs.push(RowError {
                    row: row.line,
                    column: Some(header_of(i)),
                    value: value.map(str::to_string),
                    reason_vi: reason,
                })
            };
            let kind = match cell(KIND) {
                None => {
                    bad(KIND, None, "Loại phương tiện không được để trống.".into());
                    None
                }
                Some(v) => parse_kind(v).or_else(|| {
                    bad(
                        KIND,
                        Some(v),
                        format!("Loại phương tiện \"{v}\" không có trong danh mục (xem trang Hướng dẫn của tệp mẫu)."),
                    );
                    None
                }),
            };
            let owner = text(cell(OWNER).unwrap_or(""), "chủ phương tiện", 200)
                .map_err(|e| bad(OWNER, cell(OWNER), e.to_string()))
                .ok();
            let plate = text(cell(PLATE).unwrap_or(""), "biển số hoặc số đăng ký", 40)
                .map_err(|e| bad(PLATE, cell(PLATE), e.to_string()))
                .ok()
                .map(|p| p.to_uppercase());
            let capacity = opt_text(cell(CAPACITY), "trọng tải, sức chứa", 100)
                .map_err(|e| bad(CAPACITY, cell(CAPACITY), e.to_string()))
                .ok()
                .flatten();
            let condition = match cell(CONDITION) {
                None => Some(EquipmentCondition::Good),
                Some(v) => parse_condition(v).or_else(|| {
                    bad(
                        CONDITION,
                        Some(v),
                        format!("Tình trạng \"{v}\" không hợp lệ: ghi Tốt, Cần sửa chữa hoặc Hỏng."),
                    );
                    None
                }),
            };
            if let Some(p) = &plate {
                if let Some(first) = seen.get(p) {
                    bad(
                        PLATE,
                        Some(p.as_str()),
                        format!("Biển số {p} trùng với dòng {first} của tệp."),
                    );
                } else {
                    let taken = sqlx::query("SELECT 1 FROM reserve_equipment WHERE province_code = $1 AND plate = $2")
                        .bind(&province)
                        .bind(p)
                        .fetch_optional(&mut *w.tx)
                        .await?;
                    if taken.is_some() {
                        bad(
                            PLATE,
                            Some(p.as_str()),
                            format!("Biển số {p} đã được đăng ký trong tỉnh."),
                        );
                    }
                    seen.insert(p.clone(), row.line);
                }
            }
            let (Some(kind), Some(owner), Some(plate), Some(condition), true) =
                (kind, owner, plate, condition, errs.is_empty())
            else {
                report.rejected_rows += 1;
                report.rejected.extend(errs.into_iter().map(RowError::bounded));
                continue;
            };
            let id: i64 = sqlx::query(
                "INSERT INTO reserve_equipment (unit_id, province_code, kind, owner, plate, capacity, condition, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(opts.unit_id)
            .bind(&province)
            .bind(kind.as_str())
            .bind(&owner)
            .bind(&plate)
            .bind(&capacity)
            .bind(condition.as_str())
            .bind(crate::now_text())
            .fetch_one(&mut *w.tx)
            .await?
            .get(0);
            w.audit(
                "create",
                "reserve_equipment",
                &id.to_string(),
                Some(opts.unit_id),
                None,
                Some(&serde_json::json!({
                    "kind": kind.as_str(), "owner": owner, "plate": plate, "capacity": capacity,
                    "condition": condition.as_str(), "source": opts.source_name, "row": row.line
                })),
            )
            .await?;
            ids.push(id);
            report.accepted += 1;
        }
        if opts.mode == ImportMode::AllOrNothing && report.rejected_rows > 0 {
            drop(w);
            report.accepted = 0;
            report.committed = false;
            return Ok(report);
        }
        w.audit(
            "import",
            "equipment_import",
            &opts.source_name,
            Some(opts.unit_id),
            None,
            Some(&serde_json::json!({
                "source": opts.source_name, "mode": opts.mode, "rows_read": report.rows_read,
                "accepted": report.accepted, "rejected": report.rejected_rows, "ids": ids
            })),
        )
        .await?;
        w.commit().await?;
        // A bulk write: the SQLite log goes back into the file and is truncated.
        self.store.settle_wal().await;
        report.committed = true;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_conditions_by_label_or_code() {
        assert_eq!(parse_kind("xe tai tu 2,5 tan tro len"), Some(EquipmentKind::Truck));
        assert_eq!(parse_kind("Xe cứu thương"), Some(EquipmentKind::Ambulance));
        assert_eq!(parse_kind("truck"), Some(EquipmentKind::Truck));
        assert_eq!(parse_kind("Xe máy"), None);
        assert_eq!(parse_condition("Tốt"), Some(EquipmentCondition::Good));
        assert_eq!(parse_condition("cần sửa chữa"), Some(EquipmentCondition::NeedsRepair));
        assert_eq!(parse_condition("Hỏng"), Some(EquipmentCondition::OutOfService));
        assert_eq!(parse_condition("mới"), None);
    }
}
