//! The imactl front end: clap grammar, turned into library requests; printing and exit
//! codes live here. Each subcommand group has its own module.

use clap::{Parser, Subcommand};

/// imactl: check and load IMA policies, manage IMA keys, and explain appraisal verdicts.
#[derive(Parser, Debug)]
#[command(name = "imactl", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {}

/// Runs imactl with the process arguments; returns the exit code.
#[allow(unreachable_code)] // until the first subcommand group lands
pub fn main() -> i32 {
    match Cli::parse().command {}
}
