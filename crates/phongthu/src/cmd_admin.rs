//! serve, migrate, user, demo, audit.

use crate::config::Settings;
use crate::CmdResult;
use clap::Subcommand;
use phongthu_domain::auth::Role;
use phongthu_store::{AuditFilter, AuditHead, NewUser, OpenOptions, Store};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Thêm người dùng (in mật khẩu dùng một lần) / Add a user (prints a one-time password)
    Add {
        username: String,
        /// Họ và tên / full name
        #[arg(long)]
        name: String,
        /// admin | commander | leader | inspector
        #[arg(long)]
        role: String,
        /// Mã số đơn vị (xem `phongthu user units`) / organisational unit id
        #[arg(long)]
        unit: i64,
    },
    /// Danh sách người dùng / List users
    List,
    /// Danh sách đơn vị tổ chức và mã số / List organisational units with their ids
    Units,
    /// Vô hiệu hóa người dùng / Disable a user
    Disable { username: String },
    /// Kích hoạt lại người dùng / Enable a user
    Enable { username: String },
    /// Cấp lại mật khẩu dùng một lần; thu hồi mọi mã truy cập API và kết thúc mọi phiên của
    /// người đó / Reset a password (prints a one-time password; revokes the user's API tokens and
    /// ends the user's sessions)
    ResetPassword { username: String },
    /// Danh sách mã truy cập API của một người dùng / List a user's API tokens
    Tokens { username: String },
    /// Thu hồi một mã truy cập API theo mã số (xem `phongthu user tokens`) / Revoke one API token by id
    RevokeToken { id: i64 },
    /// Thu hồi mọi mã truy cập API của một người dùng / Revoke all of a user's API tokens
    RevokeTokens { username: String },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Kiểm tra chuỗi băm của nhật ký và dữ liệu đã ghi nhật ký / Verify the hash chain and the
    /// audited rows against their entries
    Verify {
        /// Đầu chuỗi đã chép ra ngoài (SỐ:MÃ-BĂM, hoặc tệp chứa nó) / A head kept outside the
        /// database (SEQ:HASH, or a file holding it): fails when the chain no longer holds it
        #[arg(long, value_name = "SEQ:HASH|FILE")]
        expect_head: Option<String>,
    },
    /// In đầu chuỗi (SỐ:MÃ-BĂM) để chép ra ngoài / Print the head (SEQ:HASH) to keep outside
    Head,
    /// Xem các dòng nhật ký mới nhất / Show the latest entries
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub async fn open(settings: &Settings) -> Result<Store, phongthu_store::StoreError> {
    let store = Store::open(
        &settings.database_url,
        OpenOptions {
            max_connections: settings.max_connections,
            ..OpenOptions::default()
        },
    )
    .await?;
    store
        .load_territory(phongthu_domain::territory::Territory::bundled(), false)
        .await?;
    if let Some((user, password)) = store.bootstrap().await? {
        println!("Đã khởi tạo cơ sở dữ liệu {}.", store.description());
        println!("Tài khoản quản trị đầu tiên / first administrator: {user}");
        println!("Mật khẩu dùng một lần (chỉ hiện lần này, phải đổi khi đăng nhập) / one-time password: {password}");
    }
    Ok(store)
}

pub async fn serve(settings: &Settings, demo_data: bool) -> CmdResult {
    // The demo, when asked for, is seeded before (main.rs: `demo`, `demo_citizens`, `demo_cycle`).
    let store = open(settings).await?;
    let listener = tokio::net::TcpListener::bind(&settings.listen).await.map_err(|e| {
        format!(
            "Không mở được địa chỉ {} để lắng nghe: {e} (cannot listen).",
            settings.listen
        )
    })?;
    println!(
        "phongthu đang chạy tại http://{} ({})",
        listener.local_addr()?,
        store.description()
    );
    let state = phongthu_web::AppState::new(
        store,
        phongthu_web::WebSettings {
            secure_cookies: settings.secure_cookies,
            demo_banner: demo_data,
        },
    );
    phongthu_web::serve(listener, state).await?;
    Ok(())
}

