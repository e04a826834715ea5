//! `mlforge/graph` and `mlforge/graphChanged`: a pipeline's graph for the editor's preview.
//!
//! The graph is built by `mlforge_graph::build` from the current analysis, which already
//! keeps every step it can and marks broken ones. The server keeps, per document and
//! pipeline, the last graph built while the pipeline could be found; when an edit loses the
//! pipeline entirely (an unclosed brace swallowing it, say), the request answers that last
//! graph with `stale: true` instead of failing, so the preview keeps showing something.
//!
//! Graphs are remembered with the world generation (see [`crate::world::World`]) they were
//! built at: a request at the same generation is answered from memory. After an analysis,
//! once the document has been idle for a moment, the graphs of its pipelines are rebuilt
//! (their DOT too when a preview has asked for this document's graph before) and
//! `mlforge/graphChanged` is sent when one differs from the last.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use mlforge_analysis::items::{parse, select_pipeline};
use mlforge_graph::{FocusIndex, GraphModel};
use mlforge_syntax::ast::Item;
use ropey::Rope;
use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::{Position, Uri};

use crate::dispatch::invalid_params;
use crate::handlers::{doc, request_failed};
use crate::position::{self, Encoding};
use crate::raw::RawJson;
use crate::world::Snapshot;

/// `mlforge/graph` parameters.
#[derive(Debug, Deserialize, Serialize)]
pub struct GraphParams {
    pub uri: Uri,
    /// The pipeline; may be left out when the document defines exactly one.
    #[serde(default)]
    pub pipeline: Option<String>,
    /// Whether to include the DOT text (default true). A preview that lays out the JSON
    /// itself can save the time.
    #[serde(default)]
    pub dot: Option<bool>,
    /// Answer only the part of the graph around one step (see [`FocusParams`]).
    #[serde(default)]
    pub focus: Option<FocusParams>,
}

/// `focus` of `mlforge/graph`: the step to centre on, by node id or by a position in the
/// document, and how far to look up and down from it.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FocusParams {
    /// A node id of the graph JSON; wins over `position`.
    #[serde(default)]
    pub node: Option<String>,
    /// A position in the document: the step whose range holds it, else the nearest step
    /// before it, else the first step.
    #[serde(default)]
    pub position: Option<Position>,
    /// Edges to follow upstream and downstream (default [`DEFAULT_HOPS`]).
    #[serde(default)]
    pub hops: Option<u32>,
}

pub const DEFAULT_HOPS: u32 = 2;

/// A focus request made concrete: the step as a node id or a byte offset in the document.
#[derive(Debug, Clone)]
pub enum FocusOn {
    Node(String),
    Offset(u32),
}

/// What an answer should hold, besides the graph it is made from.
#[derive(Debug, Clone)]
pub struct Ask {
    pub dot: bool,
    pub stale: bool,
    pub focus: Option<(FocusOn, u32)>,
}

/// The focus of `params` with its position turned into a byte offset of the document
/// (clamped into the text: the graph may be older than the text).
pub fn focus_on(
    params: Option<&FocusParams>,
    rope: Option<&Rope>,
    encoding: Encoding,
) -> Result<Option<(FocusOn, u32)>> {
    let Some(focus) = params else {
        return Ok(None);
    };
    let hops = focus.hops.unwrap_or(DEFAULT_HOPS);
    let on = match (&focus.node, focus.position, rope) {
        (Some(node), _, _) => FocusOn::Node(node.clone()),
        (None, Some(position), Some(rope)) => FocusOn::Offset(
            u32::try_from(position::offset_clamped(rope, position, encoding)).unwrap_or(u32::MAX),
        ),
        (None, Some(_), None) => {
            return Err(invalid_params(
                "the document cannot be read to find the step at `focus.position`; give `focus.node` instead",
            ))
        }
        (None, None, _) => {
            return Err(invalid_params(
                "`focus` needs `node` (a node id of the graph) or `position` (a position in the document)",
            ))
        }
    };
    Ok(Some((on, hops)))
}

