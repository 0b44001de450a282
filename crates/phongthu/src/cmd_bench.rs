//! `phongthu bench`: measurements on generated or bundled data, reported as figures (never as
//! pass/fail tests). Results are recorded in docs/PERFORMANCE.md with the machine and command.

use crate::config::Settings;
use crate::CmdResult;
use clap::Subcommand;
use phongthu_domain::territory::{Level, Territory, REFORM_DATE};
use std::hint::black_box;
use std::time::Instant;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Nạp toàn bộ địa giới vào cơ sở dữ liệu (--database) và đo tra cứu trong bộ nhớ /
    /// load the territory into the database and time in-memory lookups
    Territory {
        /// Số lần nạp / load repetitions
        #[arg(long, default_value_t = 3)]
        repeat: u32,
    },
    /// Sinh sổ đăng ký công dân của một tỉnh (CSV, XLSX) rồi đo thời gian nhập vào SQLite và
    /// PostgreSQL (--pg) / generate a province's citizen registry and time its import
    Import(ImportBench),
}

pub async fn run(settings: &Settings, cmd: BenchCommand) -> CmdResult {
    match cmd {
        BenchCommand::Territory { repeat } => territory(settings, repeat).await,
        BenchCommand::Import(args) => import(settings, args).await,
    }
}

