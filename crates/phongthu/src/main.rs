//! The phongthu binary (being built).
fn main() {}
