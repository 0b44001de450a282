//! Reads one text file with the directive reader and prints the contract JSON:
//! `cargo run -p phongthu-domain --example read_directive -- FILE`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("Cách dùng: read_directive TỆP.txt");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("Không đọc được tệp {path}: {e}");
            std::process::exit(2);
        }
    };
    let parsed = phongthu_domain::directive::parse(&text);
    match serde_json::to_string_pretty(&parsed) {
        Ok(j) => println!("{j}"),
        Err(e) => {
            eprintln!("Không ghi được JSON: {e}");
            std::process::exit(2);
        }
    }
}
