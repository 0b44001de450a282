//! `phongthu registry`: the military-service citizen registry from the command line — import from
//! Excel/CSV with a progress bar, export to Excel/CSV, the import template, and the registration
//! lists (who must register, who is late, possible duplicates).
//!
//! The command line acts as the system actor (an administrator at the root), like `phongthu user`.

use crate::config::Settings;
use crate::{CmdResult, Failure};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use phongthu_documents::tabular::{ColumnSpec, CsvWriter, TabularReader, XlsxWriter};
use phongthu_domain::nvqs::Sex;
use phongthu_store::{
    citizen_export_row, CitizenFilter, ImportMode, ImportObserver, ImportOptions, ImportProgress, RowError, SourceRow,
    CITIZEN_COLUMNS,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Nhập hồ sơ công dân từ tệp Excel (.xlsx) hoặc CSV / Import citizen records
    Import {
        /// Tệp .xlsx hoặc .csv (UTF-8) có dòng tiêu đề như tệp mẫu / the file
        file: PathBuf,
        /// Mã số Ban CHQS cấp xã nhận hồ sơ (xem `phongthu user units`) / commune command id
        #[arg(long)]
        unit: i64,
        /// Chỉ nhập các dòng hợp lệ (mặc định: có một dòng lỗi thì không nhập gì) / import valid rows only
        #[arg(long)]
        valid_only: bool,
        /// Ghi các dòng bị từ chối kèm lý do ra tệp .xlsx này / write rejected rows to this .xlsx
        #[arg(long, value_name = "TỆP")]
        rejects: Option<PathBuf>,
    },
    /// Xuất danh sách công dân ra Excel (.xlsx) hoặc CSV / Export citizens
    Export {
        /// Tệp kết quả, .xlsx hoặc .csv / output file
        out: PathBuf,
        /// Chỉ một đơn vị / one unit only
        #[arg(long)]
        unit: Option<i64>,
        /// Tìm theo tên (không cần dấu) hoặc đầu số định danh / name or ID prefix
        #[arg(long)]
        query: Option<String>,
        /// Năm sinh / birth year
        #[arg(long)]
        birth_year: Option<i32>,
        /// nam | nữ
        #[arg(long)]
        sex: Option<String>,
    },
    /// Ghi tệp mẫu nhập hồ sơ (.xlsx) / Write the import template
    Template {
        /// Tệp kết quả / output file
        #[arg(default_value = "mau-nhap-cong-dan.xlsx")]
        out: PathBuf,
    },
    /// Danh sách nam công dân phải đăng ký NVQS lần đầu trong năm / Who must register in a year
    MustRegister {
        #[arg(long)]
        year: i32,
    },
    /// Danh sách chưa đăng ký lần đầu dù đã quá hạn / Who is late
    Late {
        #[arg(long)]
        year: i32,
    },
    /// Hồ sơ nghi trùng (cùng họ tên, ngày sinh, xã thường trú) / Possible duplicates
    Duplicates,
}

