//! The only module that knows which YAML library we use.
//!
//! serde_yaml is deprecated upstream and has no input limits: libyaml's
//! scanner looks ahead through a whole flow collection while it tracks
//! one possible key per nesting level (deep `[[[[...` costs time quadratic
//! in the input), and its alias repetition limit counts expansions, not the
//! nodes they create. So every document first goes through [`scan`], one
//! pass over granit-parser's event stream (a maintained parser with nesting
//! and look-ahead limits) that bounds size, depth and the nodes aliases
//! would create, and records where each node starts. serde_yaml only sees
//! text that passed. Swapping the backend means changing this file only.

use granit_parser::{ErrorKind, Event, Options, Parser, Span};
use serde::de::DeserializeOwned;
use serde_yaml as backend;
use std::collections::HashMap;
use std::fmt;

pub type Value = backend::Value;

/// What one YAML document may cost. Specs are under 32 KiB, about 10
/// levels deep and 6,000 nodes; the limits leave room for much larger
/// specs while keeping the worst case at milliseconds and a few MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of text.
    pub bytes: usize,
    /// Nested collections (flow and block together).
    pub depth: usize,
    /// Nodes, counting every node an alias stands for each time it is used.
    pub nodes: u64,
}

/// The limits for spec files, and for every other YAML file mapspec reads.
pub const LIMITS: Limits = Limits {
    bytes: 1 << 20,
    depth: 64,
    nodes: 200_000,
};

/// One step of a path into a YAML document, as serde sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type Path = Vec<Seg>;

pub fn render_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Where each node starts in the source. Keys are recorded under the path of
/// their value with a `key` marker so that "unknown field" points at the key.
#[derive(Debug, Default, Clone)]
pub struct Positions {
    values: HashMap<Path, (usize, usize)>,
    keys: HashMap<Path, (usize, usize)>,
}

impl Positions {
    /// Line and column (both 1-based) of the node at `path`, falling back to
    /// the nearest ancestor that exists.
    pub fn locate(&self, path: &[Seg]) -> (usize, usize) {
        let mut p = path.to_vec();
        loop {
            if let Some(pos) = self.keys.get(&p).or_else(|| self.values.get(&p)) {
                return *pos;
            }
            if p.pop().is_none() {
                return (1, 1);
            }
        }
    }

    /// Position of the value (not the key) at `path`.
    pub fn locate_value(&self, path: &[Seg]) -> (usize, usize) {
        let mut p = path.to_vec();
        loop {
            if let Some(pos) = self.values.get(&p).or_else(|| self.keys.get(&p)) {
                return *pos;
            }
            if p.pop().is_none() {
                return (1, 1);
            }
        }
    }
}

enum Frame {
    Map {
        path: Path,
        pending_key: Option<String>,
        expect_key: bool,
    },
    Seq {
        path: Path,
        next: usize,
    },
}

#[derive(Default)]
struct Indexer {
    stack: Vec<Frame>,
    pos: Positions,
}

