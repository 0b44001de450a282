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
