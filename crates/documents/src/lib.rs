//! Documents (being built).
