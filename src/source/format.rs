//! The type of an input file as conftest decides it from the file's name (extension and
//! well-known names), the names `--parser` and `formats:` accept, and conftest's parsers that
//! tollgate does not read (so an error can name them).

use std::fmt;

/// An input format tollgate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Yaml,
    Json,
    Dockerfile,
    Hcl2,
    Toml,
    Ini,
    Dotenv,
    Properties,
    Ignore,
    Xml,
    Jsonc,
    CycloneDx,
    Spdx,
    Hcl1,
    Edn,
    Vcl,
    Cue,
    Hocon,
    Textproto,
    Jsonnet,
}

/// Every format, in the order the README lists them.
pub const ALL: &[Format] = &[
    Format::Yaml,
    Format::Json,
    Format::Dockerfile,
    Format::Hcl2,
    Format::Toml,
    Format::Ini,
    Format::Dotenv,
    Format::Properties,
    Format::Ignore,
    Format::Xml,
    Format::Jsonc,
    Format::CycloneDx,
    Format::Spdx,
    Format::Hcl1,
    Format::Edn,
    Format::Vcl,
    Format::Cue,
    Format::Hocon,
    Format::Textproto,
    Format::Jsonnet,
];

/// What a repository-wide run reads when `formats:` is not set: nothing changes for existing runs.
pub const DEFAULT: &[Format] = &[Format::Yaml, Format::Json];

/// conftest's parser names that tollgate does not implement: named in errors rather than read as
/// something else.
// One name a line (not reflowed), so that edits removing different names merge.
#[rustfmt::skip]
pub const NOT_READ: &[&str] = &[
    "groovy",
    "nginx",
];

impl Format {
    /// The name `--parser`, `formats:` and conftest use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dockerfile => "dockerfile",
            Format::Hcl2 => "hcl2",
            Format::Toml => "toml",
            Format::Ini => "ini",
            Format::Dotenv => "dotenv",
            Format::Properties => "properties",
            Format::Ignore => "ignore",
            Format::Xml => "xml",
            Format::Jsonc => "jsonc",
            Format::CycloneDx => "cyclonedx",
            Format::Spdx => "spdx",
            Format::Hcl1 => "hcl1",
            Format::Edn => "edn",
            Format::Vcl => "vcl",
            Format::Cue => "cue",
            Format::Hocon => "hocon",
            Format::Textproto => "textproto",
            Format::Jsonnet => "jsonnet",
        }
    }

    /// A format by its name (`yml` too, as a file extension would say it), case-insensitive.
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.to_ascii_lowercase();
        if name == "yml" {
            return Some(Format::Yaml);
        }
        ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The type of a file from its repository path as conftest's `NewFromPath` decides it:
    /// `Dockerfile`, `Dockerfile.*` and `*.dockerfile` (and `Containerfile`, which conftest does
    /// not know), the extension `.gitignore`/`.dockerignore`, `.env`, `.env.*` and `*.env`, then the
    /// extension as the parser's name. `-` (stdin) is YAML. `None`: no format tollgate reads.
    pub fn of_path(path: &str) -> Option<Format> {
        if path == "-" {
            return Some(Format::Yaml);
        }
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        // Go's filepath.Ext: from the last dot of the name, the dot included (`.env` has the
        // extension `env`).
        let ext = name.rfind('.').map(|i| &name[i + 1..]).unwrap_or("");
        if name == "dockerfile" || name.starts_with("dockerfile.") || ext == "dockerfile" {
            return Some(Format::Dockerfile);
        }
        if name == "containerfile" || name.starts_with("containerfile.") || ext == "containerfile" {
            return Some(Format::Dockerfile);
        }
        // A name that is only an extension (`.yaml`) is no manifest, as before formats existed.
        if matches!(ext, "yml" | "yaml" | "json") && name.len() == ext.len() + 1 {
            return None;
        }
        match ext {
            "yml" | "yaml" => return Some(Format::Yaml),
            "gitignore" | "dockerignore" => return Some(Format::Ignore),
            "hcl" | "tf" | "tfvars" => return Some(Format::Hcl2),
            // conftest's `TextProtoFileExtensions`.
            "textpb" => return Some(Format::Textproto),
            _ => {}
        }
        if name == ".env" || name.starts_with(".env.") || ext == "env" {
            return Some(Format::Dotenv);
        }
        Format::from_name(ext)
    }

    /// The conftest parser a file name selects that tollgate does not read (`main.tf` → `hcl2`).
    pub fn unsupported_of_path(path: &str) -> Option<&'static str> {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let ext = name.rfind('.').map(|i| &name[i + 1..]).unwrap_or("");
        if name == "nginx.conf" {
            return Some("nginx");
        }
        if name == "jenkinsfile" || name.starts_with("jenkinsfile.") {
            return Some("groovy");
        }
        NOT_READ.iter().copied().find(|n| *n == ext)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names tollgate reads, for messages (`yaml, json, …`).
