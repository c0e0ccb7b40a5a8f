//! Finds the words a person can read in the pages' sources, without a browser: the text
//! and the read-aloud attributes of an HTML page, and the string literals of JavaScript
//! and Rust together with the calls they are passed to, so the test can leave out those
//! that only reach a log. Each reader also says whether it lost its place (a string or a
//! comment still open at the end), so a source it cannot read fails the test instead of
//! hiding its words.

/// One piece of text and the calls around it, innermost last (`["h", "showToast"]` is
/// wrong order: the outermost call comes first, as in `["showToast", "format"]`).
#[derive(Debug, Clone)]
pub struct Found {
    pub text: String,
    pub line: usize,
    pub calls: Vec<String>,
}

/// Attributes whose values a person sees or hears read aloud.
const SHOWN_ATTRIBUTES: &[&str] = &["aria-label", "title", "placeholder", "alt", "value"];

/// The text nodes and shown attributes of an HTML page, with comments, scripts and styles
/// left out. `meta` tags count when they describe the page to a link preview.
pub fn html(source: &str) -> Result<Vec<Found>, String> {
    let mut found = Vec::new();
    let bytes = source.as_bytes();
    let mut at = 0;
    let line_of = |at: usize| source[..at].matches('\n').count() + 1;
    while at < bytes.len() {
        if source[at..].starts_with("<!--") {
            let end = source[at..]
                .find("-->")
                .ok_or("a comment is never closed")?;
            at += end + 3;
        } else if bytes[at] == b'<' {
            let end = at + source[at..].find('>').ok_or("a tag is never closed")?;
            let tag = &source[at + 1..end];
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            for (attribute, value) in attributes(tag) {
                let shown = SHOWN_ATTRIBUTES.contains(&attribute.as_str())
                    || (name == "meta"
                        && attribute == "content"
                        && ["title", "description"]
                            .iter()
                            .any(|what| tag.contains(what)));
                if shown {
                    found.push(Found {
                        text: entities(&value),
                        line: line_of(at),
                        calls: vec![format!("<{name} {attribute}>")],
                    });
                }
            }
            at = end + 1;
            if name == "script" || name == "style" {
                let closing = format!("</{name}");
                at += source[at..]
                    .find(&closing)
                    .ok_or("a script or style is never closed")?;
            }
        } else {
            let end = source[at..].find('<').map_or(source.len(), |n| at + n);
            let text = entities(source[at..end].trim());
            if !text.is_empty() {
                found.push(Found {
                    text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                    line: line_of(at),
                    calls: vec!["text".to_owned()],
                });
            }
            at = end;
        }
    }
    Ok(found)
}

fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = tag;
    while let Some(equals) = rest.find('=') {
        let name = rest[..equals]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = rest[equals + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            rest = after;
            continue;
        };
        let Some(end) = after[1..].find(quote) else {
            break;
        };
        found.push((name, after[1..1 + end].to_owned()));
        rest = &after[end + 2..];
    }
    found
}

fn entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// What a reader of code is inside: a call or macro (by the name before its bracket),
/// another bracket, or an attribute (`#[…]`).
fn frame_name(code: &[char], open: usize, attribute: bool) -> String {
    if attribute {
        return "#[".to_owned();
    }
    let mut start = open;
    while start > 0 && {
        let c = code[start - 1];
        c.is_alphanumeric() || c == '_' || c == '.' || c == '!' || c == ':' || c == '$'
    } {
        start -= 1;
    }
    code[start..open].iter().collect()
}

/// The calls around a literal, outermost first, with an attribute's name folded in
/// (`#[error(…)]` is `#[error`).
fn calls_of(stack: &[(char, String)]) -> Vec<String> {
    let mut calls = Vec::new();
    for (i, (_, name)) in stack.iter().enumerate() {
        if name == "#[" {
            continue;
        }
        if i > 0 && stack[i - 1].1 == "#[" {
            calls.push(format!("#[{name}"));
        } else if !name.is_empty() {
            calls.push(name.clone());
        }
    }
    calls
}

