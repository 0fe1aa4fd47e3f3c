use clap::Parser;
use nxsys_etl::{cli::Cli, commands, exit};

fn main() {
    let cli = Cli::parse();
    let code = match commands::run(cli) {
        Ok(exit) => exit.code(),
        Err(error) => {
            eprintln!("error: {error:#}");
            exit::exit_for(&error).code()
        }
    };
    std::process::exit(code);
}