async fn territory(settings: &Settings, repeat: u32) -> CmdResult {
    let t0 = Instant::now();
    let t = Territory::bundled();
    println!(
        "decode bundled territory: {:.1} ms ({} units)",
        t0.elapsed().as_secs_f64() * 1e3,
        t.units().len()
    );

    let store = phongthu_store::Store::open(&settings.database_url, phongthu_store::OpenOptions::default()).await?;
    for i in 0..repeat {
        let start = Instant::now();
        let r = store.load_territory(t, true).await?;
        println!(
            "load #{} into {}: {:.3} s ({} units, {} successions)",
            i + 1,
            store.description(),
            start.elapsed().as_secs_f64(),
            r.units,
            r.successions
        );
    }

    // In-memory lookups over every commune code, before and after the reform.
    let before = REFORM_DATE.previous_day().unwrap_or(REFORM_DATE);
    let old: Vec<&str> = t.list(Level::Commune, before).iter().map(|u| u.code.as_str()).collect();
    let new: Vec<&str> = t
        .list(Level::Commune, REFORM_DATE)
        .iter()
        .map(|u| u.code.as_str())
        .collect();
    let rounds = 50;
    let start = Instant::now();
    let mut n = 0u64;
    for _ in 0..rounds {
        for c in &old {
            black_box(t.unit_on(black_box(c), Some(Level::Commune), before));
            n += 1;
        }
    }
    let per = start.elapsed().as_secs_f64() / n as f64;
    println!(
        "unit_on (code meant on a date): {:.0} ns/op over {n} lookups",
        per * 1e9
    );
    let start = Instant::now();
    let mut n = 0u64;
    for _ in 0..rounds {
        for (i, c) in old.iter().enumerate() {
            // Split units need a choice; give the first new code as the user's choice when asked.
            let r = t.rollup_path(c, before, None);
            if r.is_err() {
                black_box(t.rollup_path(c, before, Some(new[i % new.len()])).ok());
            }
            n += 1;
        }
    }
    let per = start.elapsed().as_secs_f64() / n as f64;
    println!(
        "rollup_path (old commune → today's province): {:.0} ns/op over {n} calls",
        per * 1e9
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct ImportBench {
    /// Số dòng của tệp CSV / rows of the CSV file
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
    /// Số dòng của tệp XLSX (mặc định bằng --rows; 0: không đo XLSX) / rows of the XLSX file
    #[arg(long)]
    xlsx_rows: Option<u64>,
    /// Cứ N dòng có một dòng lỗi (0: không có) / one bad row every N rows
    #[arg(long, default_value_t = 0)]
    bad_every: u64,
    /// Chỉ sinh tệp vào thư mục này, không đo / only write the files into this directory
    #[arg(long, value_name = "THƯ-MỤC")]
    generate_only: Option<std::path::PathBuf>,
    /// Nhập các dòng hợp lệ (mặc định: tất cả hoặc không) / valid rows only
    #[arg(long)]
    valid_only: bool,
    /// (internal) the measured child: import this file into --database, print the figures
    #[arg(long, hide = true, requires = "unit")]
    run_file: Option<std::path::PathBuf>,
    #[arg(long, hide = true)]
    unit: Option<i64>,
}

/// Given names by sex, middle names by sex, family names: common Vietnamese names, with their
/// usual share roughly kept by repetition in the family list.
const FAMILY: &[&str] = &[
    "Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
    "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Đào", "Lương", "Mai", "Tạ", "Khúc",
];
const MIDDLE_M: &[&str] = &[
    "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thành", "Công", "Trọng", "Mạnh", "Gia", "Đình", "Tiến",
];
const MIDDLE_F: &[&str] = &[
    "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Phương", "Minh", "Hồng", "Kim", "Diệu",
];
const GIVEN_M: &[&str] = &[
    "Đức", "Hùng", "Dũng", "Tuấn", "Anh", "Hoàng", "Nam", "Long", "Huy", "Khánh", "Phong", "Quân", "Sơn", "Thắng",
    "Trung", "Việt", "Cường", "Hiếu", "Hoà", "Lâm", "Nghĩa", "Phúc", "Tài", "Toàn", "Vinh", "Đạt", "Bình", "Kiên",
];
const GIVEN_F: &[&str] = &[
    "Hoa", "Lan", "Hương", "Mai", "Linh", "Trang", "Hằng", "Ngọc", "Thảo", "Yến", "Nhung", "Hà", "Huyền", "Loan",
    "Vân", "Oanh", "Thuỷ", "Giang", "Quỳnh", "Nga",
];
const OCCUPATIONS: &[&str] = &[
    "Học sinh",
    "Sinh viên",
    "Làm ruộng",
    "Công nhân",
    "Lao động tự do",
    "Kinh doanh",
    "Thợ xây",
    "Lái xe",
    "Giáo viên",
    "Nhân viên văn phòng",
];

/// Writes a synthetic province's registry (the headers of the import template) as CSV and XLSX.
/// Deterministic (seed 42). Every 12-digit ID is valid for its sex and birth year (law brief §9:
/// Hưng Yên's legacy code 033, then G, YY and a serial unique in the file up to 1,000,000 rows;
/// rows beyond that carry no ID). With `bad_every`, one row in N has an impossible birth date.
fn generate_registry(
    csv_path: Option<&std::path::Path>,
    xlsx_path: Option<&std::path::Path>,
    first: u64,
    rows: u64,
    bad_every: u64,
) -> Result<(), crate::Failure> {
    use phongthu_documents::tabular::{ColumnSpec, CsvWriter, XlsxWriter};
    use phongthu_store::{CitizenField, CITIZEN_COLUMNS};
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let t = Territory::bundled();
    let on = REFORM_DATE;
    let province = t
        .list(Level::Province, on)
        .into_iter()
        // The demo province (phongthu_store::demo::DEMO_PROVINCE_NAME).
        .find(|p| p.name.contains("Hưng Yên"))
        .ok_or("không tìm thấy tỉnh mẫu trong địa giới")?;
    let communes: Vec<&str> = t.children_on(province, on).iter().map(|c| c.code.as_str()).collect();
    let headers: Vec<&str> = CITIZEN_COLUMNS.iter().map(|c| c.header).collect();
    let mut csv = csv_path.map(|p| CsvWriter::create(p, &headers)).transpose()?;
    let mut xlsx = match xlsx_path {
        None => None,
        Some(_) => {
            let specs: Vec<ColumnSpec<'_>> = CITIZEN_COLUMNS
                .iter()
                .map(|c| ColumnSpec {
                    header: c.header,
                    text: c.text_format,
                    width: 0.0,
                })
                .collect();
            Some(XlsxWriter::new("Công dân", &specs)?)
        }
    };
    let mut rng = StdRng::seed_from_u64(42 + first);
    let mut cells = vec![String::new(); CITIZEN_COLUMNS.len()];
    for i in first..first + rows {
        let male = rng.gen_bool(0.5);
        let year: i32 = rng.gen_range(1975..=2009);
        let month: u8 = rng.gen_range(1..=12);
        let day: u8 = rng.gen_range(1..=28);
        let (middle, given) = if male { (MIDDLE_M, GIVEN_M) } else { (MIDDLE_F, GIVEN_F) };
        let commune = communes[rng.gen_range(0..communes.len())];
        let grade = ["12/12", "12/12", "9/12", "10/10", ""][rng.gen_range(0..5)];
        for (cell, col) in cells.iter_mut().zip(CITIZEN_COLUMNS) {
            cell.clear();
            let v: String = match col.field {
                CitizenField::FullName => format!(
                    "{} {} {}",
                    FAMILY[rng.gen_range(0..FAMILY.len())],
                    middle[rng.gen_range(0..middle.len())],
                    given[rng.gen_range(0..given.len())]
                ),
                CitizenField::BirthDate if bad_every > 0 && i % bad_every == bad_every - 1 => {
                    format!("31/02/{year}")
                }
                CitizenField::BirthDate => format!("{day:02}/{month:02}/{year}"),
                CitizenField::Sex => (if male { "Nam" } else { "Nữ" }).into(),
                CitizenField::NationalId if i < 1_000_000 => {
                    let g = (year / 100 - 19) * 2 + i32::from(!male);
                    format!("033{g}{:02}{i:06}", year % 100)
                }
                CitizenField::Ethnicity => (if i % 50 == 0 { "Mường" } else { "Kinh" }).into(),
                CitizenField::Religion => (if i % 12 == 0 { "Công giáo" } else { "Không" }).into(),
                CitizenField::BirthRegistrationPlace => format!("Tỉnh {}", province.short_name()),
                CitizenField::PermanentCommune => commune.into(),
                CitizenField::PermanentVillage => format!("Thôn {}", rng.gen_range(1..=15)),
                CitizenField::EducationGrade => grade.into(),
                CitizenField::StudyingLevel if year >= 2006 => "Phổ thông".into(),
                CitizenField::Occupation => OCCUPATIONS[rng.gen_range(0..OCCUPATIONS.len())].into(),
                CitizenField::PartyMember => (if rng.gen_ratio(1, 30) { "Có" } else { "Không" }).into(),
                CitizenField::UnionMember => (if year >= 1990 && rng.gen_bool(0.6) {
                    "Có"
                } else {
                    "Không"
                })
                .into(),
                _ => String::new(),
            };
            cell.push_str(&v);
        }
        if let Some(w) = csv.as_mut() {
            w.push(&cells)?;
        }
        if let Some(w) = xlsx.as_mut() {
            w.push(&cells)?;
        }
    }
    if let Some(w) = csv {
        w.finish()?;
    }
    if let (Some(w), Some(p)) = (xlsx, xlsx_path) {
        w.save(p)?;
    }
    Ok(())
}

/// Peak resident memory (VmHWM, kB) and CPU seconds (user, system) of this process.
fn own_usage() -> (u64, f64, f64) {
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0);
    // Fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second on Linux).
    let (u, s) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|st| {
            let rest = st.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((
                f.get(11)?.parse::<f64>().ok()? / 100.0,
                f.get(12)?.parse::<f64>().ok()? / 100.0,
            ))
        })
        .unwrap_or((0.0, 0.0));
    (hwm, u, s)
}

