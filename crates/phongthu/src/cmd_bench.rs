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
}

pub async fn run(settings: &Settings, cmd: BenchCommand) -> CmdResult {
    match cmd {
        BenchCommand::Territory { repeat } => territory(settings, repeat).await,
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
