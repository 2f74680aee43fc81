//! `formula-pm`: the Formula PM server and its maintenance commands.

/// mimalloc instead of glibc's malloc: under load glibc consolidates, trims and re-faults
/// its heap, which cost a fifth of the server's CPU in the load test (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    formula_pm::run()
}
