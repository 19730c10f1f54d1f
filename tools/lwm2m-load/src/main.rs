//! `lwm2m-load`: see the library documentation.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use lwm2m_load::cli::{Cli, Command};
use lwm2m_load::coap::Accept;
use lwm2m_load::compare::{CompareConfig, compare};
use lwm2m_load::{Error, Result, echo, serve};

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lwm2m-load: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::ServeClient {
            client_cmd,
            accept,
            register_timeout,
            run,
        } => {
            let config = run.config(accept, true)?;
            let label = format!("client accept={} W={}", accept.name(), config.window);
            let within = Duration::from_secs_f64(register_timeout);
            println!(
                "{}",
                serve::serve_client(&client_cmd, &config, label, within)?
            );
        }
        Command::Echo { run } => {
            let config = run.config(Accept::None, false)?;
            let label = format!("echo W={}", config.window);
            println!("{}", echo::run_echo(&config, label)?);
        }
        Command::EchoServer { port } => echo::echo_server(port)?,
        Command::Compare {
            client_cmd,
            rounds,
            markdown,
            accept,
            run,
        } => {
            let accepts = if accept.is_empty() {
                vec![Accept::None, Accept::Tlv, Accept::SenmlCbor]
            } else {
                accept
            };
            let config = CompareConfig {
                client_cmd,
                rounds: if run.quick { 1 } else { usize::from(rounds) },
                windows: vec![1, 16],
                accepts,
                base: run.config(Accept::None, true)?,
            };
            let comparison = compare(&config, |summary| println!("{summary}"))?;
            let table = comparison.markdown();
            println!("\n{table}");
            if let Some(path) = markdown {
                std::fs::write(&path, &table)
                    .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
            }
        }
    }
    Ok(())
}