fn mk(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

impl Indexer {
    /// The path a new node at the current point gets, or `None` when the node
    /// is a mapping key.
    fn node_path(&mut self, mark: (usize, usize), scalar: Option<&str>) -> Option<Path> {
        match self.stack.last_mut() {
            None => Some(Vec::new()),
            Some(Frame::Seq { path, next }) => {
                let mut p = path.clone();
                p.push(Seg::Index(*next));
                *next += 1;
                Some(p)
            }
            Some(Frame::Map {
                path,
                pending_key,
                expect_key,
            }) => {
                if *expect_key {
                    let key = scalar.unwrap_or("<complex key>").to_string();
                    let mut p = path.clone();
                    p.push(Seg::Key(key.clone()));
                    self.pos.keys.insert(p, mark);
                    *pending_key = Some(key);
                    *expect_key = false;
                    None
                } else {
                    let mut p = path.clone();
                    p.push(Seg::Key(pending_key.take().unwrap_or_default()));
                    *expect_key = true;
                    Some(p)
                }
            }
        }
    }
}

impl Indexer {
    fn on_event(&mut self, ev: &Event, m: (usize, usize)) {
        match ev {
            Event::Scalar(s, ..) => {
                if let Some(p) = self.node_path(m, Some(s)) {
                    self.pos.values.insert(p, m);
                }
            }
            Event::Alias(_) => {
                if let Some(p) = self.node_path(m, None) {
                    self.pos.values.insert(p, m);
                }
            }
            Event::SequenceStart(..) => {
                let p = self.node_path(m, None).unwrap_or_default();
                self.pos.values.insert(p.clone(), m);
                self.stack.push(Frame::Seq { path: p, next: 0 });
            }
            Event::MappingStart(..) => {
                let p = self.node_path(m, None).unwrap_or_default();
                self.pos.values.insert(p.clone(), m);
                self.stack.push(Frame::Map {
                    path: p,
                    pending_key: None,
                    expect_key: true,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// A YAML problem at a position, before or during deserialization.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

fn error_at(line: usize, column: usize, message: String) -> YamlError {
    YamlError {
        line,
        column,
        path: String::new(),
        message,
    }
}

/// The message for text over the size limit (callers that read files check
/// the size before reading, with the same words).
pub fn too_large(bytes: u64, limits: &Limits) -> String {
    format!(
        "{bytes} bytes is more than the limit of {} bytes for one YAML file",
        limits.bytes
    )
}

/// A parsed document: the generic value plus where each node came from.
pub struct Document {
    pub value: Value,
    pub positions: Positions,
}

/// One pass over the event stream: refuses what exceeds `limits` (in time
/// linear in the input: the parser stops at the first violation) and
/// indexes node positions. Any syntax error is final too, since the text
/// after it was never checked.
fn scan(src: &str, limits: &Limits) -> Result<Positions, YamlError> {
    if src.len() > limits.bytes {
        return Err(error_at(1, 1, too_large(src.len() as u64, limits)));
    }
    let mut options = Options::default();
    options.flow_nesting_limit = limits.depth;
    options.block_nesting_limit = limits.depth;
    options.simple_key_max_lookahead = 1024;
    options.emit_comments = false;
    let mut idx = Indexer::default();
    // Per open collection: its anchor, and the node count when it opened.
    let mut open: Vec<(usize, u64)> = Vec::new();
    // Nodes each finished anchored node stands for (aliases included).
    let mut sizes: HashMap<usize, u64> = HashMap::new();
    let mut nodes: u64 = 0;
    for item in Parser::new_from_str_with_options(src, options) {
        let (ev, span) = item.map_err(|e| {
            let m = e.marker();
            let message = match e.kind() {
                ErrorKind::RecursionLimitExceeded => {
                    format!("nested more than {} levels deep", limits.depth)
                }
                _ => e.info(),
            };
            error_at(m.line().max(1), m.col() + 1, message)
        })?;
        let m = mk(&span);
        match &ev {
            Event::Scalar(_, _, anchor, _) => {
                nodes += 1;
                if *anchor != 0 {
                    sizes.insert(*anchor, 1);
                }
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                nodes += 1;
                open.push((*anchor, nodes));
                if open.len() > limits.depth {
                    return Err(error_at(
                        m.0,
                        m.1,
                        format!("nested more than {} levels deep", limits.depth),
                    ));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop() {
                    if anchor != 0 {
                        sizes.insert(anchor, nodes - start + 1);
                    }
                }
            }
            Event::Alias(id) => match sizes.get(id) {
                Some(n) => nodes = nodes.saturating_add(*n),
                None => {
                    return Err(error_at(
                        m.0,
                        m.1,
                        "an alias inside the node its anchor names (a recursive alias)".into(),
                    ))
                }
            },
            _ => {}
        }
        if nodes > limits.nodes {
            return Err(error_at(
                m.0,
                m.1,
                format!(
                    "more than {} nodes, counting each use of an alias as the nodes it stands for",
                    limits.nodes
                ),
            ));
        }
        idx.on_event(&ev, m);
    }
    Ok(idx.pos)
}

fn backend_error(e: backend::Error) -> YamlError {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    error_at(line, column, e.to_string())
}

/// Parse a spec: bounded by [`LIMITS`], with positions for diagnostics.
pub fn parse(src: &str) -> Result<Document, YamlError> {
    let positions = scan(src, &LIMITS)?;
    let value: Value = backend::from_str(src).map_err(backend_error)?;
    Ok(Document { value, positions })
}

/// Deserialize any YAML file mapspec reads (kernels.yaml, kernels.lock)
/// within `limits` (normally [`LIMITS`]); the error carries line and column.
pub fn from_str<T: DeserializeOwned>(src: &str, limits: &Limits) -> Result<T, YamlError> {
    scan(src, limits)?;
    backend::from_str(src).map_err(backend_error)
}

/// Deserialize `value` (found at `base` in the document) into `T`, reporting
/// the exact position of the first problem. Enums are written as single-key
/// maps (`- update: {key: 1}`), which is what people write by hand.
pub fn deserialize<T: DeserializeOwned>(
    value: &Value,
    base: &[Seg],
    positions: &Positions,
) -> Result<T, YamlError> {
    let mut track = serde_path_to_error::Track::new();
    let de = serde_path_to_error::Deserializer::new(value.clone(), &mut track);
    backend::with::singleton_map_recursive::deserialize(de).map_err(|e: backend::Error| {
        let mut path = base.to_vec();
        for seg in track.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => path.push(Seg::Index(*index)),
                serde_path_to_error::Segment::Map { key } => path.push(Seg::Key(key.clone())),
                serde_path_to_error::Segment::Enum { variant } => {
                    path.push(Seg::Key(variant.clone()))
                }
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let msg = e.to_string();
        let (line, column) =
            if msg.starts_with("unknown field") || msg.starts_with("unknown variant") {
                positions.locate(&path)
            } else {
                positions.locate_value(&path)
            };
        YamlError {
            line,
            column,
            path: render_path(&path),
            message: msg,
        }
    })
}

/// Serialize to YAML text (used by tools that rewrite specs, e.g. mutation tests).
pub fn to_string<T: serde::Serialize>(v: &T) -> String {
    backend::to_string(v).unwrap_or_default()
}

pub fn from_str_value(src: &str) -> Result<Value, String> {
    from_str(src, &LIMITS).map_err(|e| e.to_string())
}
