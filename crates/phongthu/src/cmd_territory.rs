//! `phongthu territory show|list|load`: the administrative units and their history, from the
//! bundled data (no database needed except for `load`).

use crate::config::Settings;
use crate::{CmdResult, Failure};
use clap::Subcommand;
use phongthu_domain::territory::{AdminUnit, Level, Territory};
use serde::Serialize;
use time::Date;

#[derive(Subcommand)]
pub enum TerritoryCommand {
    /// Xem một đơn vị hành chính và lịch sử của nó / Show a unit and its history
    Show {
        /// Mã đơn vị / official code
        code: String,
        /// Ngày tra cứu YYYY-MM-DD (mặc định hôm nay) / date, default today
        #[arg(long)]
        on: Option<String>,
        /// province | district | commune
        #[arg(long)]
        level: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Liệt kê đơn vị theo cấp / List units of a level
    List {
        /// province | district | commune
        #[arg(long)]
        level: String,
        #[arg(long)]
        on: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Nạp lại dữ liệu địa giới vào cơ sở dữ liệu / Reload the bundled units into the database
    Load,
}

#[derive(Serialize)]
struct UnitJson<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    level: &'a str,
    parent: Option<&'a str>,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

fn unit_json(u: &AdminUnit) -> UnitJson<'_> {
    UnitJson {
        code: &u.code,
        name: &u.name,
        kind: u.kind.as_str(),
        level: u.level.as_str(),
        parent: u.parent_code.as_deref(),
        valid_from: u.valid_from.map(|d| d.to_string()),
        valid_to: u.valid_to.map(|d| d.to_string()),
    }
}

pub fn parse_date(s: Option<&str>) -> Result<Date, Failure> {
    match s {
        None => Ok(time::OffsetDateTime::now_utc().date()),
        Some(s) => Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| Failure {
            code: 2,
            message: format!("Ngày \"{s}\" không hợp lệ: dùng dạng YYYY-MM-DD (invalid date)."),
        }),
    }
}

pub fn parse_level(s: &str) -> Result<Level, Failure> {
    Level::parse(s).ok_or_else(|| Failure {
        code: 2,
        message: format!("Cấp \"{s}\" không hợp lệ: dùng province, district hoặc commune."),
    })
}

fn vi_date(d: Option<Date>) -> String {
    d.map(phongthu_domain::dates::vi_date).unwrap_or_else(|| "—".into())
}

pub async fn run(settings: &Settings, cmd: TerritoryCommand) -> CmdResult {
    let t = Territory::bundled();
    match cmd {
        TerritoryCommand::Show { code, on, level, json } => {
            let on = parse_date(on.as_deref())?;
            let level = level.as_deref().map(parse_level).transpose()?;
            let u = t.unit_on(&code, level, on).ok_or_else(|| Failure {
                code: 2,
                message: format!(
                    "Không có đơn vị hành chính mã \"{code}\" vào ngày {}.",
                    vi_date(Some(on))
                ),
            })?;
            let children = t.children_on(u, on);
            let history = t.history(u);
            if json {
                let v = serde_json::json!({
                    "unit": unit_json(u),
                    "children": children.iter().map(|c| unit_json(c)).collect::<Vec<_>>(),
                    "predecessors": t.predecessors(u).iter().map(|(p, partial)| serde_json::json!({"unit": unit_json(p), "partial": partial})).collect::<Vec<_>>(),
                    "successors": t.successors(u).iter().map(|(s, partial)| serde_json::json!({"unit": unit_json(s), "partial": partial})).collect::<Vec<_>>(),
                    "history": history.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{} {} (mã {})", u.kind.label_vi(), u.name, u.code);
                println!("Hiệu lực: {} – {}", vi_date(u.valid_from), vi_date(u.valid_to));
                if let Some(p) = u.parent_code.as_deref().and_then(|p| t.unit_on(p, None, on)) {
                    println!("Trực thuộc: {} {} ({})", p.kind.label_vi(), p.name, p.code);
                }
                for h in history {
                    println!("- {h}");
                }
                if !children.is_empty() {
                    println!("Đơn vị trực thuộc ngày {} ({}):", vi_date(Some(on)), children.len());
                    for c in children {
                        println!("  {:<6} {} {}", c.code, c.kind.label_vi(), c.name);
                    }
                }
            }
        }
        TerritoryCommand::List { level, on, json } => {
            let on = parse_date(on.as_deref())?;
            let level = parse_level(&level)?;
            let units = t.list(level, on);
            if json {
                let v: Vec<_> = units.iter().map(|u| unit_json(u)).collect();
                println!("{}", serde_json::to_string(&v)?);
            } else {
                for u in &units {
                    println!("{:<6} {:<12} {}", u.code, u.kind.label_vi(), u.name);
                }
                eprintln!("{} đơn vị.", units.len());
            }
        }
        TerritoryCommand::Load => {
            let store = crate::cmd_admin::open(settings).await?;
            let r = store.load_territory(t, true).await?;
            println!(
                "Đã nạp {} đơn vị hành chính và {} quan hệ sắp xếp.",
                r.units, r.successions
            );
        }
    }
    Ok(())
}
