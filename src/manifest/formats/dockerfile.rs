//! Dockerfiles as conftest gives them to policies: one document, the array of instructions in
//! file order, each `{Cmd, SubCmd, JSON, Flags, Value, Stage}` as conftest's docker parser builds
//! it from BuildKit's parser (`Cmd` lower-cased, flags such as `--from=build` apart, `Value` split
//! the way BuildKit splits each instruction, `Stage` the index of the `FROM` it belongs to), and
//! each comment line before an instruction as `{Cmd: "comment", Value: [text]}`.
//!
//! Written from BuildKit's documented line rules (escape directive, line continuations, comments
//! inside a continued instruction, JSON or shell form, heredocs). A heredoc (`RUN <<EOF` … `EOF`)
//! is consumed as BuildKit consumes it: its lines are no instructions, and conftest hands policies
//! only the instruction's own line (`Value` `["<<EOF"]`), as BuildKit keeps the body apart.

use super::{lines, Bad, Kind, Member, Node};

/// One logical instruction: its text with continuations joined, where it starts and ends, and the
/// comment lines before it.
struct Line<'a> {
    text: String,
    start: usize,
    end: usize,
    comments: Vec<(&'a str, usize, usize)>,
}

/// How BuildKit splits the arguments of each instruction.
#[derive(Clone, Copy)]
enum Split {
    /// The rest as one string.
    Whole,
    /// Words split at white space.
    Words,
    /// A JSON array of strings, else the rest as one string (`RUN`, `CMD`, `ENTRYPOINT`, `SHELL`).
    MaybeJson,
    /// A JSON array of strings, else words (`ADD`, `COPY`, `VOLUME`).
    MaybeJsonList,
    /// `name=value` pairs (or the old `name value`), each as name, value, separator (`ENV`, `LABEL`).
    NameVal,
    /// Words, quotes kept (`ARG`).
    NameOrNameVal,
    /// `NONE`, or `CMD` and its command (`HEALTHCHECK`).
    Health,
    /// Another instruction (`ONBUILD`).
    Sub,
}

fn split_of(cmd: &str) -> Option<Split> {
    Some(match cmd {
        "add" | "copy" | "volume" => Split::MaybeJsonList,
        "arg" => Split::NameOrNameVal,
        "cmd" | "entrypoint" | "run" | "shell" => Split::MaybeJson,
        "env" | "label" => Split::NameVal,
        "expose" | "from" => Split::Words,
        "healthcheck" => Split::Health,
        "maintainer" | "stopsignal" | "user" | "workdir" => Split::Whole,
        "onbuild" => Split::Sub,
        _ => return None,
    })
}

/// BuildKit's white space inside an instruction (`[\t\v\f\r ]`).
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{b}' | '\u{c}' | '\r')
}

fn is_comment(line: &str) -> bool {
    line.trim_start_matches(is_ws).starts_with('#')
}

/// The escape character a leading `# escape=` directive sets (`\` by default).
fn escape_of(text: &str) -> char {
    for (_, l) in lines(text) {
        let Some(body) = l.trim_start_matches(is_ws).strip_prefix('#') else { break };
        let Some((key, value)) = body.split_once('=') else { break };
        let key = key.trim_matches(is_ws).to_ascii_lowercase();
        if key == "escape" {
            if let Some(c @ ('`' | '\\')) = value.trim_matches(is_ws).chars().next() {
                return c;
            }
        } else if key != "syntax" && key != "check" {
            break;
        }
    }
    '\\'
}

/// The line without its continuation character, and whether the instruction ends on it.
fn continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        Some(rest) => (rest, false),
        None => (line, true),
    }
}

/// BuildKit's shell words of a line (`shell.Lex` with raw quotes and escapes): split at white space
/// outside quotes, quotes and backslashes kept.
fn shell_words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some(_) => {}
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(&line[s..i]);
                }
            }
            None => {
                start.get_or_insert(i);
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == '\\' {
                    chars.next();
                }
            }
        }
    }
    if let Some(s) = start {
        out.push(&line[s..]);
    }
    out
}

/// A heredoc word (`<<EOF`, `<<-"EOF"`, `2<<EOF`): its terminator and whether leading tabs are
/// stripped before comparing (`<<-`). The word's quotes are removed from the name.
fn heredoc_of(word: &str) -> Option<(String, bool)> {
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit()).strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let mut name = String::new();
    let mut chars = rest.chars();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (Some('\''), c) => name.push(c),
            (_, '\\') => name.extend(chars.next()),
            (_, c) => name.push(c),
        }
    }
    // White space in the word was quoted or escaped: BuildKit's one-word check fails only when
    // nothing is left.
    if name.is_empty() {
        return None;
    }
    Some((name, chomp))
}

