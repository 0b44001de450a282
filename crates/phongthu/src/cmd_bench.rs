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
    /// Sinh văn bản mẫu vào cơ sở dữ liệu (--database) rồi đo thời gian tìm kiếm (p50/p95/p99) /
    /// generate documents into the database and time the register's search (p50/p95/p99)
    Search {
        /// Số văn bản cần có trong sổ (chỉ sinh phần còn thiếu) / documents the register should hold
        #[arg(long, default_value_t = 100_000)]
        documents: u64,
        /// Số lần lặp mỗi truy vấn / repetitions of each query
        #[arg(long, default_value_t = 20)]
        repeat: u32,
    },
    /// Bảng tổng hợp lực lượng (dân quân, dự bị động viên) của một tỉnh trên cơ sở dữ liệu
    /// (--database, nên là cơ sở dữ liệu trống) / forces roll-up dashboards for a province
    Forces {
        /// Số thành viên dân quân / militia members
        #[arg(long, default_value_t = 50_000)]
        militia: i64,
        /// Số quân nhân dự bị / reservists
        #[arg(long, default_value_t = 100_000)]
        reservists: i64,
        /// Số Ban CHQS cấp xã / commune commands
        #[arg(long, default_value_t = 100)]
        communes: usize,
        /// Số lần đo / repetitions
        #[arg(long, default_value_t = 5)]
        repeat: u32,
    },
    /// Sinh sổ đăng ký công dân của một tỉnh (CSV, XLSX) rồi đo thời gian nhập vào SQLite và
    /// PostgreSQL (--pg) / generate a province's citizen registry and time its import
    Import(ImportBench),
    /// Một tỉnh với N công dân (--database, nên là cơ sở dữ liệu trống): nhập sổ đăng ký, mở đợt
    /// tuyển quân, đo lần làm mới nguồn toàn tỉnh và bảng tổng hợp / a province of N citizens:
    /// import, open a call-up cycle, time the full refresh and the province dashboard
    Cycle {
        /// Số công dân / citizens
        #[arg(long, default_value_t = 1_000_000)]
        citizens: u64,
        /// Số Ban CHQS cấp xã / commune commands
        #[arg(long, default_value_t = 100)]
        communes: usize,
        /// Số lần đo bảng tổng hợp / dashboard repetitions
        #[arg(long, default_value_t = 5)]
        repeat: u32,
        /// Dùng lại sổ đăng ký và đợt tuyển quân mà một lần chạy trước đã tạo trong --database
        /// (không nhập lại), đánh giá lại toàn bộ nguồn / reuse the registry and cycle an earlier
        /// run made in --database (no import) and time a reassessment of every pool
        #[arg(long)]
        reuse: bool,
    },
}

