//! The typed values of the settings that take one of a fixed set of words, shared by the flags
//! (`clap::ValueEnum`) and `.tollgate.yaml` (parsed with [`choice`]), so that both accept the
//! same words and name them the same way in their errors.

use clap::ValueEnum;

use crate::finding::{FailOn, Risk};
use crate::library::Profile;

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

/// `--builtin` / `builtin:`: the built-in checks selected: `auto`, `none`, or one of the library's
/// profiles (their names come from [`Profile`], so the flag and the library cannot drift apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `default` unless policies are given (`-p` or `policy:`), then none.
    Auto,
    None,
    Profile(Profile),
}

impl Builtin {
    const ALL: [Builtin; 9] = [
        Builtin::Auto,
        Builtin::None,
        Builtin::Profile(Profile::ALL[0]),
        Builtin::Profile(Profile::ALL[1]),
        Builtin::Profile(Profile::ALL[2]),
        Builtin::Profile(Profile::ALL[3]),
        Builtin::Profile(Profile::ALL[4]),
        Builtin::Profile(Profile::ALL[5]),
        Builtin::Profile(Profile::ALL[6]),
    ];

    /// The profile selected (`None`: no built-in checks); `auto` is `default` when `no_policies`.
    pub fn profile(self, no_policies: bool) -> Option<Profile> {
        match self {
            Builtin::Auto => no_policies.then_some(Profile::Default),
            Builtin::None => None,
            Builtin::Profile(p) => Some(p),
        }
    }
}

impl ValueEnum for Builtin {
    fn value_variants<'a>() -> &'a [Self] {
        &Builtin::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            Builtin::Auto => "auto",
            Builtin::None => "none",
            Builtin::Profile(p) => p.name(),
        }))
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

/// `--parser` / `formats:`: an input type by its conftest name. The error names the types tollgate
/// reads, and says when conftest knows the name but tollgate does not read that type.
pub fn format(word: &str) -> Result<crate::source::format::Format, String> {
    use crate::source::format::{names, Format, NOT_READ};
    Format::from_name(word).ok_or_else(|| {
        let lower = word.to_ascii_lowercase();
        if NOT_READ.contains(&lower.as_str()) {
            format!("conftest's `{lower}` parser is not supported by tollgate (it reads {})", names())
        } else {
            format!("unknown input format `{word}` (one of {})", names())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_words_are_the_flag_words() {
        assert_eq!(choice::<FailOnLevel>(Some("HIGH".into())), Some(FailOnLevel::High));
        assert_eq!(FailOn::from(FailOnLevel::High), FailOn::Risk(Risk::High));
        assert_eq!(choice::<Builtin>(Some("gitops".into())), Some(Builtin::Profile(Profile::Gitops)));
        assert_eq!(choice::<Builtin>(Some("nope".into())), None);
        assert_eq!(choices::<Color>(), "one of auto, always, never");
        assert_eq!(Builtin::Auto.profile(true), Some(Profile::Default));
        assert_eq!(Builtin::Auto.profile(false), None);
        assert_eq!(
            choices::<Builtin>(),
            "one of auto, none, default, baseline, restricted, gitops, extended, correctness, all"
        );
        // Every profile of the library has its flag value, spelled the same.
        for p in Profile::ALL {
            assert_eq!(choice::<Builtin>(Some(p.name().into())).and_then(|b| b.profile(true)), Some(p));
        }
    }
}
