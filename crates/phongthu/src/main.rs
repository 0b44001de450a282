//! The `phongthu` binary: parses the command line, loads the settings, picks the backend and runs
//! one subcommand. Everything else lives in the library crates.

mod cmd_admin;
mod cmd_backup;
mod cmd_bench;
mod cmd_contracts;
mod cmd_registry;
mod cmd_territory;
mod config;
mod stream_contracts;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of the C library's allocator: the import and the page renderers make many
/// small, short-lived allocations, where glibc's malloc spent a quarter of the import's CPU time
/// (docs/PERFORMANCE.md, import of citizen records).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "phongthu",
    version,
    about = "phongthu — quản lý công tác quốc phòng, quân sự địa phương / local military and defense work",
    long_about = None
)]
pub struct Cli {
    /// Tệp cấu hình TOML / TOML configuration file [env: PHONGTHU_CONFIG]
    #[arg(long, global = true, value_name = "TỆP")]
    config: Option<PathBuf>,
    /// Cơ sở dữ liệu: sqlite://đường-dẫn hoặc postgres://... / database URL [env: PHONGTHU_DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Khởi động máy chủ web / Start the web server
    Serve {
        /// Địa chỉ lắng nghe / listen address [env: PHONGTHU_LISTEN]
        #[arg(long, value_name = "ĐỊA-CHỈ")]
        listen: Option<String>,
        /// Nạp dữ liệu mẫu trước khi chạy / seed demo data first
        #[arg(long)]
        demo: bool,
        /// Cùng --demo: số hồ sơ công dân sinh ngẫu nhiên (chia đều cho ba xã) và một đợt tuyển
        /// quân của tỉnh, khi sổ đăng ký còn trống (0: không thêm) / with --demo: generated
        /// citizens and a call-up cycle, when the register is empty
        #[arg(long, default_value_t = 600, value_name = "N", requires = "demo")]
        citizens: u64,
    },
    /// Áp dụng các bước chuyển đổi lược đồ / Apply database migrations
    Migrate,
    /// Quản lý người dùng / Manage users
    #[command(subcommand)]
    User(cmd_admin::UserCommand),
    /// Tra cứu địa giới hành chính / Administrative units and their history
    #[command(subcommand)]
    Territory(cmd_territory::TerritoryCommand),
    /// Tạo dữ liệu mẫu (một tỉnh, một Ban CH PTKV, ba xã, mỗi vai trò một tài khoản) / Seed demo data
    Demo {
        /// Thêm N hồ sơ công dân sinh ngẫu nhiên, chia đều cho ba xã (mặc định 0) / also import N
        /// generated citizen records, split over the three communes
        #[arg(long, default_value_t = 0, value_name = "N")]
        citizens: u64,
    },
    /// Nhật ký thay đổi / Audit log
    #[command(subcommand)]
    Audit(cmd_admin::AuditCommand),
    /// In tệp cấu hình mẫu có chú thích / Print a commented example configuration
    Config,
    /// Hồ sơ công dân: nhập, xuất Excel, đăng ký NVQS / Citizen registry: import, export, registration
    #[command(subcommand, visible_alias = "cong-dan")]
    Citizen(cmd_registry::RegistryCommand),
    /// Nghĩa vụ quân sự / Military service
    #[command(subcommand)]
    Nvqs(cmd_contracts::NvqsCommand),
    /// Dự bị động viên / Reserve forces
    #[command(subcommand)]
    Reserve(cmd_contracts::ReserveCommand),
    /// Văn bản chỉ đạo / Directives
    #[command(subcommand)]
    Directive(cmd_contracts::DirectiveCommand),
    /// Đo hiệu năng trên dữ liệu sinh ra / Benchmarks on generated data
    #[command(subcommand)]
    Bench(cmd_bench::BenchCommand),
    /// Sao lưu cơ sở dữ liệu SQLite (chạy được khi máy chủ đang chạy) / Back up the SQLite
    /// database (while the server runs)
    Backup {
        /// Tệp sao lưu mới (không ghi đè) / the new backup file (never overwritten)
        #[arg(long, value_name = "TỆP")]
        to: std::path::PathBuf,
    },
    /// Phục hồi cơ sở dữ liệu SQLite từ bản sao lưu (máy chủ phải dừng) / Restore the SQLite
    /// database from a backup (the server must be stopped)
    Restore {
        /// Tệp sao lưu / the backup file
        #[arg(long, value_name = "TỆP")]
        from: std::path::PathBuf,
    },
}

/// An error with its exit code; the message is one Vietnamese sentence.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: 1,
            message: e.to_string(),
        }
    }
}

pub type CmdResult = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = run(cli);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("Lỗi: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> CmdResult {
    // Commands that need neither settings nor a database.
    match &cli.command {
        Command::Config => {
            print!("{}", config::EXAMPLE);
            return Ok(());
        }
        Command::Nvqs(c) => return cmd_contracts::nvqs(c),
        Command::Reserve(c) => return cmd_contracts::reserve(c),
        Command::Directive(c) => return cmd_contracts::directive(c),
        _ => {}
    }
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let settings = config::load(
        cli.config.clone(),
        config::FlagOverrides {
            listen,
            database_url: cli.database.clone(),
        },
    )?;
    init_logging(&settings.log);
    // A SQLite file is used either by one server or by commands, never both at once
    // (cmd_backup.rs); `backup` reads beside the server, `restore` locks the file itself.
    let _lock = match &cli.command {
        Command::Serve { .. } => cmd_backup::lock_for_server(&settings)?,
        Command::Backup { .. } | Command::Restore { .. } => None,
        c => cmd_backup::lock_for_command(&settings, command_name(c))?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve { demo, citizens, .. } => {
                if demo {
                    cmd_admin::demo(&settings).await?;
                    cmd_bench::demo_citizens(&settings, citizens).await?;
                    cmd_bench::demo_cycle(&settings).await?;
                }
                cmd_admin::serve(&settings, demo).await
            }
            Command::Migrate => cmd_admin::migrate(&settings).await,
            Command::User(c) => cmd_admin::user(&settings, c).await,
            Command::Territory(c) => cmd_territory::run(&settings, c).await,
            Command::Demo { citizens } => {
                cmd_admin::demo(&settings).await?;
                cmd_bench::demo_citizens(&settings, citizens).await
            }
            Command::Audit(c) => cmd_admin::audit(&settings, c).await,
            Command::Bench(c) => cmd_bench::run(&settings, c).await,
            Command::Citizen(c) => cmd_registry::run(&settings, c).await,
            Command::Backup { to } => cmd_backup::backup(&settings, &to).await,
            Command::Restore { from } => cmd_backup::restore(&settings, &from).await,
            Command::Config | Command::Nvqs(_) | Command::Reserve(_) | Command::Directive(_) => Ok(()),
        }
    });
    // Work left on the blocking pool (a reading being stopped, an import's reader thread) gets
    // a few seconds to end; the process does not wait longer than that to exit.
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
    result
}

/// The command's name as typed, for messages.
fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Serve { .. } => "serve",
        Command::Migrate => "migrate",
        Command::User(_) => "user",
        Command::Territory(_) => "territory",
        Command::Demo { .. } => "demo",
        Command::Audit(_) => "audit",
        Command::Config => "config",
        Command::Citizen(_) => "citizen",
        Command::Nvqs(_) => "nvqs",
        Command::Reserve(_) => "reserve",
        Command::Directive(_) => "directive",
        Command::Bench(_) => "bench",
        Command::Backup { .. } => "backup",
        Command::Restore { .. } => "restore",
    }
}

fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