pub async fn migrate(settings: &Settings) -> CmdResult {
    let store = Store::open(
        &settings.database_url,
        OpenOptions {
            migrate: false,
            ..OpenOptions::default()
        },
    )
    .await?;
    let report = phongthu_store::migrate(&store).await?;
    if report.applied.is_empty() {
        println!("Lược đồ đã ở phiên bản mới nhất ({}).", report.to_version);
    } else {
        println!(
            "Đã nâng lược đồ từ phiên bản {} lên {}: {}.",
            report.from_version,
            report.to_version,
            report.applied.join(", ")
        );
    }
    let t = store
        .load_territory(phongthu_domain::territory::Territory::bundled(), false)
        .await?;
    if t.reloaded {
        println!(
            "Đã nạp {} đơn vị hành chính và {} quan hệ sắp xếp.",
            t.units, t.successions
        );
    }
    if let Some((user, password)) = store.bootstrap().await? {
        println!("Tài khoản quản trị đầu tiên: {user}; mật khẩu dùng một lần: {password}");
    }
    Ok(())
}

fn print_demo(r: &phongthu_store::DemoReport) {
    println!(
        "{}",
        if r.created {
            "Đã tạo dữ liệu mẫu."
        } else {
            "Dữ liệu mẫu đã có sẵn."
        }
    );
    println!("Các tài khoản mẫu (mật khẩu chung: {}):", r.password);
    for l in &r.logins {
        println!("  {:<12} {:<36} {}", l.username, l.role.label_vi(), l.unit_name);
    }
}

fn print_demo_forces(r: &phongthu_store::DemoForcesReport) {
    println!(
        "Lực lượng (dữ liệu mẫu{}): {} quân nhân dự bị, {} người đã sắp xếp vào đơn vị dự bị động viên số {}, {} phương tiện kỹ thuật dự bị.",
        if r.created { ", vừa tạo" } else { ", đã có sẵn" },
        r.reservists,
        r.assignments,
        r.reserve_unit_id,
        r.equipment
    );
}

pub async fn demo(settings: &Settings) -> CmdResult {
    let store = open(settings).await?;
    let demo = store.seed_demo().await?;
    print_demo(&demo);
    print_demo_forces(&store.seed_demo_forces(&demo).await?);
    Ok(())
}

async fn find_user(store: &Store, username: &str) -> Result<phongthu_store::User, crate::Failure> {
    store
        .user_by_username(username)
        .await?
        .ok_or_else(|| format!("Không có người dùng \"{username}\".").into())
}

pub async fn user(settings: &Settings, cmd: UserCommand) -> CmdResult {
    let store = open(settings).await?;
    let actor = store.system_actor().await?;
    let scoped = store.scoped(&actor);
    match cmd {
        UserCommand::Add {
            username,
            name,
            role,
            unit,
        } => {
            let role = Role::parse(&role)?;
            let (u, password) = scoped
                .create_user(NewUser {
                    username,
                    display_name: name,
                    role,
                    unit_id: unit,
                    password: None,
                })
                .await?;
            println!("Đã thêm {} ({}) tại {}.", u.username, u.role.label_vi(), u.unit_name);
            if let Some(p) = password {
                println!("Mật khẩu dùng một lần: {p}");
            }
        }
        UserCommand::List => {
            for u in scoped.users().await? {
                println!(
                    "{:<16} {:<8} {:<10} {:<28} {}",
                    u.username,
                    if u.active { "hoạt động" } else { "đã khóa" },
                    u.role.as_str(),
                    u.display_name,
                    u.unit_name
                );
            }
        }
        UserCommand::Units => {
            for o in scoped.org_units().await? {
                println!("{:>6}  {:<26} {}", o.id, o.kind.as_str(), o.name);
            }
        }
        UserCommand::Disable { username } => {
            let u = find_user(&store, &username).await?;
            scoped.set_user_active(u.id, false).await?;
            println!("Đã vô hiệu hóa {username}.");
        }
        UserCommand::Enable { username } => {
            let u = find_user(&store, &username).await?;
            scoped.set_user_active(u.id, true).await?;
            println!("Đã kích hoạt lại {username}.");
        }
        UserCommand::ResetPassword { username } => {
            let u = find_user(&store, &username).await?;
            let p = scoped.reset_password(u.id).await?;
            println!("Mật khẩu dùng một lần mới của {username}: {p}");
            println!("Mọi phiên đăng nhập của {username} đã kết thúc và mọi mã truy cập API đã bị thu hồi.");
        }
        UserCommand::Tokens { username } => {
            let u = find_user(&store, &username).await?;
            let tokens = scoped.api_tokens(u.id).await?;
            if tokens.is_empty() {
                println!("{username} không có mã truy cập API nào.");
            }
            for t in tokens {
                let state = if t.revoked {
                    "đã thu hồi"
                } else if t.live() {
                    "còn hiệu lực"
                } else {
                    "đã hết hạn"
                };
                println!(
                    "{:>6}  {:<12} {:<10} tạo {}  hết hạn {}  dùng gần nhất {}  {}",
                    t.id,
                    state,
                    t.scope.as_str(),
                    t.created_at,
                    t.expires_at,
                    t.last_used_at.as_deref().unwrap_or("chưa dùng"),
                    t.name
                );
            }
        }
        UserCommand::RevokeToken { id } => {
            let t = scoped.api_token(id).await?;
            if scoped.revoke_api_token(id).await? {
                println!("Đã thu hồi mã truy cập API số {id} ({}) của {}.", t.name, t.username);
            } else {
                println!(
                    "Mã truy cập API số {id} ({}) của {} đã bị thu hồi từ trước.",
                    t.name, t.username
                );
            }
        }
        UserCommand::RevokeTokens { username } => {
            let u = find_user(&store, &username).await?;
            let n = scoped.revoke_all_api_tokens(u.id).await?;
            println!("Đã thu hồi {n} mã truy cập API của {username}.");
        }
    }
    Ok(())
}

