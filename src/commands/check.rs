//! `tollgate check`: open the gate ([`Gate::open`]: the repository once, each revision resolved
//! once), resolve the settings, run the pipeline, write the reports, and map the outcome to the
//! exit status.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ExitStatus, Io};
use crate::pipeline::gate::Gate;
use crate::pipeline::{self, Timer};
use crate::report::{self, Format};
use crate::settings::{self, cli::CheckArgs};
use crate::source::SourceFile;

pub fn run(args: CheckArgs, cwd: &Path, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let timer = Timer::new(args.timings || std::env::var_os("TOLLGATE_TIMINGS").is_some());
    let target = settings::target(&args)?;
    // Waivers need today's date: a `TOLLGATE_TODAY` that is not one is an error before any work.
    let today = crate::suppress::today_checked().map_err(Error::Usage)?;
    let gate = Gate::open(cwd, target)?;
    let text = gate.config(args.config.as_deref())?;
    let cfg = settings::parse_config(&gate, &text)?;
    let settings::Check { options, outputs, color, report, warnings } =
        settings::check(&args, &gate, &text, cfg, io.stdout_tty, today)?;
    for w in &warnings {
        let _ = writeln!(io.stderr, "warning: {}", crate::escape::visible(w));
    }
    // `-` is stdin in every mode but PR mode (which refuses it).
    let stdin = match settings::reads_stdin(&args) {
        true => Some(read_stdin(io.stdin, options.max_file_size)?),
        false => None,
    };
    let fail_on = options.fail_on.unwrap_or(crate::finding::FailOn::Error);
    let run = pipeline::run(&gate, options, stdin, timer)?;
    let pipeline::Run { outcome, policies, schemas, prints, changed_lines, pool, mut timer } = run;
    for p in prints {
        let _ = writeln!(io.stderr, "print: {}", crate::escape::visible(&p));
    }
    // Links point at the commit on GitHub when run in GitHub Actions. In PR mode `-o github`
    // lists the findings on changed lines first.
    let ctx = report::RenderContext { changed_lines, ..report::RenderContext::from_env(|k| std::env::var(k).ok()) };
    // `--report FRAMEWORK`: the findings grouped by the controls the selected checks map to.
    let compliance = report.map(|fw| {
        let checks: Vec<report::compliance::SelectedCheck<'_>> = policies
            .checks
            .iter()
            .map(|c| report::compliance::SelectedCheck {
                id: c.meta.id.clone().unwrap_or_else(|| c.package.clone()),
                custom: &c.meta.raw["custom"],
            })
            .collect();
        report::compliance::build(fw, &checks, &outcome.findings)
    });
    // Set when the reader of stdout went away (`check | head`): the rest of stdout is skipped
    // quietly, the report files are still written, and the exit status is still the verdict, so
    // that `set -o pipefail` (GitHub Actions' bash) never turns blocking findings into a pass.
    let mut stdout_closed = false;
    for (fmt, path) in &outputs {
        if stdout_closed && path.is_none() {
            continue;
        }
        let ctx = report::RenderContext { color: color && path.is_none(), ..ctx.clone() };
        // JSON comes in pieces rendered on the pool and written as they come (a report of 50,000
        // findings is 40 MB): only a wave of them is in memory at a time.
        let json_compliance = match (&compliance, fmt) {
            (Some(c), Format::Json) => Some(c.json(&outcome.findings)),
            _ => None,
        };
        let written = write_report(&gate, path.as_ref(), io, &mut |sink| match fmt {
            Format::Json => report::json::write_parts(&outcome, json_compliance.as_ref(), Some(&pool), sink),
            Format::Human if compliance.is_some() => {
                let c = compliance.as_ref().map(|c| c.human(&outcome.findings)).unwrap_or_default();
                sink(&(report::render(*fmt, &outcome, &ctx) + &c))
            }
            _ => sink(&report::render(*fmt, &outcome, &ctx)),
        });
        match written {
            Err(e) if path.is_none() && e.is_broken_pipe() => stdout_closed = true,
            written => written?,
        }
    }
    // `-o github` in GitHub Actions: also append a Markdown job summary (other steps add theirs).
    if let (true, Some(p)) = (
        outputs.iter().any(|(f, _)| *f == Format::Github),
        std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()).map(PathBuf::from),
    ) {
        let summary = report::github::step_summary(&outcome, &ctx);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .and_then(|mut f| f.write_all(summary.as_bytes()));
        if let Err(e) = written {
            let warning = format!("cannot write the job summary to {}: {e}", p.display());
            let _ = writeln!(io.stderr, "warning: {}", crate::escape::visible(&warning));
        }
    }
    timer.lap("report", format!("{} findings", outcome.findings.len()));
    for l in timer.finish() {
        let _ = writeln!(io.stderr, "{l}");
    }
    let status = if outcome.blocks(fail_on) { ExitStatus::Blocked } else { ExitStatus::Pass };
    // The process exits next (`run` is the binary's entry point): freeing what the run built
    // (findings, file texts, compiled policies and schemas) took 30 to 50 ms of the 10,000-file
    // benchmark, for memory the exit returns anyway.
    drop(compliance);
    std::mem::forget((outcome, policies, schemas));
    Ok(status)
}

/// Where a report's pieces go, one after the other.
type Sink<'a> = dyn FnMut(&str) -> Result<(), Error> + 'a;

/// Write one report: to stdout, to a file the command line names, or to a file a config of the
/// repository names (created afresh inside the repository only). `produce` hands the report's
/// pieces, in order, to the sink it is given.
fn write_report(
    gate: &Gate,
    path: Option<&settings::ReportFile>,
    io: &mut Io<'_>,
    produce: &mut dyn FnMut(&mut Sink<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let file = match path {
        None => return produce(&mut |part| super::write_stdout(io, part)),
        Some((p, Some(at))) => gate
            .jail
            .create(p)
            .map_err(|why| Error::Usage(format!("{at}: `output`: {}: not written: {why}", p.display())))?,
        Some((p, None)) => {
            // `-o sarif=reports/tollgate.sarif`: the directory is made, as CI steps expect.
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            std::fs::File::create(p).map_err(|e| Error::io(p, e))?
        }
    };
    let Some((p, _)) = path else { return Ok(()) };
    let mut file = std::io::BufWriter::new(file);
    produce(&mut |part| file.write_all(part.as_bytes()).map_err(|e| Error::io(p, e)))?;
    file.flush().map_err(|e| Error::io(p, e))
}

/// stdin as one file named `-`, read up to `cap` bytes (over it: `too_large`, with the size).
pub fn read_stdin(stdin: &mut dyn Read, cap: u64) -> Result<SourceFile, Error> {
    let file = |bytes, too_large| SourceFile { path: "-".into(), bytes, too_large };
    match crate::source::confine::read_capped(stdin, cap).map_err(|e| Error::io(Path::new("-"), e))? {
        Ok(bytes) => Ok(file(bytes, None)),
        Err(size) => Ok(file(Vec::new(), Some(size))),
    }
}