/// The heredocs an instruction opens: only `RUN`, `COPY` and `ADD` (also under `ONBUILD`) in shell
/// form, as BuildKit's `canContainHeredoc`.
fn heredocs(line: &str) -> Vec<(String, bool)> {
    if !line.contains("<<") {
        return Vec::new();
    }
    let mut words = line.split(is_ws).filter(|w| !w.is_empty());
    let mut cmd = words.next().unwrap_or("").to_ascii_lowercase();
    let mut args = line.trim_start_matches(is_ws);
    args = args[args.find(is_ws).unwrap_or(args.len())..].trim_start_matches(is_ws);
    if cmd == "onbuild" {
        cmd = words.next().unwrap_or("").to_ascii_lowercase();
        args = args[args.find(is_ws).unwrap_or(args.len())..].trim_start_matches(is_ws);
    }
    if !matches!(cmd.as_str(), "run" | "copy" | "add") {
        return Vec::new();
    }
    let (_, rest) = builder_flags(args);
    if matches!(json_array(rest), Ok(Some(_))) {
        return Vec::new();
    }
    shell_words(line).into_iter().filter_map(heredoc_of).collect()
}

fn logical_lines(text: &str, escape: char) -> Result<Vec<Line<'_>>, Bad> {
    let mut out = Vec::new();
    let mut comments = Vec::new();
    let mut it = lines(text).peekable();
    while let Some((at, raw)) = it.next() {
        if is_comment(raw) {
            let body = raw.trim_start_matches(is_ws);
            let c = body[1..].trim();
            // An empty comment line ends the run of comments before an instruction.
            if c.is_empty() {
                comments.clear();
            } else {
                comments.push((c, at, at + raw.len()));
            }
            continue;
        }
        let line = raw.trim_start_matches(is_ws);
        let (first, mut ended) = continuation(line, escape);
        if ended && first.trim_matches(is_ws).is_empty() {
            continue;
        }
        let start = at + (raw.len() - line.len());
        let mut end = at + raw.len();
        let mut joined = first.to_string();
        while !ended {
            let Some((at, raw)) = it.next() else { break };
            if is_comment(raw) {
                continue;
            }
            if raw.trim_matches(is_ws).is_empty() {
                continue;
            }
            let (part, e) = continuation(raw, escape);
            joined.push_str(part);
            ended = e;
            end = at + raw.len();
        }
        for (name, chomp) in heredocs(&joined) {
            let mut terminated = false;
            for (at, raw) in it.by_ref() {
                end = at + raw.len();
                let body = raw.trim_end_matches(['\r', '\n']);
                let body = if chomp { body.trim_start_matches('\t') } else { body };
                if body == name {
                    terminated = true;
                    break;
                }
            }
            if !terminated {
                return Err(Bad::new(format!("unterminated heredoc <<{name}"), start));
            }
        }
        out.push(Line { text: joined, start, end, comments: std::mem::take(&mut comments) });
    }
    Ok(out)
}

/// BuildKit's `--flag` words at the start of the arguments: (flags, the rest).
fn builder_flags(args: &str) -> (Vec<String>, &str) {
    let mut flags = Vec::new();
    let mut rest = args.trim_start_matches(is_ws);
    while rest.starts_with("--") {
        let mut word = String::new();
        let mut quote = None;
        let mut end = rest.len();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match quote {
                None if is_ws(c) || c == '\n' => {
                    end = i;
                    break;
                }
                None if c == '"' || c == '\'' => quote = Some(c),
                Some(q) if c == q => quote = None,
                _ if c == '\\' && quote != Some('\'') => {
                    if let Some((_, n)) = chars.next() {
                        word.push(n);
                    }
                }
                _ => word.push(c),
            }
        }
        flags.push(word);
        rest = rest[end..].trim_start_matches(is_ws);
    }
    (flags, rest)
}

/// BuildKit's `parseWords`: words at white space, quotes and escapes kept in the word.
fn words(rest: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut blank_ok = false;
    let mut quote: Option<char> = None;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            if c == escape && q != '\'' {
                match chars.next() {
                    Some(n) => {
                        word.push(c);
                        word.push(n);
                    }
                    None => quote = None,
                }
                continue;
            }
            word.push(c);
            continue;
        }
        if c.is_whitespace() {
            if in_word && (blank_ok || !word.is_empty()) {
                out.push(std::mem::take(&mut word));
            }
            word.clear();
            in_word = false;
            blank_ok = false;
            continue;
        }
        in_word = true;
        if c == '\'' || c == '"' {
            quote = Some(c);
            blank_ok = true;
        }
        if c == escape {
            // An escape at the end of the line is dropped.
            if let Some(n) = chars.next() {
                word.push(c);
                word.push(n);
            }
            continue;
        }
        word.push(c);
    }
    if in_word && (blank_ok || !word.is_empty()) {
        out.push(word);
    }
    out
}

