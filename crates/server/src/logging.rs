//! Logging: `tracing` events filtered by `LOG_LEVEL`, as JSON lines (default) or
//! human-readable lines (`LOG_FORMAT=pretty`), with secrets redacted from every line
//! ([`redact`]), and for the server optionally also into a size-rotated `LOG_FILE` ([`rotate`]).

pub mod redact;
pub mod rotate;

use std::io::IsTerminal;

use anyhow::Context;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::{BoxMakeWriter, MakeWriterExt};

use self::redact::Redacting;
use self::rotate::RotatingFile;

use crate::config::{Config, LogFormat};

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The server logs to stdout, where container runtimes collect it.
    Stdout,
    /// One-shot commands log to stderr, keeping stdout for their own output.
    Stderr,
}

/// Installs the global subscriber. Call once, after the configuration is loaded.
pub fn init(config: &Config, output: Output) -> anyhow::Result<()> {
    // The loader already checked the directive string.
    let filter = EnvFilter::try_new(&config.log_level).context("LOG_LEVEL")?;
    let (writer, terminal) = match output {
        Output::Stdout => match &config.ops.log_file {
            // Only the server writes the file: one-shot commands running beside it would
            // race it for rotation.
            Some(path) => {
                let file =
                    RotatingFile::open(path, config.ops.log_max_size, config.ops.log_max_files)
                        .with_context(|| format!("LOG_FILE: cannot open {}", path.display()))?;
                (
                    BoxMakeWriter::new(Redacting(std::io::stdout.and(file))),
                    // Colour codes would end up in the file too.
                    false,
                )
            }
            None => (
                BoxMakeWriter::new(Redacting(std::io::stdout)),
                std::io::stdout().is_terminal(),
            ),
        },
        Output::Stderr => (
            BoxMakeWriter::new(Redacting(std::io::stderr)),
            std::io::stderr().is_terminal(),
        ),
    };
    let installed = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .with_env_filter(filter)
            .with_writer(writer)
            .try_init(),
        LogFormat::Pretty => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(terminal)
            .with_writer(writer)
            .try_init(),
    };
    installed.map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))
}