fn closing(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// The string and template literals of a JavaScript module. A template's fixed parts are
/// one text with "…" where a value goes; literals inside its `${…}` are found as well.
pub fn javascript(source: &str) -> Result<Vec<Found>, String> {
    let code: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    // Brackets open, and for each template being read, how deep its `${` was.
    let mut stack: Vec<(char, String)> = Vec::new();
    let mut templates: Vec<(usize, String, usize)> = Vec::new();
    let mut line = 1;
    let mut at = 0;
    let mut last_significant = '\n';
    while at < code.len() {
        let c = code[at];
        if c == '\n' {
            line += 1;
        }
        if let Some(after) = skip_comment(&code, at, &mut line)? {
            at = after;
            continue;
        }
        if c == '/' && regex_may_start(last_significant, &code, at) {
            at = skip_regex(&code, at).ok_or(format!("line {line}: a regex is never closed"))?;
            last_significant = 'a';
            continue;
        }
        if c == '\'' || c == '"' {
            let (text, end) =
                quoted(&code, at, c).ok_or(format!("line {line}: a string is never closed"))?;
            found.push(Found {
                text,
                line,
                calls: calls_of(&stack),
            });
            at = end;
            last_significant = 'a';
            continue;
        }
        if c == '`' || (c == '}' && templates.last().is_some_and(|t| t.2 == stack.len())) {
            // The start of a template, or the end of one of its `${…}`: read fixed text.
            if c == '}' {
                stack.pop();
            } else {
                templates.push((line, String::new(), usize::MAX));
            }
            at += 1;
            loop {
                let Some(&t) = code.get(at) else {
                    return Err(format!("line {line}: a template is never closed"));
                };
                let current = templates.last_mut().expect("a template is open");
                if t == '\\' {
                    current.1.push(code.get(at + 1).copied().unwrap_or(' '));
                    at += 2;
                } else if t == '`' {
                    let (start, text, _) = templates.pop().expect("a template is open");
                    found.push(Found {
                        text,
                        line: start,
                        calls: calls_of(&stack),
                    });
                    at += 1;
                    break;
                } else if t == '$' && code.get(at + 1) == Some(&'{') {
                    current.1.push('…');
                    stack.push(('{', "${".to_owned()));
                    current.2 = stack.len();
                    at += 2;
                    break;
                } else {
                    if t == '\n' {
                        line += 1;
                    }
                    current.1.push(t);
                    at += 1;
                }
            }
            last_significant = 'a';
            continue;
        }
        match c {
            '(' | '[' | '{' => stack.push((c, frame_name(&code, at, false))),
            ')' | ']' | '}' => {
                let (open, _) = stack
                    .pop()
                    .ok_or(format!("line {line}: '{c}' closes nothing"))?;
                if closing(open) != c {
                    return Err(format!("line {line}: '{open}' closed by '{c}'"));
                }
            }
            _ => {}
        }
        if !c.is_whitespace() {
            last_significant = c;
        }
        at += 1;
    }
    if !stack.is_empty() || !templates.is_empty() {
        return Err("the file ends inside brackets or a template".to_owned());
    }
    Ok(found)
}

/// At a `//` or `/* … */` comment (the same in JavaScript and Rust), the index after it,
/// counting the lines it spans into `line`; None anywhere else.
fn skip_comment(code: &[char], at: usize, line: &mut usize) -> Result<Option<usize>, String> {
    match (code[at], code.get(at + 1).copied().unwrap_or('\0')) {
        ('/', '/') => Ok(Some(find(code, at, "\n").unwrap_or(code.len()))),
        ('/', '*') => {
            let end = find(code, at + 2, "*/").ok_or(format!("line {line}: comment open"))?;
            *line += code[at..end].iter().filter(|c| **c == '\n').count();
            Ok(Some(end + 2))
        }
        _ => Ok(None),
    }
}

fn find(code: &[char], from: usize, what: &str) -> Option<usize> {
    let what: Vec<char> = what.chars().collect();
    (from..code.len()).find(|&i| code[i..].starts_with(&what))
}

/// A slash starts a regular expression where a value is expected: after an operator,
/// an opening bracket, a comma, or a keyword such as `return`.
fn regex_may_start(last: char, code: &[char], at: usize) -> bool {
    if "(,=:[!&|?{};+-*%<>~^\n".contains(last) {
        return true;
    }
    let before: String = code[..at].iter().collect();
    let word = before
        .trim_end()
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    ["return", "typeof", "case", "of", "in"].contains(&word) && last.is_alphabetic()
}

fn skip_regex(code: &[char], mut at: usize) -> Option<usize> {
    at += 1;
    let mut in_class = false;
    while let Some(&c) = code.get(at) {
        match c {
            '\\' => at += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '/' if !in_class => {
                at += 1;
                while code.get(at).is_some_and(|c| c.is_alphabetic()) {
                    at += 1;
                }
                return Some(at);
            }
            '\n' => return None,
            _ => {}
        }
        at += 1;
    }
    None
}

/// A `'…'` or `"…"` literal of JavaScript from its opening quote: its text and the
/// index after it.
fn quoted(code: &[char], at: usize, quote: char) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut i = at + 1;
    loop {
        let c = *code.get(i)?;
        if c == '\\' {
            text.push(*code.get(i + 1)?);
            i += 2;
        } else if c == quote {
            return Some((text, i + 1));
        } else if c == '\n' {
            return None;
        } else {
            text.push(c);
            i += 1;
        }
    }
}