/// `phongthu bench import`: generates the files, then imports each into a scratch SQLite database
/// and, when --database names a PostgreSQL server, into a scratch database created on that server
/// (dropped afterwards; the named database itself is never written). Each import runs in a child
/// process (`phongthu citizen import`'s code path) so that its peak memory and CPU time are its own.
async fn import(settings: &Settings, args: ImportBench) -> CmdResult {
    if let (Some(file), Some(unit)) = (&args.run_file, args.unit) {
        let start = Instant::now();
        crate::cmd_registry::import_citizens(settings, file, unit, args.valid_only, None).await?;
        let wall = start.elapsed().as_secs_f64();
        let (hwm, user, sys) = own_usage();
        println!("BENCH-RESULT wall={wall:.3} user={user:.2} sys={sys:.2} hwm_kb={hwm}");
        return Ok(());
    }
    let xlsx_rows = args.xlsx_rows.unwrap_or(args.rows);
    if let Some(dir) = &args.generate_only {
        std::fs::create_dir_all(dir)?;
        let csv = dir.join(format!("registry-{}.csv", args.rows));
        let xlsx = dir.join(format!("registry-{xlsx_rows}.xlsx"));
        let start = Instant::now();
        generate_registry(Some(&csv), None, 0, args.rows, args.bad_every)?;
        if xlsx_rows > 0 {
            generate_registry(None, Some(&xlsx), 0, xlsx_rows, args.bad_every)?;
        }
        println!(
            "wrote {} and {} in {:.1} s",
            csv.display(),
            if xlsx_rows > 0 {
                xlsx.display().to_string()
            } else {
                "no XLSX".into()
            },
            start.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let dir = ScratchDir::new()?;
    let mut files = vec![];
    let start = Instant::now();
    let csv = dir.path().join(format!("registry-{}.csv", args.rows));
    generate_registry(Some(&csv), None, 0, args.rows, args.bad_every)?;
    println!(
        "generated {} ({} rows, {:.1} MB) in {:.1} s",
        csv.display(),
        args.rows,
        std::fs::metadata(&csv)?.len() as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    files.push(("CSV", csv, args.rows));
    if xlsx_rows > 0 {
        let start = Instant::now();
        let xlsx = dir.path().join(format!("registry-{xlsx_rows}.xlsx"));
        generate_registry(None, Some(&xlsx), 0, xlsx_rows, args.bad_every)?;
        println!(
            "generated {} ({} rows, {:.1} MB) in {:.1} s",
            xlsx.display(),
            xlsx_rows,
            std::fs::metadata(&xlsx)?.len() as f64 / 1e6,
            start.elapsed().as_secs_f64()
        );
        files.push(("XLSX", xlsx, xlsx_rows));
    }
    let mut backends = vec![None];
    if settings.database_url.starts_with("postgres") {
        backends.push(Some(settings.database_url.clone()));
    }
    let exe = std::env::current_exe()?;
    println!("| backend | file | rows | accepted | wall s | rows/s | CPU user+sys s | peak RSS MB |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for pg in &backends {
        for (kind, file, rows) in &files {
            // A scratch database per run: `testing::TestDb` creates it (SQLite file in the temp
            // dir, or a new database on the PostgreSQL server) and removes it when dropped.
            match pg {
                Some(url) => std::env::set_var("PHONGTHU_TEST_DATABASE_URL", url),
                None => std::env::remove_var("PHONGTHU_TEST_DATABASE_URL"),
            }
            let db = phongthu_store::testing::TestDb::new().await;
            let demo = db.store.seed_demo().await?;
            let unit = demo.commune_command_ids[0];
            let out = tokio::process::Command::new(&exe)
                .arg("--database")
                .arg(&db.url)
                .args(["bench", "import", "--unit", &unit.to_string(), "--run-file"])
                .arg(file)
                .args(args.valid_only.then_some("--valid-only"))
                .env("RUST_LOG", "warn")
                .output()
                .await?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("BENCH-RESULT ")) else {
                return Err(format!(
                    "lần nhập {kind} vào {} thất bại: {}{}",
                    db.store.description(),
                    stdout,
                    String::from_utf8_lossy(&out.stderr)
                )
                .into());
            };
            let field = |k: &str| -> f64 {
                line.split_whitespace()
                    .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN)
            };
            let wall = field("wall");
            // "Đã nhập N hồ sơ công dân…", the CLI's summary.
            let accepted = stdout
                .split("Đã nhập ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or("0");
            println!(
                "| {} | {kind} | {rows} | {accepted} | {wall:.2} | {:.0} | {:.1} | {:.0} |",
                if pg.is_some() { "PostgreSQL" } else { "SQLite" },
                *rows as f64 / wall,
                field("user") + field("sys"),
                field("hwm_kb") / 1024.0
            );
        }
    }
    Ok(())
}

/// `phongthu demo --citizens N`: after the demo seed, N generated citizen records (the generator
/// of `bench import`), split over the demo's three commune commands, imported through the CLI's
/// import (one transaction per commune). A second run refuses the same ID numbers as duplicates
/// and changes nothing.
pub async fn demo_citizens(settings: &Settings, citizens: u64) -> CmdResult {
    if citizens == 0 {
        return Ok(());
    }
    let store = crate::cmd_admin::open(settings).await?;
    let demo = store.seed_demo().await?;
    drop(store);
    let dir = ScratchDir::new()?;
    let parts = demo.commune_command_ids.len().max(1) as u64;
    let mut first = 0;
    for (k, unit) in demo.commune_command_ids.iter().enumerate() {
        let rows = citizens / parts + u64::from((k as u64) < citizens % parts);
        let file = dir.path().join(format!("cong-dan-{unit}.csv"));
        generate_registry(Some(&file), None, first, rows, 0)?;
        println!("Nhập {rows} hồ sơ công dân mẫu vào đơn vị {unit}…");
        crate::cmd_registry::import_citizens(settings, &file, *unit, false, None).await?;
        first += rows;
    }
    Ok(())
}

/// A directory under the system's temp dir, removed with its files when dropped.
struct ScratchDir(std::path::PathBuf);

impl ScratchDir {
    fn new() -> std::io::Result<ScratchDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("phongthu-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p)?;
        Ok(ScratchDir(p))
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