pub async fn run(settings: &Settings, cmd: RegistryCommand) -> CmdResult {
    match cmd {
        RegistryCommand::Import {
            file,
            unit,
            valid_only,
            rejects,
        } => import_citizens(settings, &file, unit, valid_only, rejects.as_deref()).await,
        RegistryCommand::Export {
            out,
            unit,
            query,
            birth_year,
            sex,
        } => {
            let sex = match sex.as_deref().map(|s| phongthu_domain::text::fold(s.trim())) {
                None => None,
                Some(s) if s == "nam" || s == "male" => Some(Sex::Male),
                Some(s) if s == "nu" || s == "female" => Some(Sex::Female),
                Some(_) => {
                    return Err(Failure {
                        code: 2,
                        message: "Giới tính phải là \"nam\" hoặc \"nữ\".".into(),
                    })
                }
            };
            let filter = CitizenFilter {
                query,
                unit_id: unit,
                birth_year,
                sex,
            };
            export_citizens(settings, &out, &filter).await
        }
        RegistryCommand::Template { out } => {
            std::fs::write(&out, phongthu_web::citizen_import_template_xlsx()?)
                .map_err(|e| format!("Không ghi được tệp \"{}\": {e}.", out.display()))?;
            println!("Đã ghi tệp mẫu {}.", out.display());
            Ok(())
        }
        RegistryCommand::MustRegister { year } => {
            let store = crate::cmd_admin::open(settings).await?;
            let actor = store.system_actor().await?;
            let list = store.scoped(&actor).must_register(year).await?;
            for c in &list {
                println!(
                    "{}\t{}\t{}\t{}",
                    c.id,
                    c.full_name,
                    vi(c.birth_date),
                    c.national_id.as_deref().unwrap_or("")
                );
            }
            println!(
                "{} công dân phải đăng ký nghĩa vụ quân sự lần đầu năm {year}.",
                list.len()
            );
            Ok(())
        }
        RegistryCommand::Late { year } => {
            let store = crate::cmd_admin::open(settings).await?;
            let actor = store.system_actor().await?;
            let today = time::OffsetDateTime::now_utc().date();
            let list = store.scoped(&actor).late_registrations(year, today).await?;
            for l in &list {
                println!(
                    "{}\t{}\t{}\thạn {}\tquá {} ngày",
                    l.citizen.id,
                    l.citizen.full_name,
                    vi(l.citizen.birth_date),
                    vi(l.due_date),
                    l.days_late
                );
            }
            println!("{} công dân quá hạn đăng ký nghĩa vụ quân sự lần đầu.", list.len());
            Ok(())
        }
        RegistryCommand::Duplicates => {
            let store = crate::cmd_admin::open(settings).await?;
            let actor = store.system_actor().await?;
            let groups = store.scoped(&actor).duplicates().await?;
            for g in &groups {
                let ids: Vec<String> = g.citizens.iter().map(|c| c.id.to_string()).collect();
                println!(
                    "{}\t{}\txã {}\thồ sơ số {}",
                    g.citizens[0].full_name,
                    vi(g.birth_date),
                    g.permanent_commune_code.as_deref().unwrap_or("?"),
                    ids.join(", ")
                );
            }
            println!(
                "{} nhóm hồ sơ nghi trùng (không tự gộp; hãy kiểm tra từng nhóm).",
                groups.len()
            );
            Ok(())
        }
    }
}

use phongthu_domain::dates::vi_date as vi;

/// The column that the file of rejects adds after the file's own columns.
const REJECT_REASON_HEADER: &str = "Lý do bị từ chối";

struct CliObserver {
    bar: ProgressBar,
    rejects: Option<XlsxWriter>,
    write_error: Option<String>,
}

impl ImportObserver for CliObserver {
    fn progress(&mut self, p: &ImportProgress) {
        self.bar.set_position(p.rows_read);
        self.bar.set_message(format!("hợp lệ {}, lỗi {}", p.valid, p.rejected));
    }

