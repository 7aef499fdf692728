//! The only module that knows which YAML library we use.
//!
//! serde_yaml is deprecated upstream; swapping in a maintained fork
//! (serde_yml, serde_norway) means changing the `use` below and nothing else.

use serde::de::DeserializeOwned;
use serde_yaml as backend;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

pub type Value = backend::Value;

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

fn mk(m: &Marker) -> (usize, usize) {
    (m.line(), m.col() + 1)
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

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let m = mk(&mark);
        match ev {
            Event::Scalar(ref s, ..) => {
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

/// A parsed document: the generic value plus where each node came from.
pub struct Document {
    pub value: Value,
    pub positions: Positions,
}

pub fn parse(src: &str) -> Result<Document, YamlError> {
    let value: Value = backend::from_str(src).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        YamlError {
            line,
            column,
            path: String::new(),
            message: e.to_string(),
        }
    })?;
    let mut idx = Indexer::default();
    let mut parser = Parser::new_from_str(src);
    // The backend accepted the text; an indexer failure only costs precision.
    let _ = parser.load(&mut idx, false);
    Ok(Document {
        value,
        positions: idx.pos,
    })
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
    backend::from_str(src).map_err(|e| e.to_string())
}