pub async fn run(settings: &Settings, cmd: BenchCommand) -> CmdResult {
    match cmd {
        BenchCommand::Territory { repeat } => territory(settings, repeat).await,
        BenchCommand::Search { documents, repeat } => search(settings, documents, repeat).await,
        BenchCommand::Forces {
            militia,
            reservists,
            communes,
            repeat,
        } => forces(settings, militia, reservists, communes, repeat).await,
        BenchCommand::Import(args) => import(settings, args).await,
        BenchCommand::Cycle {
            citizens,
            communes,
            repeat,
            reuse,
        } => cycle(settings, citizens, communes, repeat, reuse).await,
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

/// Words of the genre, to build titles and bodies that look like the register's documents.
const WORDS: &[&str] = &[
    "kế hoạch",
    "chỉ thị",
    "thông báo",
    "công văn",
    "tuyển quân",
    "nghĩa vụ quân sự",
    "dân quân tự vệ",
    "huấn luyện",
    "diễn tập",
    "khu vực phòng thủ",
    "giáo dục quốc phòng",
    "an ninh",
    "động viên",
    "quân nhân dự bị",
    "hậu phương quân đội",
    "chính sách",
    "thao trường",
    "căn cứ hậu phương",
    "sẵn sàng chiến đấu",
    "phòng chống thiên tai",
    "tìm kiếm cứu nạn",
    "ban chỉ huy quân sự",
    "ủy ban nhân dân",
    "đảng ủy quân sự",
    "kiểm tra",
    "sơ kết",
    "tổng kết",
    "báo cáo",
    "triển khai",
    "thực hiện",
    "năm 2025",
    "năm 2026",
    "quý I",
    "quý III",
    "xã Đồng Thanh",
    "phường Hiến Nam",
    "tỉnh Hưng Yên",
    "khám sức khỏe",
    "giao nhận quân",
    "đăng ký lần đầu",
    "kinh phí",
    "doanh trại",
    "vũ khí trang bị",
    "bảo đảm hậu cần",
    "công tác dân vận",
    "tuyên truyền",
];

fn pick(seed: &mut u64) -> &'static str {
    // xorshift: deterministic, so runs on both backends search the same register.
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    WORDS[(*seed % WORDS.len() as u64) as usize]
}

fn phrase(seed: &mut u64, n: usize) -> String {
    (0..n).map(|_| pick(seed)).collect::<Vec<_>>().join(" ")
}

/// Syllables for the rest of a body: two-syllable words drawn from them give some 6,000 words, so
/// a genre phrase is in a few percent of the documents, as in a real register, not in all.
const SYLLABLES: &[&str] = &[
    "an",
    "bình",
    "cường",
    "dũng",
    "đức",
    "giang",
    "hà",
    "hải",
    "hòa",
    "hùng",
    "khánh",
    "lâm",
    "long",
    "minh",
    "nam",
    "ngọc",
    "phong",
    "phúc",
    "quang",
    "sơn",
    "tâm",
    "thành",
    "thắng",
    "thịnh",
    "trung",
    "tuấn",
    "văn",
    "việt",
    "xuân",
    "yên",
    "bảo",
    "cao",
    "châu",
    "đông",
    "gia",
    "hưng",
    "kim",
    "lộc",
    "mai",
    "nghĩa",
    "phú",
    "quý",
    "tân",
    "thái",
    "thanh",
    "thủy",
    "tiến",
    "toàn",
    "trường",
    "vĩnh",
    "hiến",
    "lạc",
    "mỹ",
    "đại",
    "hậu",
    "lợi",
    "sinh",
    "thuận",
    "tường",
    "vinh",
    "ninh",
    "định",
    "hội",
    "kiều",
    "lương",
    "nhân",
    "phát",
    "quảng",
    "sáng",
    "tường",
    "ước",
    "vân",
    "xá",
    "yến",
    "bắc",
    "cẩm",
];

fn filler(seed: &mut u64, words: usize) -> String {
    let next = |s: &mut u64| {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        SYLLABLES[(*s % SYLLABLES.len() as u64) as usize]
    };
    (0..words)
        .map(|_| format!("{} {}", next(seed), next(seed)))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn search(settings: &Settings, documents: u64, repeat: u32) -> CmdResult {
    use phongthu_store::{DocumentSearch, NewDocument};
    let store = phongthu_store::Store::open(&settings.database_url, phongthu_store::OpenOptions::default()).await?;
    let demo = store.seed_demo().await?;
    let actor = store.login("quantri", phongthu_store::DEMO_PASSWORD).await?.actor;
    let s = store.scoped(&actor);
    let have = s.count_documents(&DocumentSearch::default()).await?.max(0) as u64;
    let received = time::OffsetDateTime::now_utc().date() - time::Duration::days(1);
    let start = Instant::now();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ have;
    for i in have..documents {
        let title = format!("{} về {}", capitalised(&phrase(&mut seed, 1)), phrase(&mut seed, 2));
        let n = NewDocument {
            unit_id: demo.province_command_id,
            number_symbol: Some(format!("{}/KH-BCH", i % 9000 + 1)),
            issuer: Some(format!("Ban Chỉ huy {}", pick(&mut seed))),
            title,
            body_text: Some(format!(
                "{}. {}. {}.",
                phrase(&mut seed, 2),
                filler(&mut seed, 40),
                phrase(&mut seed, 1)
            )),
            ..Default::default()
        };
        s.register_incoming(n, received).await?;
        if (i + 1) % 10_000 == 0 {
            println!(
                "  {} văn bản / documents ({:.0} s)",
                i + 1,
                start.elapsed().as_secs_f64()
            );
        }
    }
    if documents > have {
        println!(
            "generated {} documents into {} in {:.1} s",
            documents - have,
            store.description(),
            start.elapsed().as_secs_f64()
        );
    }
    let queries = [
        "tuyen quan",
        "huấn luyện dân quân",
        "khu vuc phong thu",
        "ke hoach dien tap nam 2026",
        "căn cứ hậu phương",
        "dong thanh",
        "kham suc",
        "77/kh",
        "không có từ này",
        "sơ kết quý III",
        // No words: the register's list page, newest first.
        "",
    ];
    println!(
        "search over {} documents on {} ({repeat} runs per query; {} build; `hits` is the exact count, \
         `shown` what the page says, the search counting up to {}):",
        documents.max(have),
        store.description(),
        if cfg!(debug_assertions) { "debug" } else { "release" },
        phongthu_store::SEARCH_COUNT_CAP
    );
    println!("| query | hits | shown | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut all = Vec::new();
    for q in queries {
        let search = DocumentSearch {
            query: Some(q.to_string()).filter(|q| !q.is_empty()),
            ..Default::default()
        };
        // Not timed: the exact number of hits, for the reader of the figures.
        let hits = s.count_documents(&search).await?;
        let mut times = Vec::with_capacity(repeat as usize);
        let mut shown = String::new();
        for _ in 0..repeat {
            let t = Instant::now();
            let r = s.search_documents(&search).await?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            shown = if r.capped {
                format!("> {}", r.total)
            } else {
                r.total.to_string()
            };
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "| `{q}` | {hits} | {shown} | {:.1} | {:.1} | {:.1} | {:.1} |",
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0)
        );
        all.extend(times);
    }
    all.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| all queries | | | {:.1} | {:.1} | {:.1} | {:.1} |",
        percentile(&all, 0.50),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(0.0)
    );
    Ok(())
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The value below which a share `p` of the sorted samples lie (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
/// Forces dashboards: the demo province with `communes` commune commands, `militia` militia
/// members and `reservists` reservists (four in five assigned), then the roll-up pages' queries
/// timed for the provincial command and for one commune command.
async fn forces(settings: &Settings, militia: i64, reservists: i64, communes: usize, repeat: u32) -> CmdResult {
    use phongthu_store::Store;
    let store = Store::open(&settings.database_url, phongthu_store::OpenOptions::default()).await?;
    let start = Instant::now();
    let (demo, ids) = province_with_communes(&store, communes).await?;
    println!(
        "set-up on {}: {} commune commands, {:.1} s",
        store.description(),
        ids.len(),
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let data = store.generate_forces_bench(&ids, militia, reservists).await?;
    println!(
        "generate: {} citizens, {} militia members, {} reservists, {} assignments in {:.1} s",
        data.citizens,
        data.militia_members,
        data.reservists,
        data.assignments,
        start.elapsed().as_secs_f64()
    );
    // Militia targets: the province's ratio (an example value: the ratio is a local setting) and
    // each commune's population, so that every commune has a target on the dashboard.
    let system = store.system_actor().await?;
    let admin = store.scoped(&system);
    let province_code = admin
        .org_unit(demo.province_command_id)
        .await?
        .province_code
        .unwrap_or_default();
    admin.set_militia_ratio(&province_code, Some(130)).await?;
    for (k, id) in ids.iter().enumerate() {
        admin
            .set_militia_target(*id, Some(20_000 + 500 * k as i64), None, None)
            .await?;
    }
    let province_actor = store.login("quantri", phongthu_store::DEMO_PASSWORD).await?.actor;
    let commune_actor = store.login("chihuy", phongthu_store::DEMO_PASSWORD).await?.actor;
    // First as loaded (no planner statistics for the new rows yet), then after ANALYZE.
    let runs = [
        ("province", &province_actor, false),
        ("commune", &commune_actor, false),
        ("province, analysed", &province_actor, true),
        ("commune, analysed", &commune_actor, true),
    ];
    for (who, actor, analysed) in runs {
        if analysed && who.starts_with("province") {
            let s = Instant::now();
            store.analyze().await?;
            println!("ANALYZE: {:.1} s", s.elapsed().as_secs_f64());
        }
        let scoped = store.scoped(actor);
        let mut rollup = vec![];
        let mut rates = vec![];
        let mut targets = vec![];
        let mut rows = 0;
        for _ in 0..repeat {
            let s = Instant::now();
            black_box(scoped.militia_targets().await?);
            targets.push(s.elapsed().as_secs_f64());
            let s = Instant::now();
            let r = scoped.forces_rollup().await?;
            rollup.push(s.elapsed().as_secs_f64());
            rows = r.len();
            let s = Instant::now();
            black_box(scoped.specialty_rates().await?);
            rates.push(s.elapsed().as_secs_f64());
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2] * 1e3
        };
        println!(
            "{who}: forces_rollup {:.1} ms (median of {repeat}, {rows} rows), specialty_rates {:.1} ms, \
             militia_targets {:.1} ms",
            median(&mut rollup),
            median(&mut rates),
            median(&mut targets)
        );
    }
    Ok(())
}

/// The demo (territory, demo units and logins) with `communes` commune commands under the demo
/// province's command (the demo's own, then one per commune of the province's territory).
async fn province_with_communes(
    store: &phongthu_store::Store,
    communes: usize,
) -> Result<(phongthu_store::DemoReport, Vec<i64>), crate::Failure> {
    use phongthu_store::NewOrgUnit;
    let t = Territory::bundled();
    store.load_territory(t, false).await?;
    let demo = store.seed_demo().await?;
    let system = store.system_actor().await?;
    let admin = store.scoped(&system);
    let province = admin.org_unit(demo.province_command_id).await?;
    let province_code = province.province_code.clone().unwrap_or_default();
    let province_unit = t
        .list(Level::Province, REFORM_DATE)
        .into_iter()
        .find(|p| p.code == province_code)
        .ok_or("không tìm thấy tỉnh mẫu")?;
    let mut ids = demo.commune_command_ids.clone();
    // Commune commands made by an earlier run on the same database count (and are reused).
    let existing: Vec<(String, i64, bool)> = admin
        .org_units()
        .await?
        .into_iter()
        .filter_map(|u| {
            let commune = u.kind == phongthu_domain::org::OrgKind::CommuneCommand;
            u.admin_code.map(|code| (code, u.id, commune))
        })
        .collect();
    for c in t.children_on(province_unit, REFORM_DATE) {
        if ids.len() >= communes {
            break;
        }
        if let Some((_, id, commune)) = existing.iter().find(|(code, _, _)| *code == c.code) {
            if *commune && !ids.contains(id) {
                ids.push(*id);
            }
            continue;
        }
        let u = admin
            .create_org_unit(NewOrgUnit {
                parent_id: Some(demo.province_command_id),
                kind: phongthu_domain::org::OrgKind::CommuneCommand,
                name: format!("Ban Chỉ huy Quân sự {}", c.name_in_sentence()),
                code: None,
                admin_code: Some(c.code.clone()),
                province_code: Some(province_code.clone()),
                note: None,
            })
            .await?;
        ids.push(u.id);
    }
    Ok((demo, ids))
}

/// A province of `citizens` generated citizens over `communes` commune commands (each commune's
/// share imported by the import path of `phongthu citizen import`), then a call-up cycle of the
/// provincial command: the first overview (every commune's pool assessed by the engine and
/// stored: the full refresh), a second one (nothing changed: the stored pools), and the province
/// dashboard (`cycle_dashboard`, what /nvqs/{id}/tong-hop shows). With `reuse`, a database that
/// already holds a cycle of the demo province (from an earlier run) is not imported into again:
/// the full refresh timed is that cycle's overview with every pool reassessed
/// (`cycle_overview_reassessed`), on the same registry and cycle.
async fn cycle(settings: &Settings, citizens: u64, communes: usize, repeat: u32, reuse: bool) -> CmdResult {
    use phongthu_store::{ImportMode, ImportOptions, SourceRow, Store};
    let store = Store::open(&settings.database_url, phongthu_store::OpenOptions::default()).await?;
    let start = Instant::now();
    let (demo, ids) = province_with_communes(&store, communes).await?;
    println!(
        "set-up on {}: {} commune commands, {:.1} s",
        store.description(),
        ids.len(),
        start.elapsed().as_secs_f64()
    );
    let system = store.system_actor().await?;
    let admin = store.scoped(&system);
    let province_actor = store.login("quantri", phongthu_store::DEMO_PASSWORD).await?.actor;
    let province = store.scoped(&province_actor);
    // The province's latest cycle, when an earlier run made one.
    let earlier = province
        .cycles()
        .await?
        .into_iter()
        .filter(|c| c.unit_id == demo.province_command_id)
        .max_by_key(|c| c.year);
    let reused = reuse && earlier.is_some();
    let dir = ScratchDir::new()?;
    let parts = ids.len().max(1) as u64;
    let (mut first, mut imported, mut import_secs) = (0, 0, 0.0);
    let start = Instant::now();
    for (k, unit) in ids.iter().enumerate() {
        if reused {
            println!("registry: reused (the database already holds a cycle of the province; nothing imported)");
            break;
        }
        let rows = citizens / parts + u64::from((k as u64) < citizens % parts);
        if rows == 0 {
            continue;
        }
        let file = dir.path().join(format!("cong-dan-{unit}.csv"));
        generate_registry(Some(&file), None, first, rows, 0)?;
        first += rows;
        let reader = phongthu_documents::tabular::TabularReader::open(&file)?;
        let headers = reader.headers.clone();
        let rows = reader.map(|r| {
            r.map(|r| SourceRow {
                line: r.line,
                cells: r.cells,
            })
            .map_err(|e| e.to_string())
        });
        let opts = ImportOptions {
            unit_id: *unit,
            mode: ImportMode::AllOrNothing,
            source_name: format!("cong-dan-{unit}.csv"),
        };
        let t0 = Instant::now();
        let report = admin.import_citizens(&headers, rows, &opts, &mut ()).await?;
        import_secs += t0.elapsed().as_secs_f64();
        if !report.committed {
            return Err(report.summary_vi().into());
        }
        imported += report.accepted;
    }
    if !reused {
        println!(
            "registry: {imported} citizens over {} commune commands; import {import_secs:.1} s ({:.0} rows/s), with generation {:.1} s",
            ids.len(),
            imported as f64 / import_secs,
            start.elapsed().as_secs_f64()
        );
    }
    let cpu = || {
        let (_, u, s) = own_usage();
        u + s
    };
    let (cycle, overview, refresh, refresh_cpu, what) = match earlier.filter(|_| reused) {
        Some(cycle) => {
            let (t0, c0) = (Instant::now(), cpu());
            let overview = province.cycle_overview_reassessed(cycle.id).await?;
            let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu() - c0);
            (cycle, overview, wall, cpu, "every pool reassessed")
        }
        None => {
            let year = time::OffsetDateTime::now_utc().year() + 1;
            let quota = (imported / 400).max(1) as i64;
            let cycle = province.create_cycle(demo.province_command_id, year, quota).await?;
            let (t0, c0) = (Instant::now(), cpu());
            let overview = province.cycle_overview(cycle.id).await?;
            let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu() - c0);
            (cycle, overview, wall, cpu, "first overview")
        }
    };
    let (year, quota) = (cycle.year, cycle.quota);
    let eligible: i64 = overview.communes.iter().map(|c| c.eligible).sum();
    let assessed: i64 = overview.communes.iter().map(|c| c.citizens).sum();
    println!(
        "full refresh ({what} of cycle {year}, quota {quota}): {refresh:.2} s (CPU of this process {refresh_cpu:.2} s) \
         for {assessed} citizens in {} communes ({eligible} eligible)",
        overview.communes.len()
    );
    let mut warm = vec![];
    let mut dash = vec![];
    for _ in 0..repeat.max(1) {
        let t0 = Instant::now();
        black_box(province.cycle_overview(cycle.id).await?);
        warm.push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        black_box(province.cycle_dashboard(cycle.id).await?);
        dash.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "overview with stored pools: {:.1} ms; province dashboard: {:.1} ms (medians of {}, max {:.1} ms)",
        median(&mut warm),
        median(&mut dash),
        dash.len(),
        dash.iter().copied().fold(0.0, f64::max)
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
        // SQLite: the import answers once committed to the write-ahead log and copies the log
        // into the database file behind its answer; the time until that copy is done is its own
        // column.
        let start = Instant::now();
        crate::cmd_admin::open(settings).await?.checkpoint().await?;
        let ckpt = start.elapsed().as_secs_f64();
        println!("BENCH-RESULT wall={wall:.3} user={user:.2} sys={sys:.2} hwm_kb={hwm} ckpt={ckpt:.3}");
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
    println!(
        "| backend | file | rows | accepted | wall s | rows/s | CPU user+sys s | peak RSS MB | then log copied s |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
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
                "| {} | {kind} | {rows} | {accepted} | {wall:.2} | {:.0} | {:.1} | {:.0} | {} |",
                if pg.is_some() { "PostgreSQL" } else { "SQLite" },
                *rows as f64 / wall,
                field("user") + field("sys"),
                field("hwm_kb") / 1024.0,
                if pg.is_some() {
                    "–".to_string()
                } else {
                    format!("{:.2}", field("ckpt"))
                }
            );
        }
    }
    Ok(())
}

