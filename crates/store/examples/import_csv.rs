//! Profiling aid for the citizen import without the rest of the binary (no typst to build):
//! `cargo run --release -p phongthu-store --example import_csv -- FILE.csv`
//! imports FILE.csv (the import template's headers, e.g. from `phongthu bench import
//! --generate-only DIR`) all-or-nothing into the first demo commune of a scratch database
//! (SQLite, or PostgreSQL when `PHONGTHU_TEST_DATABASE_URL` is set) and prints the wall time.
//! The figures of record come from `phongthu bench import` (docs/PERFORMANCE.md). With
//! `RUST_LOG=phongthu_store=debug` it logs the import's phases.

use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use phongthu_store::{testing::TestDb, ImportMode, ImportOptions, SourceRow};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // RUST_LOG=phongthu_store=debug shows the import's phases (rows, indexes, duplicates).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let path = std::env::args().nth(1).ok_or("usage: import_csv FILE.csv")?;
    let db = TestDb::new().await;
    let demo = db.store.seed_demo().await?;
    let system = db.store.system_actor().await?;
    let admin = db.store.scoped(&system);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(&path)?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let rows = reader.into_records().enumerate().map(|(i, r)| {
        r.map(|r| SourceRow {
            line: i as u64 + 2,
            cells: r.iter().map(str::to_string).collect(),
        })
        .map_err(|e| e.to_string())
    });
    let opts = ImportOptions {
        unit_id: demo.commune_command_ids[0],
        mode: ImportMode::AllOrNothing,
        source_name: path.clone(),
    };
    let start = Instant::now();
    let report = admin.import_citizens(&headers, rows, &opts, &mut ()).await?;
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{}: {} rows read, {} accepted, {:.2} s, {:.0} rows/s ({})",
        db.store.description(),
        report.rows_read,
        report.accepted,
        wall,
        report.rows_read as f64 / wall,
        report.summary_vi()
    );
    if std::env::var_os("PHONGTHU_KEEP_DB").is_some() {
        // Leaves the scratch database for a closer look (sqlite3, psql).
        std::mem::forget(db);
    }
    Ok(())
}