/// The string literals of a Rust file up to its tests (`#[cfg(test)] mod …`), with line
/// continuations joined as the compiler joins them.
pub fn rust(source: &str) -> Result<Vec<Found>, String> {
    let source = source.split("#[cfg(test)]\nmod ").next().unwrap_or(source);
    let code: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    let mut stack: Vec<(char, String)> = Vec::new();
    let mut line = 1;
    let mut at = 0;
    while at < code.len() {
        let c = code[at];
        let next = code.get(at + 1).copied().unwrap_or('\0');
        if c == '\n' {
            line += 1;
        }
        if let Some(after) = skip_comment(&code, at, &mut line)? {
            at = after;
            continue;
        }
        let word_before = at > 0 && (code[at - 1].is_alphanumeric() || code[at - 1] == '_');
        if c == '\'' {
            // A character literal ('x', '\n', '"'), or a lifetime ('a).
            if next == '\\' {
                at = find(&code, at + 3, "'").ok_or(format!("line {line}: char open"))? + 1;
            } else if code.get(at + 2) == Some(&'\'') {
                at += 3;
            } else {
                at += 1;
            }
            continue;
        }
        let raw = (c == 'r' || (c == 'b' && next == 'r')) && !word_before && {
            let mut i = at + if c == 'b' { 2 } else { 1 };
            while code.get(i) == Some(&'#') {
                i += 1;
            }
            code.get(i) == Some(&'"')
        };
        if raw {
            let start = at + if c == 'b' { 2 } else { 1 };
            let hashes = code[start..].iter().take_while(|c| **c == '#').count();
            let body = start + hashes + 1;
            let end_mark: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let end = find(&code, body, &end_mark).ok_or(format!("line {line}: raw open"))?;
            let text: String = code[body..end].iter().collect();
            found.push(Found {
                text: text.clone(),
                line,
                calls: calls_of(&stack),
            });
            line += text.matches('\n').count();
            at = end + end_mark.len();
            continue;
        }
        if c == '"' {
            let mut text = String::new();
            let start = line;
            let mut i = at + 1;
            loop {
                let Some(&s) = code.get(i) else {
                    return Err(format!("line {start}: a string is never closed"));
                };
                match s {
                    '"' => break,
                    '\\' => {
                        let escaped = code.get(i + 1).copied().unwrap_or(' ');
                        i += 2;
                        match escaped {
                            '\n' => {
                                line += 1;
                                while code.get(i).is_some_and(|c| c.is_whitespace()) {
                                    if code[i] == '\n' {
                                        line += 1;
                                    }
                                    i += 1;
                                }
                            }
                            'n' => text.push('\n'),
                            't' => text.push('\t'),
                            'r' => text.push('\r'),
                            other => text.push(other),
                        }
                    }
                    other => {
                        if other == '\n' {
                            line += 1;
                        }
                        text.push(other);
                        i += 1;
                    }
                }
            }
            found.push(Found {
                text,
                line: start,
                calls: calls_of(&stack),
            });
            at = i + 1;
            continue;
        }
        match c {
            '(' | '[' | '{' => {
                let attribute = c == '[' && at > 0 && code[at - 1] == '#';
                stack.push((c, frame_name(&code, at, attribute)));
            }
            ')' | ']' | '}' => {
                let (open, _) = stack
                    .pop()
                    .ok_or(format!("line {line}: '{c}' closes nothing"))?;
                if closing(open) != c {
                    return Err(format!("line {line}: '{open}' closed by '{c}'"));
                }
            }
            _ => {}
        }
        at += 1;
    }
    if !stack.is_empty() {
        return Err("the file ends inside brackets".to_owned());
    }
    Ok(found)
}