/// `phongthu demo --citizens N`: after the demo seed, N generated citizen records (the generator
/// of `bench import`), split over the demo's three commune commands, imported through the CLI's
/// import (one transaction per commune). A second run (the first demo commune already has records)
/// adds nothing.
pub async fn demo_citizens(settings: &Settings, citizens: u64) -> CmdResult {
    if citizens == 0 {
        return Ok(());
    }
    let store = crate::cmd_admin::open(settings).await?;
    let demo = store.seed_demo().await?;
    let system = store.system_actor().await?;
    // The first demo commune holds no one until generated records come (the forces demo lives
    // in the second one): records there mean they were added by an earlier run.
    let filter = phongthu_store::CitizenFilter {
        unit_id: demo.commune_command_ids.first().copied(),
        ..Default::default()
    };
    let on_register = store
        .scoped(&system)
        .list_citizens(&filter, phongthu_store::Paging::default())
        .await?
        .total;
    drop(store);
    if on_register > 0 {
        println!("Xã mẫu đầu tiên đã có {on_register} hồ sơ công dân: không thêm hồ sơ mẫu.");
        return Ok(());
    }
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

/// The demo's call-up cycle: the provincial command's cycle for the coming call-up (next year's
/// from July on), with a quota of one in forty records, when the register has records and the
/// province has no cycle yet.
pub async fn demo_cycle(settings: &Settings) -> CmdResult {
    let store = crate::cmd_admin::open(settings).await?;
    let demo = store.seed_demo().await?;
    let province_actor = store.login("quantri", phongthu_store::DEMO_PASSWORD).await?.actor;
    let province = store.scoped(&province_actor);
    let records = province
        .list_citizens(
            &phongthu_store::CitizenFilter::default(),
            phongthu_store::Paging::default(),
        )
        .await?
        .total;
    // A cycle needs generated records (the forces demo's few people are past the call-up age).
    if records < 100 || !province.cycles().await?.is_empty() {
        return Ok(());
    }
    let today = time::OffsetDateTime::now_utc().date();
    let year = today.year() + i32::from(u8::from(today.month()) >= 7);
    let quota = (records / 40).max(1);
    let cycle = province.create_cycle(demo.province_command_id, year, quota).await?;
    println!(
        "Đã mở đợt tuyển quân năm {} của {} (chỉ tiêu {quota}): /nvqs/{}",
        cycle.year, cycle.unit_name, cycle.id
    );
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
