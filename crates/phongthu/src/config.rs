//! Settings: typed defaults, then a TOML file, then `PHONGTHU_*` environment variables, then flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address and port the web server listens on.
    pub listen: String,
    /// `sqlite://path` (default) or `postgres://user@host/db`.
    pub database_url: String,
    /// Log filter, e.g. "info" or "phongthu=debug".
    pub log: String,
    /// Mark cookies Secure (set when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    /// Maximum database connections.
    pub max_connections: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://phongthu.db".into(),
            log: "info".into(),
            secure_cookies: false,
            max_connections: 8,
        }
    }
}

/// Overrides given as command-line flags (only those present).
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

const KEYS: [&str; 5] = ["listen", "database_url", "log", "secure_cookies", "max_connections"];

/// Loads the layered settings. The file is `--config`, else `PHONGTHU_CONFIG`, else
/// `./phongthu.toml` when it exists. A named file that does not exist is an error.
pub fn load(config: Option<PathBuf>, flags: FlagOverrides) -> anyhow::Result<Settings> {
    let explicit = config.or_else(|| std::env::var_os("PHONGTHU_CONFIG").map(PathBuf::from));
    let mut fig = Figment::from(Serialized::defaults(Settings::default()));
    match explicit {
        Some(path) => {
            if !path.is_file() {
                anyhow::bail!(
                    "Không tìm thấy tệp cấu hình \"{}\" (configuration file not found).",
                    path.display()
                );
            }
            fig = fig.merge(Toml::file(path));
        }
        None => {
            if std::path::Path::new("phongthu.toml").is_file() {
                fig = fig.merge(Toml::file("phongthu.toml"));
            }
        }
    }
    for (key, _) in std::env::vars() {
        if let Some(rest) = key.strip_prefix("PHONGTHU_") {
            let k = rest.to_lowercase();
            // Variables read by the test and benchmark tooling, not by the binary's settings.
            let tooling = matches!(
                k.as_str(),
                "config" | "test_database_url" | "pg_url" | "require_ocr" | "bin"
            );
            if !KEYS.contains(&k.as_str()) && !tooling {
                eprintln!("Cảnh báo: biến môi trường {key} không được phongthu dùng (unknown variable).");
            }
        }
    }
    fig = fig
        .merge(Env::prefixed("PHONGTHU_").only(&KEYS))
        .merge(Serialized::defaults(flags));
    fig.extract::<Settings>()
        .map_err(|e| anyhow::anyhow!("Cấu hình không hợp lệ: {e} (invalid configuration)."))
}

/// A commented example configuration, printed by `phongthu config`.
pub const EXAMPLE: &str = r#"# phongthu.toml — cấu hình phongthu (configuration)
# Thứ tự ưu tiên: giá trị mặc định < tệp này < biến môi trường PHONGTHU_* < tham số dòng lệnh.
# Precedence: defaults < this file < PHONGTHU_* environment variables < command-line flags.

# Địa chỉ máy chủ web lắng nghe (PHONGTHU_LISTEN, --listen).
listen = "127.0.0.1:8080"

# Cơ sở dữ liệu (PHONGTHU_DATABASE_URL, --database):
#   sqlite://phongthu.db                      tệp SQLite nhúng, tự tạo lần đầu
#   postgres://phongthu@127.0.0.1/phongthu     PostgreSQL cho cấp tỉnh hoặc toàn quốc
database_url = "sqlite://phongthu.db"

# Mức ghi nhật ký vận hành (PHONGTHU_LOG): error, warn, info, debug.
log = "info"

# Đặt true khi phục vụ qua HTTPS (cookie chỉ gửi qua kết nối mã hóa) (PHONGTHU_SECURE_COOKIES).
secure_cookies = false

# Số kết nối cơ sở dữ liệu tối đa (PHONGTHU_MAX_CONNECTIONS).
max_connections = 8
"#;

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_to_defaults() {
        let s: Settings = Figment::from(Toml::string(EXAMPLE)).extract().unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn flags_override_file_and_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("p.toml", "listen = \"0.0.0.0:1\"\ndatabase_url = \"sqlite://a.db\"")?;
            jail.set_env("PHONGTHU_DATABASE_URL", "sqlite://b.db");
            let s = load(
                Some("p.toml".into()),
                FlagOverrides {
                    listen: Some("127.0.0.1:2".into()),
                    database_url: None,
                },
            )
            .unwrap();
            assert_eq!(s.listen, "127.0.0.1:2");
            assert_eq!(s.database_url, "sqlite://b.db");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "lisen = \"x\"")?;
            assert!(load(Some("bad.toml".into()), FlagOverrides::default()).is_err());
            assert!(load(Some("none.toml".into()), FlagOverrides::default()).is_err());
            Ok(())
        });
    }
}
