//! leash's entry point chooses the front: with no subcommand, in a
//! terminal, the console; otherwise the command line. `leash demo` is both:
//! the command line builds the demo workspace and starts its turns, then the
//! console opens on it.

use std::path::Path;

use leash::cli::{self, Command, Failure};

fn main() {
    let code = match cli::parse() {
        Err(code) => code,
        Ok(c) => match &c.command {
            None if cli::interactive() => {
                let dir = c.dir();
                cli::finish(cli::ensure_set_up(&dir).and_then(|()| console(&dir, false)))
            }
            Some(Command::Demo(a)) if !a.no_console => {
                cli::finish(cli::demo(a).and_then(|root| console(&root, true)))
            }
            _ => cli::run(c),
        },
    };
    std::process::exit(code);
}

/// Opens the console on the workspace holding `dir` until the operator
/// quits it.
fn console(dir: &Path, demo: bool) -> Result<i32, Failure> {
    leash::ui::run(dir, demo).map_err(|e| Failure::from(format!("{e:#}")))?;
    Ok(0)
}
