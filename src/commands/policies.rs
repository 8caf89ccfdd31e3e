//! `tollgate policies list|explain`: the built-in catalogue, filtered, as text or JSON; `explain` of
//! an alias several checks carry lists them.

use crate::error::{Error, ExitStatus, Io};
use crate::finding::Risk;
use crate::library::{self, Profile};
use crate::report;
use crate::settings::cli::{PoliciesArgs, PoliciesCommand};

pub fn run(args: PoliciesArgs, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let catalog = library::Catalog::builtin()?;
    let bad_output = |o: &str| Error::Usage(format!("unknown output `{o}` (text, json)"));
    let text = match args.command.unwrap_or(PoliciesCommand::List {
        profile: None,
        framework: None,
        severity: None,
        output: "text".into(),
    }) {
        PoliciesCommand::List { profile, framework, severity, output } => {
            let profile = match profile {
                Some(p) => Some(Profile::parse(&p).ok_or_else(|| {
                    Error::Usage(format!("unknown --profile `{p}` ({})", library::PROFILES.join(", ")))
                })?),
                None => None,
            };
            if let Some(f) = &framework {
                if !report::compliance::FRAMEWORKS.contains(&f.as_str()) {
                    return Err(Error::Usage(format!(
                        "unknown --framework `{f}` ({})",
                        report::compliance::FRAMEWORKS.join(", ")
                    )));
                }
            }
            let severity = match severity {
                Some(s) => Some(Risk::parse(&s).ok_or_else(|| {
                    Error::Usage(format!("unknown --severity `{s}` (critical, high, medium, low, info)"))
                })?),
                None => None,
            };
            let filter = library::ListFilter { profile, framework, severity };
            let entries: Vec<&library::Entry> = catalog.entries.iter().filter(|e| filter.matches(e)).collect();
            match output.as_str() {
                "json" => {
                    let v: Vec<serde_json::Value> = entries.iter().map(|e| e.list_json()).collect();
                    report::json::to_string_pretty(&v).unwrap_or_else(|_| "[]".into()) + "\n"
                }
                "text" => library::list_text(&entries),
                other => return Err(bad_output(other)),
            }
        }
        PoliciesCommand::Explain { id, output, no_examples } => {
            let found = catalog.resolve_all(&id).map_err(|l| Error::Usage(l.to_string()))?;
            let json = match (output.as_str(), found.as_slice()) {
                ("json", [e]) => e.explain_json(!no_examples),
                // An alias of several checks (kube-linter's `run-as-non-root`, Kyverno's
                // `require-pod-requests-limits`) answers with each of them.
                ("json", many) => library::matches_json(&id, many),
                ("text", [e]) => return finish(io, library::explain_text(e, !no_examples)),
                ("text", many) => return finish(io, library::matches_text(&id, many)),
                (other, _) => return Err(bad_output(other)),
            };
            report::json::to_string_pretty(&json).unwrap_or_else(|_| "{}".into()) + "\n"
        }
    };
    finish(io, text)
}

fn finish(io: &mut Io<'_>, text: String) -> Result<ExitStatus, Error> {
    // The catalogue is built in, but its text reaches a terminal as every output does: any control
    // or bidirectional character in its visible form, the line breaks of the layout kept (JSON
    // has the JSON escape). The query a multi-check answer repeats comes from the command line.
    let text = crate::escape::visible_keeping(&text, |c| c == '\n');
    super::write_stdout(io, &text)?;
    Ok(ExitStatus::Pass)
}