/// The `mlforge/graph` result, as JSON text: `{"pipeline", "graph", "dot", "stale", "focus",
/// "total"}` where `graph` is the model (`mlforge graph --format json`, or its focus
/// subgraph), `dot` what `graph` holds as Graphviz DOT (`null` when `dot: false` was asked),
/// `stale` is true when the document's current text has lost the pipeline and this is the
/// last graph built before that, `focus` the focus node's id (`null` unless asked), and
/// `total` the whole graph's counts. An unfocused answer is assembled from the texts
/// [`Drawn`] keeps, so a repeated request copies bytes and serialises nothing.
pub fn response_json(drawn: &Drawn, ask: &Ask) -> Result<RawJson> {
    let model = &drawn.model;
    let focused = match &ask.focus {
        None => None,
        Some((on, hops)) => {
            let node = match on {
                FocusOn::Node(id) => Some(model.node_index_of(id).ok_or_else(|| {
                    invalid_params(format!(
                        "the graph of `{}` has no node `{id}`: give a node id from the graph's `nodes`, or `focus.position`",
                        model.pipeline
                    ))
                })?),
                FocusOn::Offset(offset) => model.node_at(*offset),
            };
            node.map(|n| {
                let sub = drawn.focus_index().focus(model, n, *hops);
                (model.nodes[n].id.as_str(), sub)
            })
        }
    };
    let (graph, dot): (Cow<[u8]>, Option<Cow<[u8]>>) = match &focused {
        None => {
            drawn.prepare(ask.dot);
            (
                Cow::Borrowed(drawn.json()),
                ask.dot.then(|| Cow::Borrowed(drawn.dot_json())),
            )
        }
        Some((_, sub)) => (
            Cow::Owned(sub.to_json().into_bytes()),
            ask.dot.then(|| Cow::Owned(dot_json(sub))),
        ),
    };
    let mut out = Vec::with_capacity(graph.len() + dot.as_ref().map_or(0, |d| d.len()) + 192);
    out.extend_from_slice(b"{\"pipeline\":");
    serde_json::to_writer(&mut out, &model.pipeline).expect("a string serialises");
    out.extend_from_slice(b",\"graph\":");
    out.extend_from_slice(&graph);
    out.extend_from_slice(b",\"dot\":");
    out.extend_from_slice(dot.as_deref().unwrap_or(b"null"));
    out.extend_from_slice(if ask.stale {
        b",\"stale\":true"
    } else {
        b",\"stale\":false"
    });
    out.extend_from_slice(b",\"focus\":");
    serde_json::to_writer(&mut out, &focused.as_ref().map(|(id, _)| id))
        .expect("a string serialises");
    out.extend_from_slice(b",\"total\":");
    serde_json::to_writer(&mut out, &model.totals()).expect("counts serialise");
    out.push(b'}');
    Ok(RawJson(out))
}

/// A model's DOT text as a JSON string.
fn dot_json(model: &GraphModel) -> Vec<u8> {
    serde_json::to_vec(&mlforge_graph::to_dot(model)).expect("a string serialises")
}

/// A graph as built, with its JSON and its DOT text made on first use and kept: a preview
/// asking again at the same generation costs a copy.
pub struct Drawn {
    pub model: GraphModel,
    json: OnceLock<Box<[u8]>>,
    /// The DOT text as a JSON string (quoted and escaped): all a response needs of it.
    dot: OnceLock<Box<[u8]>>,
    /// For focus subgraphs: a preview asks for one at every move of the cursor.
    focus: OnceLock<FocusIndex>,
}

impl Drawn {
    pub fn new(model: GraphModel) -> Drawn {
        Drawn {
            model,
            json: OnceLock::new(),
            dot: OnceLock::new(),
            focus: OnceLock::new(),
        }
    }

    /// The model as compact JSON.
    pub fn json(&self) -> &[u8] {
        self.json
            .get_or_init(|| self.model.to_json().into_bytes().into_boxed_slice())
    }

    /// Makes the JSON, and the DOT when `dot`, side by side when both are missing: each
    /// takes tens of milliseconds on 5,000 steps.
    pub fn prepare(&self, dot: bool) {
        if dot && self.json.get().is_none() && self.dot.get().is_none() {
            std::thread::scope(|scope| {
                scope.spawn(|| self.dot_json());
                self.json();
            });
        } else {
            self.json();
            if dot {
                self.dot_json();
            }
        }
    }

    pub fn focus_index(&self) -> &FocusIndex {
        self.focus.get_or_init(|| self.model.focus_index())
    }

    /// The DOT text, as a JSON string.
    pub fn dot_json(&self) -> &[u8] {
        self.dot
            .get_or_init(|| dot_json(&self.model).into_boxed_slice())
    }
}

/// `mlforge/graphChanged`: the graph of a document's pipeline(s) changed; ask again.
pub enum GraphChanged {}

#[derive(Debug, Deserialize, Serialize)]
pub struct GraphChangedParams {
    pub uri: Uri,
}

impl Notification for GraphChanged {
    type Params = GraphChangedParams;
    const METHOD: &'static str = "mlforge/graphChanged";
}

/// A graph and the world generation it was built at.
#[derive(Clone)]
pub struct Entry {
    pub drawn: Arc<Drawn>,
    pub generation: u64,
}

/// What the server remembers of one document's graphs.
#[derive(Default)]
pub struct DocGraphs {
    /// The last graph built for each pipeline while it could be found.
    pub last_good: HashMap<String, Entry>,
    /// The pipeline answered last (for requests that name none, once the text lost it).
    pub last_pipeline: Option<String>,
    /// Pipelines found in the text at the last refresh, and that refresh's generation.
    pub current: Vec<String>,
    pub current_generation: u64,
}

