//! The typed values of the settings that take one of a fixed set of words, shared by the flags
//! (`clap::ValueEnum`) and `.tollgate.yaml` (parsed with [`choice`]), so that both accept the
//! same words and name them the same way in their errors.

use clap::ValueEnum;

use crate::finding::{FailOn, Risk};

/// `--color` (flags only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

/// `--policy-from`: which commit PR mode reads the gate from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFrom {
    /// The merge-base of `--base` and head (the default).
    Base,
    Head,
}

/// `--builtin` / `builtin:`: the built-in checks selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Builtin {
    /// `default` unless policies are given (`-p` or `policy:`), then none.
    Auto,
    None,
    Default,
    Baseline,
    Restricted,
    Gitops,
    Extended,
    All,
}

impl Builtin {
    /// The profile selected (`None`: no built-in checks); `auto` is `default` when `no_policies`.
    pub fn profile(self, no_policies: bool) -> Option<&'static str> {
        match self {
            Builtin::Auto => no_policies.then_some("default"),
            Builtin::None => None,
            Builtin::Default => Some("default"),
            Builtin::Baseline => Some("baseline"),
            Builtin::Restricted => Some("restricted"),
            Builtin::Gitops => Some("gitops"),
            Builtin::Extended => Some("extended"),
            Builtin::All => Some("all"),
        }
    }
}

/// `--fail-on` / `fail-on:`: the least severe finding that blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnLevel {
    Error,
    Warning,
    Never,
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl From<FailOnLevel> for FailOn {
    fn from(l: FailOnLevel) -> FailOn {
        match l {
            FailOnLevel::Error => FailOn::Error,
            FailOnLevel::Warning => FailOn::Warning,
            FailOnLevel::Never => FailOn::Never,
            FailOnLevel::Critical => FailOn::Risk(Risk::Critical),
            FailOnLevel::High => FailOn::Risk(Risk::High),
            FailOnLevel::Medium => FailOn::Risk(Risk::Medium),
            FailOnLevel::Low => FailOn::Risk(Risk::Low),
            FailOnLevel::Info => FailOn::Risk(Risk::Info),
        }
    }
}

/// `verify -o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyOutput {
    Text,
    Json,
}

/// The value a config file's word names, as the flag would take it (any case).
pub fn choice<T: ValueEnum>(word: Option<String>) -> Option<T> {
    T::from_str(word?.trim(), true).ok()
}

/// The words a value takes, for errors: `one of a, b, c`.
pub fn choices<T: ValueEnum>() -> String {
    let names: Vec<String> =
        T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|p| p.get_name().to_string()).collect();
    format!("one of {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_words_are_the_flag_words() {
        assert_eq!(choice::<FailOnLevel>(Some("HIGH".into())), Some(FailOnLevel::High));
        assert_eq!(FailOn::from(FailOnLevel::High), FailOn::Risk(Risk::High));
        assert_eq!(choice::<Builtin>(Some("gitops".into())), Some(Builtin::Gitops));
        assert_eq!(choice::<Builtin>(Some("nope".into())), None);
        assert_eq!(choices::<Color>(), "one of auto, always, never");
        assert_eq!(Builtin::Auto.profile(true), Some("default"));
        assert_eq!(Builtin::Auto.profile(false), None);
        // Every profile a flag names is one the pipeline knows.
        for b in Builtin::value_variants() {
            if let Some(p) = b.profile(true) {
                assert!(crate::pipeline::BUILTIN_PROFILES.contains(&p), "{p}");
            }
        }
    }
}
