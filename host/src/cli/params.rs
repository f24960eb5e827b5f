//! `host params`: fill and read the local parameter store without editing its file.
//! Listing shows names and types only; a value is printed only when asked for by name.

use super::Failure;
use crate::params::LocalStore;
use clap::{Args, Subcommand};
use std::io::Read;
use std::path::PathBuf;

/// Arguments of `host params`.
#[derive(Args, Debug)]
pub struct ParamsArgs {
    /// The store file (default: $ION_HOME/params.edn, ION_HOME defaulting to ~/.ion).
    #[arg(long, global = true, value_name = "FILE")]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: ParamsCommand,
}

#[derive(Subcommand, Debug)]
enum ParamsCommand {
    /// Add or replace a parameter. Without VALUE, the value is read from stdin (keeps
    /// secrets out of shell history).
    Put {
        /// The full name, e.g. /datomic-shared/dev/my-app/db-name.
        name: String,
        /// The value.
        value: Option<String>,
        /// Store it as a secure value (`SecureString`): never logged or listed.
        #[arg(long)]
        secure: bool,
    },
    /// Print one parameter's value.
    Get {
        /// The full name.
        name: String,
    },
    /// List the names and types under a path (never values).
    List {
        /// The path, e.g. /datomic-shared/dev/my-app/ (default: everything).
        #[arg(default_value = "/")]
        path: String,
    },
}

pub(crate) fn run(args: ParamsArgs) -> Result<(), Failure> {
    let store = LocalStore::new(args.store.unwrap_or_else(LocalStore::default_file));
    let fail = |e: crate::params::ParamsError| Failure::Setup(e.to_string());
    match args.command {
        ParamsCommand::Put {
            name,
            value,
            secure,
        } => {
            let value = match value {
                Some(v) => v,
                None => {
                    let mut v = String::new();
                    std::io::stdin().read_to_string(&mut v).map_err(|e| {
                        Failure::Setup(format!("reading the value from stdin: {e}"))
                    })?;
                    v.strip_suffix('\n').map(str::to_owned).unwrap_or(v)
                }
            };
            store.put(&name, &value, secure).map_err(fail)?;
            let kind = if secure { ":secure-string" } else { ":string" };
            println!(
                "{{:name {}, :type {kind}, :store {}}}",
                ion_edn::quote(&name),
                ion_edn::quote(&store.file().display().to_string())
            );
        }
        ParamsCommand::Get { name } => match store.read_all().map_err(fail)?.get(&name) {
            Some(p) => println!("{}", p.value),
            None => {
                return Err(Failure::Setup(format!(
                    "no parameter named {name} in {}",
                    store.file().display()
                )));
            }
        },
        ParamsCommand::List { path } => {
            crate::params::check_path(&path).map_err(fail)?;
            let prefix = if path.ends_with('/') {
                path.clone()
            } else {
                format!("{path}/")
            };
            for p in store
                .read_all()
                .map_err(fail)?
                .values()
                .filter(|p| p.name.starts_with(&prefix))
            {
                let kind = if p.secure {
                    ":secure-string"
                } else {
                    ":string"
                };
                println!("{{:name {}, :type {kind}}}", ion_edn::quote(&p.name));
            }
        }
    }
    Ok(())
}