/// Every document's graphs, and the documents a preview has asked about.
#[derive(Default)]
pub struct GraphCache {
    pub docs: HashMap<Uri, DocGraphs>,
    /// Documents a preview has asked about, and what its last request needed: a refresh
    /// has it ready for the next request.
    pub subscribed: HashMap<Uri, Wants>,
}

/// What a preview's last request needed of the whole graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wants {
    /// Only the model and its focus index (a focus is cut from them per request).
    Model,
    Json,
    JsonAndDot,
}

impl Wants {
    pub fn of(ask: &Ask) -> Wants {
        match (&ask.focus, ask.dot) {
            (Some(_), _) => Wants::Model,
            (None, false) => Wants::Json,
            (None, true) => Wants::JsonAndDot,
        }
    }
}

/// The names of the pipelines a file defines.
pub fn pipelines(snap: &Snapshot, uri: &Uri) -> Result<Vec<String>> {
    let doc = doc(snap, uri)?;
    Ok(parse(&snap.db, doc.file)
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Pipeline(p) => Some(p.name.text.to_string()),
            _ => None,
        })
        .collect())
}

/// The current graph of `pipeline` (or of the only pipeline), or why there is none.
pub fn build(
    snap: &Snapshot,
    uri: &Uri,
    pipeline: Option<&str>,
) -> Result<std::result::Result<GraphModel, String>> {
    let doc = doc(snap, uri)?;
    Ok(match select_pipeline(&snap.db, doc.file, pipeline) {
        Ok(key) => Ok(mlforge_graph::build(&snap.db, key)),
        Err(message) => Err(message.replace("--pipeline", "the `pipeline` parameter")),
    })
}

/// Every pipeline's current graph, reusing `previous` entries (and their texts) when the
/// graph is the same. For a document with a preview, changed graphs get the texts it asks
/// for made now.
pub fn refresh(
    snap: &Snapshot,
    uri: &Uri,
    previous: &HashMap<String, Entry>,
    preview: Option<Wants>,
) -> Result<Vec<(String, Entry)>> {
    let mut out = Vec::new();
    for name in pipelines(snap, uri)? {
        let Ok(model) = build(snap, uri, Some(&name))? else {
            continue;
        };
        let drawn = match previous.get(&name) {
            Some(old) if old.drawn.model == model => old.drawn.clone(),
            _ => Arc::new(Drawn::new(model)),
        };
        match preview {
            Some(Wants::Json) => drawn.prepare(false),
            Some(Wants::JsonAndDot) => drawn.prepare(true),
            Some(Wants::Model) => {
                drawn.focus_index();
            }
            None => {}
        }
        out.push((
            name,
            Entry {
                drawn,
                generation: snap.generation,
            },
        ));
    }
    Ok(out)
}

impl DocGraphs {
    /// Records the graphs of a refresh at `generation`; whether anything a preview shows
    /// changed.
    pub fn update(&mut self, generation: u64, graphs: Vec<(String, Entry)>) -> bool {
        let current: Vec<String> = graphs.iter().map(|(n, _)| n.clone()).collect();
        let mut changed = current != self.current;
        for (name, entry) in graphs {
            if self
                .last_good
                .get(&name)
                .is_none_or(|old| !Arc::ptr_eq(&old.drawn, &entry.drawn))
            {
                changed = true;
            }
            self.last_good.insert(name, entry);
        }
        self.current = current;
        self.current_generation = generation;
        changed
    }

    /// The graph for a request at `generation`, when one was built at that generation.
    pub fn fresh(&self, generation: u64, wanted: Option<&str>) -> Option<Entry> {
        let name = match wanted {
            Some(name) => name,
            None if self.current_generation == generation && self.current.len() == 1 => {
                self.current[0].as_str()
            }
            None => return None,
        };
        self.last_good
            .get(name)
            .filter(|e| e.generation == generation)
            .cloned()
    }

    /// Records a graph built for a request; `only` when the request named no pipeline (so
    /// this is the document's only one at that generation).
    pub fn answered(&mut self, entry: Entry, only: bool) {
        let name = entry.drawn.model.pipeline.clone();
        self.last_pipeline = Some(name.clone());
        if only {
            self.current = vec![name.clone()];
            self.current_generation = entry.generation;
        }
        self.last_good.insert(name, entry);
    }

    /// The last good graph for a request whose pipeline the current text lacks.
    pub fn stale(&self, wanted: Option<&str>) -> Option<Entry> {
        let name = match wanted {
            Some(name) => name.to_string(),
            None => self.last_pipeline.clone().or_else(|| {
                (self.last_good.len() == 1)
                    .then(|| self.last_good.keys().next().cloned())
                    .flatten()
            })?,
        };
        self.last_good.get(&name).cloned()
    }
}

/// The error for a document with no graph at all.
pub fn no_graph(message: String) -> tower_lsp_server::jsonrpc::Error {
    request_failed(message)
}
