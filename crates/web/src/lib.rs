//! Web (being built).