pub fn names() -> String {
    ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_from_names_as_conftest() {
        let of = Format::of_path;
        assert_eq!(of("a/Dockerfile"), Some(Format::Dockerfile));
        assert_eq!(of("Dockerfile.debug"), Some(Format::Dockerfile));
        assert_eq!(of("dev.Dockerfile"), Some(Format::Dockerfile));
        assert_eq!(of("Containerfile"), Some(Format::Dockerfile));
        assert_eq!(of("x/.gitignore"), Some(Format::Ignore));
        assert_eq!(of(".dockerignore"), Some(Format::Ignore));
        assert_eq!(of(".env"), Some(Format::Dotenv));
        assert_eq!(of(".env.prod"), Some(Format::Dotenv));
        assert_eq!(of("prod.env"), Some(Format::Dotenv));
        assert_eq!(of("a.TOML"), Some(Format::Toml));
        assert_eq!(of("grafana.ini"), Some(Format::Ini));
        assert_eq!(of("app.properties"), Some(Format::Properties));
        assert_eq!(of("a.yml"), Some(Format::Yaml));
        assert_eq!(of("a.json"), Some(Format::Json));
        assert_eq!(of("-"), Some(Format::Yaml));
        assert_eq!(of("main.tf"), Some(Format::Hcl2));
        assert_eq!(of("prod.tfvars"), Some(Format::Hcl2));
        assert_eq!(of("README"), None);
        assert_eq!(of("a.txt"), None);
        assert_eq!(Format::unsupported_of_path("Jenkinsfile"), Some("groovy"));
        assert_eq!(of("pom.xml"), Some(Format::Xml));
        assert_eq!(of("a/b.XML"), Some(Format::Xml));
        assert_eq!(of(".vscode/settings.jsonc"), Some(Format::Jsonc));
        assert_eq!(of("bom.cyclonedx"), Some(Format::CycloneDx));
        assert_eq!(of("sbom.spdx"), Some(Format::Spdx));
        assert_eq!(of("bom.json"), Some(Format::Json), "conftest reads a CycloneDX BOM only with --parser");
        assert_eq!(of("main.hcl1"), Some(Format::Hcl1));
        assert_eq!(of("a.hcl"), Some(Format::Hcl2));
        assert_eq!(of("config.EDN"), Some(Format::Edn));
        assert_eq!(of("varnish.vcl"), Some(Format::Vcl));
        assert_eq!(of("deployment.cue"), Some(Format::Cue));
        assert_eq!(of("app.hocon"), Some(Format::Hocon));
        assert_eq!(of("a.textproto"), Some(Format::Textproto));
        assert_eq!(of("a.textpb"), Some(Format::Textproto));
        assert_eq!(of("a.pbtxt"), None, "not a textproto name to conftest");
        assert_eq!(of("app.jsonnet"), Some(Format::Jsonnet));
        assert_eq!(of("lib.libsonnet"), None, "conftest has no parser for `.libsonnet`");
        assert_eq!(of("application.conf"), None, "conftest reads `.conf` as HOCON only with --parser");
        assert_eq!(Format::unsupported_of_path("main.hcl1"), None);
        assert_eq!(Format::unsupported_of_path("a.txt"), None);
        assert_eq!(Format::from_name("YML"), Some(Format::Yaml));
        assert_eq!(Format::from_name("hcl1"), Some(Format::Hcl1));
    }
}