fn whitespace_words(rest: &str) -> Vec<String> {
    rest.split(is_ws).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// A JSON array of strings: `Ok(Some)`; not JSON: `Ok(None)`; JSON but not all strings: `Err`.
fn json_array(rest: &str) -> Result<Option<Vec<String>>, String> {
    let t = rest.trim_start();
    if !t.starts_with('[') {
        return Ok(None);
    }
    match serde_json::from_str::<Vec<serde_json::Value>>(t) {
        Ok(items) => items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                _ => Err("when using JSON array syntax, arrays must be comprised of strings only".to_string()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Err(_) => Ok(None),
    }
}

/// The values and whether they were written in JSON form.
fn split(how: Split, rest: &str, escape: char, cmd: &str) -> Result<(Option<Vec<String>>, bool), String> {
    let some = |v: Vec<String>| if v.is_empty() { None } else { Some(v) };
    Ok(match how {
        Split::Whole => (some(if rest.is_empty() { vec![] } else { vec![rest.to_string()] }), false),
        Split::Words => (some(whitespace_words(rest)), false),
        Split::MaybeJson | Split::MaybeJsonList => match json_array(rest)? {
            Some(items) => (some(items), true),
            None if matches!(how, Split::MaybeJsonList) => (some(whitespace_words(rest)), false),
            None => (some(if rest.is_empty() { vec![] } else { vec![rest.to_string()] }), false),
        },
        Split::NameOrNameVal => (some(words(rest, escape)), false),
        Split::NameVal => {
            let ws = words(rest, escape);
            let Some(first) = ws.first() else { return Ok((None, false)) };
            if !first.contains('=') {
                // The old form, `ENV name value`: the rest of the line is the value.
                let mut parts = rest.splitn(2, |c: char| is_ws(c));
                let (name, value) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").trim_start_matches(is_ws));
                if value.is_empty() {
                    return Err(format!("{} must have two arguments", cmd.to_uppercase()));
                }
                (Some(vec![name.to_string(), value.to_string(), String::new()]), false)
            } else {
                let mut out = Vec::new();
                for w in ws {
                    let Some((k, v)) = w.split_once('=') else {
                        return Err(format!("syntax error - can't find = in {w:?}. Must be of the form: name=value"));
                    };
                    out.extend([k.to_string(), v.to_string(), "=".to_string()]);
                }
                (Some(out), false)
            }
        }
        Split::Health => {
            let typ_end = rest.find(is_ws).unwrap_or(rest.len());
            if typ_end == 0 {
                return Ok((None, false));
            }
            let (typ, cmd) = (&rest[..typ_end], rest[typ_end..].trim_start_matches(is_ws));
            let mut out = vec![typ.to_string()];
            let (more, json) = split(Split::MaybeJson, cmd, escape, "healthcheck")?;
            out.extend(more.unwrap_or_default());
            (Some(out), json)
        }
        Split::Sub => (None, false),
    })
}

/// The arguments each instruction needs at least, as BuildKit checks them.
fn check_args(cmd: &str, values: &Option<Vec<String>>) -> Result<(), String> {
    let n = values.as_ref().map_or(0, Vec::len);
    let upper = cmd.to_uppercase();
    match cmd {
        "from" if !(n == 1 || (n == 3 && values.as_ref().is_some_and(|v| v[1].eq_ignore_ascii_case("as")))) => {
            Err("FROM requires either one or three arguments (`FROM image [AS name]`)".into())
        }
        "add" | "copy" if n < 2 => Err(format!("{upper} requires at least two arguments")),
        "healthcheck" => match values.as_deref() {
            Some([t]) if t.eq_ignore_ascii_case("none") => Ok(()),
            Some([t, _, ..]) if t.eq_ignore_ascii_case("cmd") => Ok(()),
            Some([t, ..]) if t.eq_ignore_ascii_case("cmd") => Err("missing command after HEALTHCHECK CMD".into()),
            Some([t, ..]) => Err(format!("unknown type {t:?} in HEALTHCHECK (try CMD)")),
            _ => Err("HEALTHCHECK requires an argument".into()),
        },
        // An instruction in JSON form may have an empty array (`CMD []`).
        _ if n == 0 && !matches!(cmd, "cmd" | "entrypoint" | "shell" | "run") => {
            Err(format!("{upper} requires at least one argument"))
        }
        _ => Ok(()),
    }
}

struct Instr {
    cmd: String,
    sub: String,
    json: bool,
    flags: Option<Vec<String>>,
    value: Option<Vec<String>>,
}

fn instruction(text: &str, escape: char, top: bool) -> Result<Instr, String> {
    let text = text.trim_matches(is_ws);
    let (word, args) = match text.find(is_ws) {
        Some(i) => (&text[..i], Some(text[i..].trim_start_matches(is_ws))),
        None => (text, None),
    };
    let cmd = word.to_lowercase();
    let Some(how) = split_of(&cmd) else {
        return Err(format!("unknown instruction: {word}"));
    };
    let (flags, rest) = match args {
        Some(a) => {
            let (f, r) = builder_flags(a);
            (Some(f), r.trim_matches(is_ws))
        }
        None => (None, ""),
    };
    if let Split::Sub = how {
        if !top {
            return Err("ONBUILD cannot be chained (ONBUILD ONBUILD)".into());
        }
        if rest.is_empty() {
            return Err("ONBUILD requires at least one argument".into());
        }
        let inner = instruction(rest, escape, false)?;
        if matches!(inner.cmd.as_str(), "from" | "maintainer") {
            return Err(format!("{} isn't allowed as an ONBUILD trigger", inner.cmd.to_uppercase()));
        }
        let sub = rest.split(is_ws).next().unwrap_or("").to_string();
        return Ok(Instr { cmd, sub, json: inner.json, flags, value: inner.value });
    }
    let (value, json) = split(how, rest, escape, &cmd)?;
    if !json {
        check_args(&cmd, &value)?;
    }
    Ok(Instr { cmd, sub: String::new(), json, flags, value })
}

fn strings(v: Option<Vec<String>>, start: usize, end: usize) -> Node {
    match v {
        None => Node::new(Kind::Null, start, end),
        Some(items) => Node::new(Kind::Arr(items.into_iter().map(|s| Node::str(s, start, end)).collect()), start, end),
    }
}

fn command(i: Instr, stage: i64, start: usize, end: usize, args_at: usize) -> Node {
    let member = |key: &str, value: Node| Member { key: key.into(), at: start, value };
    let kw_end = args_at.min(end);
    Node::new(
        Kind::Obj(vec![
            member("Cmd", Node::str(i.cmd, start, kw_end)),
            member("SubCmd", Node::str(i.sub, start, kw_end)),
            member("JSON", Node::new(Kind::Bool(i.json), start, end)),
            member("Flags", strings(i.flags, args_at, end)),
            member("Value", strings(i.value, args_at, end)),
            member("Stage", Node::new(Kind::Int(stage), start, end)),
        ]),
        start,
        end,
    )
}

/// Parse a Dockerfile into the array of its instructions.
pub fn parse(text: &str) -> Result<Node, Bad> {
    let escape = escape_of(text);
    let mut out = Vec::new();
    let mut stages: i64 = 0;
    let logical = logical_lines(text, escape)?;
    if logical.is_empty() {
        return Err(Bad::new("file with no instructions", 0));
    }
    for line in logical {
        let i = instruction(&line.text, escape, true).map_err(|m| Bad::new(m, line.start))?;
        if i.cmd == "from" {
            stages += 1;
        }
        let stage = (stages - 1).max(0);
        for (c, s, e) in line.comments {
            let instr = Instr {
                cmd: "comment".into(),
                sub: String::new(),
                json: false,
                flags: None,
                value: Some(vec![c.to_string()]),
            };
            out.push(command(instr, stage, s, e, s));
        }
        // The arguments start after the keyword (and its white space) on the first line.
        let first = &text[line.start..line.end];
        let kw = first.find(is_ws).unwrap_or(first.len());
        let args_at = line.start + kw + (first[kw..].len() - first[kw..].trim_start_matches(is_ws).len());
        out.push(command(i, stage, line.start, line.end, args_at));
    }
    let end = text.len();
    Ok(Node::new(Kind::Arr(out), 0, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> serde_json::Value {
        let node = parse(text).expect("parses");
        let (v, _) = super::super::finish(node, 100).expect("shallow");
        serde_json::to_value(&v).expect("json")
    }

    #[test]
    fn instructions_as_conftest_gives_them() {
        let v = shape(
            "# syntax=docker/dockerfile:1\nFROM golang:1.22 AS build\nCOPY --from=x --chown=1:1 a b\n\n# build it\nRUN go \\\n    build\nENV A=1 B=\"two words\"\nENV OLD some value\nENTRYPOINT [\"/bin/app\", \"-v\"]\nFROM scratch\nARG V=1\nEXPOSE 80 443/tcp\nONBUILD RUN make\nHEALTHCHECK --interval=5s CMD curl -f http://x/\n",
        );
        let cmds: Vec<&str> = v.as_array().unwrap().iter().map(|c| c["Cmd"].as_str().unwrap()).collect();
        assert_eq!(
            cmds,
            [
                "comment",
                "from",
                "copy",
                "comment",
                "run",
                "env",
                "env",
                "entrypoint",
                "from",
                "arg",
                "expose",
                "onbuild",
                "healthcheck"
            ]
        );
        let a = v.as_array().unwrap();
        assert_eq!(a[0]["Value"], serde_json::json!(["syntax=docker/dockerfile:1"]));
        assert_eq!(a[1]["Value"], serde_json::json!(["golang:1.22", "AS", "build"]));
        assert_eq!(a[1]["Flags"], serde_json::json!([]));
        assert_eq!(a[2]["Flags"], serde_json::json!(["--from=x", "--chown=1:1"]));
        assert_eq!(a[2]["Value"], serde_json::json!(["a", "b"]));
        assert_eq!(a[4]["Value"], serde_json::json!(["go     build"]));
        assert_eq!(a[5]["Value"], serde_json::json!(["A", "1", "=", "B", "\"two words\"", "="]));
        assert_eq!(a[6]["Value"], serde_json::json!(["OLD", "some value", ""]));
        assert_eq!(a[7]["Value"], serde_json::json!(["/bin/app", "-v"]));
        assert_eq!(a[7]["JSON"], serde_json::json!(true));
        assert_eq!(a[8]["Stage"], serde_json::json!(1));
        assert_eq!(a[7]["Stage"], serde_json::json!(0));
        assert_eq!(a[9]["Value"], serde_json::json!(["V=1"]));
        assert_eq!(a[11]["SubCmd"], serde_json::json!("RUN"));
        assert_eq!(a[11]["Value"], serde_json::json!(["make"]));
        assert_eq!(a[12]["Value"], serde_json::json!(["CMD", "curl -f http://x/"]));
        assert_eq!(a[12]["Flags"], serde_json::json!(["--interval=5s"]));
    }

    #[test]
    fn heredocs_as_buildkit_reads_them() {
        let v = shape(concat!(
            "FROM alpine\n",
            "RUN <<EOF\nFROBNICATE this is no instruction\n# nor a comment\nEOF\n",
            "COPY --chmod=644 <<-\"CONF\" /etc/app.conf\n\tkey = value\n\tCONF\n",
            "RUN python3 <<PY 2<<'ERR'\nprint(1)\nPY\nERR\n",
            "RUN echo \"<<EOF\" && echo '<<X'\n",
            "RUN [\"sh\", \"-c\", \"cat <<EOF\"]\n",
            "ONBUILD RUN <<EOF\nmake\nEOF\n",
            "USER app\n",
        ));
        let a = v.as_array().expect("array");
        let cmds: Vec<&str> = a.iter().filter_map(|c| c["Cmd"].as_str()).collect();
        assert_eq!(cmds, ["from", "run", "copy", "run", "run", "run", "onbuild", "user"]);
        assert_eq!(a[1]["Value"], serde_json::json!(["<<EOF"]));
        assert_eq!(a[2]["Value"], serde_json::json!(["<<-\"CONF\"", "/etc/app.conf"]));
        assert_eq!(a[2]["Flags"], serde_json::json!(["--chmod=644"]));
        assert_eq!(a[3]["Value"], serde_json::json!(["python3 <<PY 2<<'ERR'"]));
        assert_eq!(a[4]["Value"], serde_json::json!(["echo \"<<EOF\" && echo '<<X'"]));
        assert_eq!(a[5]["JSON"], serde_json::json!(true));
        assert_eq!(a[6]["Value"], serde_json::json!(["<<EOF"]));
        assert_eq!(a[7]["Value"], serde_json::json!(["app"]));
    }

    #[test]
    fn bad_dockerfiles_are_errors_at_their_line() {
        for (text, at) in [
            ("FROM a\nFOO bar\n", 7),
            ("", 0),
            ("FROM a\nCOPY x\n", 7),
            ("FROM a\nRUN [1]\n", 7),
            ("FROM a\nRUN <<EOF\nmake\n", 7),
            ("FROM a\nRUN <<-EOF\nmake\n  EOF\n", 7),
        ] {
            let bad = parse(text).expect_err(text);
            assert_eq!(bad.at, at, "{text:?}: {}", bad.message);
        }
    }
}
