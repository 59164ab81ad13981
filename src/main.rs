//! The `drainsim` command; see `drainsim --help`.

fn main() -> std::process::ExitCode {
    drainsim::cli::main()
}
