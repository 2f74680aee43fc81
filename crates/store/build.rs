//! `sqlx::migrate!` embeds the migrations at compile time; this makes Cargo rebuild the crate
//! when one is added or changed (without it, a new migration file goes unnoticed).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
