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
    /// Sinh văn bản mẫu vào cơ sở dữ liệu (--database) rồi đo thời gian tìm kiếm (p50/p95) /
    /// generate documents into the database and time the register's search (p50/p95)
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
    let have = s
        .search_documents(&DocumentSearch {
            limit: 1,
            ..Default::default()
        })
        .await?
        .total
        .max(0) as u64;
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
    ];
    println!(
        "search over {} documents on {} ({repeat} runs per query):",
        documents.max(have),
        store.description()
    );
    let mut all = Vec::new();
    for q in queries {
        let mut times = Vec::with_capacity(repeat as usize);
        let mut total = 0;
        for _ in 0..repeat {
            let t = Instant::now();
            let r = s
                .search_documents(&DocumentSearch {
                    query: Some(q.to_string()),
                    ..Default::default()
                })
                .await?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            total = r.total;
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  {q:<28} {total:>7} hits  p50 {:>7.1} ms  p95 {:>7.1} ms",
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        );
        all.extend(times);
    }
    all.sort_by(|a, b| a.total_cmp(b));
    println!(
        "all queries: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        percentile(&all, 0.50),
        percentile(&all, 0.95),
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
    use phongthu_store::{NewOrgUnit, Store};
    let store = Store::open(&settings.database_url, phongthu_store::OpenOptions::default()).await?;
    let t = Territory::bundled();
    let start = Instant::now();
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
    let existing: Vec<String> = admin
        .org_units()
        .await?
        .into_iter()
        .filter_map(|u| u.admin_code)
        .collect();
    for c in t.children_on(province_unit, REFORM_DATE) {
        if ids.len() >= communes {
            break;
        }
        if existing.contains(&c.code) {
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
    let province_actor = store.login("quantri", phongthu_store::DEMO_PASSWORD).await?.actor;
    let commune_actor = store.login("chihuy", phongthu_store::DEMO_PASSWORD).await?.actor;
    for (who, actor) in [("province", &province_actor), ("commune", &commune_actor)] {
        let scoped = store.scoped(actor);
        let mut rollup = vec![];
        let mut rates = vec![];
        let mut rows = 0;
        for _ in 0..repeat {
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
            "{who}: forces_rollup {:.1} ms (median of {repeat}, {rows} rows), specialty_rates {:.1} ms",
            median(&mut rollup),
            median(&mut rates)
        );
    }
    Ok(())
}