    fn rejected(&mut self, row: &SourceRow, errors: &[RowError]) {
        if let Some(w) = &mut self.rejects {
            let mut cells = row.cells.clone();
            cells.push(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "));
            if let Err(e) = w.push(&cells) {
                self.write_error.get_or_insert(e.to_string());
            }
        }
    }
}

/// `phongthu registry import FILE --unit ID [--valid-only] [--rejects FILE]`.
pub async fn import_citizens(
    settings: &Settings,
    file: &Path,
    unit: i64,
    valid_only: bool,
    rejects_out: Option<&Path>,
) -> CmdResult {
    let reader = TabularReader::open(file)?;
    let headers = reader.headers.clone();
    let store = crate::cmd_admin::open(settings).await?;
    let actor = store.system_actor().await?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {human_pos} dòng ({per_sec}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let rejects = match rejects_out {
        None => None,
        Some(_) => {
            let mut specs: Vec<ColumnSpec<'_>> = headers
                .iter()
                .map(|h| ColumnSpec {
                    header: h.as_str(),
                    text: true,
                    width: 0.0,
                })
                .collect();
            specs.push(ColumnSpec {
                header: REJECT_REASON_HEADER,
                text: false,
                width: 80.0,
            });
            Some(XlsxWriter::new("Dòng bị từ chối", &specs)?)
        }
    };
    let mut obs = CliObserver {
        bar,
        rejects,
        write_error: None,
    };
    let opts = ImportOptions {
        unit_id: unit,
        mode: if valid_only {
            ImportMode::ValidOnly
        } else {
            ImportMode::AllOrNothing
        },
        source_name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let rows = reader.map(|r| {
        r.map(|r| SourceRow {
            line: r.line,
            cells: r.cells,
        })
        .map_err(|e| e.to_string())
    });
    let result = store
        .scoped(&actor)
        .import_citizens(&headers, rows, &opts, &mut obs)
        .await;
    obs.bar.finish_and_clear();
    let report = result?;
    for e in report.rejected.iter().take(30) {
        eprintln!("{e}");
    }
    if report.rejected.len() > 30 || report.errors_truncated {
        eprintln!("… và các lỗi khác ({} dòng bị từ chối).", report.rejected_rows);
    }
    if let (Some(path), Some(w)) = (rejects_out, obs.rejects.take()) {
        if report.rejected_rows > 0 {
            // The count said is the rows the file holds, never the rows refused.
            let written = u64::from(w.rows());
            w.save(path)?;
            println!("Đã ghi {written} dòng bị từ chối kèm lý do vào {}.", path.display());
            if written < report.rejected_rows {
                eprintln!(
                    "Không ghi đủ tệp dòng bị từ chối: {} trong {} dòng bị từ chối không ghi được ({}).",
                    report.rejected_rows - written,
                    report.rejected_rows,
                    obs.write_error.as_deref().unwrap_or("không rõ lý do")
                );
            }
        }
    }
    if report.committed {
        println!("{}", report.summary_vi());
        Ok(())
    } else {
        Err(Failure {
            code: 2,
            message: report.summary_vi(),
        })
    }
}

/// `phongthu registry export OUT [filters]`: .xlsx, or .csv (UTF-8 with a byte-order mark so that
/// Excel shows the Vietnamese letters). Reads the list in pages; the CSV is written as it goes.
pub async fn export_citizens(settings: &Settings, out: &Path, filter: &CitizenFilter) -> CmdResult {
    let store = crate::cmd_admin::open(settings).await?;
    let actor = store.system_actor().await?;
    let scoped = store.scoped(&actor);
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {human_pos} hồ sơ ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let csv_out = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let headers: Vec<&str> = CITIZEN_COLUMNS.iter().map(|c| c.header).collect();
    let write_err = |e: &dyn std::fmt::Display| {
        phongthu_store::StoreError::Invalid(format!("Không ghi được tệp \"{}\": {e}.", out.display()))
    };
    let n = if csv_out {
        let mut w = CsvWriter::create(out, &headers)?;
        let n = scoped
            .for_each_citizen(filter, 2000, |c| {
                bar.inc(1);
                w.push(&citizen_export_row(c)).map_err(|e| write_err(&e))
            })
            .await?;
        w.finish()?;
        n
    } else {
        let specs: Vec<ColumnSpec<'_>> = CITIZEN_COLUMNS
            .iter()
            .map(|c| ColumnSpec {
                header: c.header,
                text: c.text_format,
                width: 0.0,
            })
            .collect();
        let mut w = XlsxWriter::new("Danh sách công dân", &specs)?;
        let n = scoped
            .for_each_citizen(filter, 2000, |c| {
                bar.inc(1);
                w.push(&citizen_export_row(c)).map_err(|e| write_err(&e))
            })
            .await?;
        w.save(out)?;
        n
    };
    bar.finish_and_clear();
    println!("Đã xuất {n} hồ sơ công dân ra {}.", out.display());
    Ok(())
}