pub async fn audit(settings: &Settings, cmd: AuditCommand) -> CmdResult {
    let store = open(settings).await?;
    match cmd {
        AuditCommand::Verify { expect_head } => {
            let expect = match expect_head {
                None => None,
                Some(v) => Some(expected_head(&v)?),
            };
            let r = store.verify_audit_against(expect.as_ref()).await?;
            if let Some(b) = &r.broken {
                return Err(crate::Failure {
                    code: 1,
                    message: format!("Nhật ký KHÔNG toàn vẹn. {b}"),
                });
            }
            if !r.altered.is_empty() {
                let mut message = format!(
                    "Dữ liệu đã bị sửa ngoài hệ thống: {} dòng không khớp nhật ký.",
                    r.altered.len()
                );
                for a in &r.altered {
                    message.push_str(&format!("\n  {a}"));
                }
                return Err(crate::Failure { code: 1, message });
            }
            println!(
                "Nhật ký toàn vẹn: {} dòng, đầu chuỗi {} (băm {}); dữ liệu khớp nhật ký.",
                r.entries, r.head_seq, r.head_hash
            );
            if expect.is_some() {
                println!("Chuỗi vẫn chứa đầu chuỗi đã lưu bên ngoài.");
            }
            println!("Đầu chuỗi (chép lại, giữ ngoài máy chủ): {}", r.head());
            Ok(())
        }
        AuditCommand::Head => {
            let r = store.verify_audit().await?;
            if let Some(b) = &r.broken {
                return Err(crate::Failure {
                    code: 1,
                    message: format!("Nhật ký KHÔNG toàn vẹn. {b}"),
                });
            }
            println!("{}", r.head());
            Ok(())
        }
        AuditCommand::List { limit } => {
            let actor = store.system_actor().await?;
            for e in store
                .scoped(&actor)
                .audit_entries(&AuditFilter {
                    limit,
                    ..AuditFilter::default()
                })
                .await?
            {
                println!(
                    "{:>6} {} {:<12} {:<16} {}#{}",
                    e.seq, e.at, e.actor_name, e.action, e.entity, e.entity_id
                );
            }
            Ok(())
        }
    }
}

/// The head given to `audit verify --expect-head`: `SEQ:HASH` itself, or a file holding it.
fn expected_head(v: &str) -> Result<AuditHead, crate::Failure> {
    if let Ok(h) = v.parse::<AuditHead>() {
        return Ok(h);
    }
    let text = std::fs::read_to_string(v).map_err(|e| crate::Failure {
        code: 2,
        message: format!("\"{v}\" không phải đầu chuỗi SỐ:MÃ-BĂM và không đọc được như một tệp: {e}"),
    })?;
    text.parse::<AuditHead>()
        .map_err(|m| crate::Failure { code: 2, message: m })
}
