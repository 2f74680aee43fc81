//! `formula-pm`: the Formula PM server and its maintenance commands.

fn main() -> std::process::ExitCode {
    formula_pm::run()
}
