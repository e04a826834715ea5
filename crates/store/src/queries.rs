//! Lineage queries: the graph of artifacts and the step attempts that wrote and read them,
//! walked upstream (what produced this?) or downstream (what used this?).
//!
//! Each step of the walk is one lookup on an index (`artifacts` by hash, `consumed` by
//! attempt and by artifact, `outputs` by attempt and by artifact), through cached
//! prepared statements, so a walk costs a few microseconds per node it visits.

use std::collections::{HashSet, VecDeque};

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use crate::artifacts::ArtifactKind;
use crate::element::Element;
use crate::lineage::{AttemptStatus, Lineage, Result};

/// An artifact in a lineage graph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineageArtifact {
    pub hash: String,
    pub kind: ArtifactKind,
    pub size: u64,
    pub type_name: String,
    pub name: Option<String>,
    /// The first attempt that wrote it; `None` when it was imported as a run's param.
    pub produced_by: Option<i64>,
    /// For imported artifacts: the run param and source path it came from (the first one).
    pub imported_from: Option<(i64, String, String)>,
}

/// A step attempt in a lineage graph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineageAttempt {
    pub id: i64,
    pub run_id: i64,
    pub pipeline: String,
    pub step: String,
    /// Index path inside `for` blocks: `""`, `"2"`, `"1.0"`.
    pub element: Element,
    pub attempt: u32,
    pub op: String,
    /// `None` while running or when interrupted.
    pub status: Option<AttemptStatus>,
    pub cached_from: Option<i64>,
}

/// A node: an artifact or an attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LineageNode {
    Artifact(LineageArtifact),
    Attempt(LineageAttempt),
}

/// A node's key: `artifact:<hash>`, `artifact:<hash>@<attempt id>` (upstream, the
/// generation of those bytes that attempt wrote: the same bytes written by two steps are
/// two nodes), or `attempt:<id>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub enum NodeKey {
    Artifact { hash: String, writer: Option<i64> },
    Attempt(i64),
}

impl NodeKey {
    /// The key of an artifact by its content alone.
    pub fn artifact(hash: &str) -> NodeKey {
        NodeKey::Artifact {
            hash: hash.to_string(),
            writer: None,
        }
    }
}

impl std::fmt::Display for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeKey::Artifact { hash, writer: None } => write!(f, "artifact:{hash}"),
            NodeKey::Artifact {
                hash,
                writer: Some(w),
            } => write!(f, "artifact:{hash}@{w}"),
            NodeKey::Attempt(id) => write!(f, "attempt:{id}"),
        }
    }
}

impl From<NodeKey> for String {
    fn from(key: NodeKey) -> String {
        key.to_string()
    }
}

/// An edge, in the direction data flows: artifact → attempt (the attempt read it, as
/// `label`), or attempt → artifact (the attempt wrote it, as output `label`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LineageEdge {
    pub from: NodeKey,
    pub to: NodeKey,
    /// The input (with its list position, `models[1]`) or output name.
    pub label: String,
}

/// The part of the lineage graph reachable from a root.
#[derive(Clone, Debug, Serialize)]
pub struct LineageGraph {
    pub root: NodeKey,
    pub downstream: bool,
    /// In the order they were reached (breadth first): the root first.
    pub nodes: Vec<(NodeKey, LineageNode)>,
    pub edges: Vec<LineageEdge>,
}

impl LineageGraph {
    pub fn node(&self, key: &NodeKey) -> Option<&LineageNode> {
        self.nodes.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }

    /// The keys of every node holding these bytes (one per generation upstream).
    pub fn artifact_keys(&self, hash: &str) -> Vec<&NodeKey> {
        self.nodes
            .iter()
            .filter(|(k, _)| matches!(k, NodeKey::Artifact { hash: h, .. } if h == hash))
            .map(|(k, _)| k)
            .collect()
    }
}

/// A neighbour found by one hop: the edge to it, its key and record, and (for an artifact
/// upstream) the attempts that wrote it.
type Hop = (LineageEdge, NodeKey, LineageNode, Vec<i64>);

/// The outcome of looking an artifact up by a hash prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtifactMatch {
    None,
    One(String),
    /// Two or more (the first two found).
    Ambiguous(Vec<String>),
}

/// An input as people read it, with its list position: `models[1]`, `grid[1,0]`.
pub fn input_label(input: &str, position: &str) -> String {
    if position.is_empty() {
        input.to_string()
    } else {
        format!("{input}[{}]", position.replace('.', ","))
    }
}

const ARTIFACT_COLUMNS: &str = "ar.hash, ar.kind, ar.size, ar.type, ar.name, ar.produced_by";

const ATTEMPT_COLUMNS: &str =
    "a.id, a.run_id, r.pipeline, a.step, a.element, a.attempt, a.op, e.status, a.cached_from";

const ATTEMPT_FROM: &str = "attempts a JOIN runs r ON r.id = a.run_id \
     LEFT JOIN attempt_ends e ON e.attempt_id = a.id";

impl Lineage {
    /// The artifact whose hash is `prefix` or starts with it (an index range scan).
    pub fn find_artifact(&self, prefix: &str) -> Result<ArtifactMatch> {
        let prefix = prefix.to_ascii_lowercase();
        // Hashes are lowercase hex: every hash starting with `prefix` sorts in
        // [prefix, prefix + "g").
        let mut stmt = self.connection().prepare_cached(
            "SELECT hash FROM artifacts WHERE hash >= ?1 AND hash < ?1 || 'g' ORDER BY hash LIMIT 2",
        )?;
        let found: Vec<String> = stmt
            .query_map(params![prefix], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(match found.len() {
            0 => ArtifactMatch::None,
            1 => ArtifactMatch::One(found.into_iter().next().unwrap_or_default()),
            _ if found.contains(&prefix) => ArtifactMatch::One(prefix),
            _ => ArtifactMatch::Ambiguous(found),
        })
    }

    /// An artifact's record; the extra lookup of where it was imported from only for
    /// those no attempt produced.
    fn artifact_from_row(&self, row: &Row<'_>, at: usize) -> rusqlite::Result<LineageArtifact> {
        let hash: String = row.get(at)?;
        let kind: String = row.get(at + 1)?;
        let produced_by: Option<i64> = row.get(at + 5)?;
        let imported_from = if produced_by.is_none() {
            self.connection()
                .prepare_cached(
                    "SELECT run_id, param, source_path FROM run_inputs WHERE artifact_hash = ?1 \
                     ORDER BY run_id LIMIT 1",
                )?
                .query_row(params![hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?
        } else {
            None
        };
        Ok(LineageArtifact {
            hash,
            kind: ArtifactKind::parse(&kind).unwrap_or(ArtifactKind::File),
            size: row.get::<_, i64>(at + 2)? as u64,
            type_name: row.get(at + 3)?,
            name: row.get(at + 4)?,
            produced_by,
            imported_from,
        })
    }

    fn attempt_from_lineage_row(row: &Row<'_>, at: usize) -> rusqlite::Result<LineageAttempt> {
        let status: Option<String> = row.get(at + 7)?;
        Ok(LineageAttempt {
            id: row.get(at)?,
            run_id: row.get(at + 1)?,
            pipeline: row.get(at + 2)?,
            step: row.get(at + 3)?,
            element: row.get(at + 4)?,
            attempt: row.get(at + 5)?,
            op: row.get(at + 6)?,
            status: status.as_deref().and_then(AttemptStatus::parse),
            cached_from: row.get(at + 8)?,
        })
    }

    fn lineage_artifact(&self, hash: &str) -> Result<Option<LineageArtifact>> {
        let sql = format!("SELECT {ARTIFACT_COLUMNS} FROM artifacts ar WHERE ar.hash = ?1");
        let mut stmt = self.connection().prepare_cached(&sql)?;
        Ok(stmt
            .query_row(params![hash], |r| self.artifact_from_row(r, 0))
            .optional()?)
    }

    /// An attempt, and the names under which it wrote `hash` (comma-separated).
    fn producer(&self, id: i64, hash: &str) -> Result<Option<(LineageAttempt, Option<String>)>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS}, (SELECT group_concat(o.name, ',') FROM outputs o \
             WHERE o.attempt_id = a.id AND o.artifact_hash = ?2) FROM {ATTEMPT_FROM} WHERE a.id = ?1"
        );
        let mut stmt = self.connection().prepare_cached(&sql)?;
        Ok(stmt
            .query_row(params![id, hash], |r| {
                Ok((Self::attempt_from_lineage_row(r, 0)?, r.get(9)?))
            })
            .optional()?)
    }

    /// The attempt's neighbours one hop from `key`, with the edge to each and its record.
    fn hop(
        &self,
        key: &NodeKey,
        downstream: bool,
        writers: &[i64],
        out: &mut Vec<Hop>,
    ) -> Result<()> {
        match (key, downstream) {
            (NodeKey::Artifact { hash, .. }, false) => {
                for &id in writers {
                    if let Some((attempt, names)) = self.producer(id, hash)? {
                        let from = NodeKey::Attempt(id);
                        out.push((
                            LineageEdge {
                                from: from.clone(),
                                to: key.clone(),
                                label: names.unwrap_or_else(|| "output".into()),
                            },
                            from,
                            LineageNode::Attempt(attempt),
                            Vec::new(),
                        ));
                    }
                }
            }
            (NodeKey::Attempt(id), false) => {
                // Each input came from one attempt's output (recorded since provenance
                // follows steps); older records fall back to the bytes' first producer.
                let sql = format!(
                    "SELECT c.input, c.position, c.from_attempt, {ARTIFACT_COLUMNS} \
                     FROM consumed c JOIN artifacts ar ON ar.hash = c.artifact_hash \
                     WHERE c.attempt_id = ?1 ORDER BY c.input, c.position"
                );
                let mut stmt = self.connection().prepare_cached(&sql)?;
                let rows = stmt.query_map(params![id], |r| {
                    let input: String = r.get(0)?;
                    let position: String = r.get(1)?;
                    let from: Option<i64> = r.get(2)?;
                    Ok((
                        input_label(&input, &position),
                        from,
                        self.artifact_from_row(r, 3)?,
                    ))
                })?;
                for row in rows {
                    let (label, from_attempt, artifact) = row?;
                    let writer = from_attempt.or(artifact.produced_by);
                    let from = NodeKey::Artifact {
                        hash: artifact.hash.clone(),
                        writer,
                    };
                    out.push((
                        LineageEdge {
                            from: from.clone(),
                            to: key.clone(),
                            label,
                        },
                        from,
                        LineageNode::Artifact(artifact),
                        writer.into_iter().collect(),
                    ));
                }
            }
            (NodeKey::Artifact { hash, .. }, true) => {
                let sql = format!(
                    "SELECT c.input, c.position, {ATTEMPT_COLUMNS} FROM consumed c \
                     JOIN attempts a ON a.id = c.attempt_id JOIN runs r ON r.id = a.run_id \
                     LEFT JOIN attempt_ends e ON e.attempt_id = a.id WHERE c.artifact_hash = ?1 \
                     ORDER BY c.attempt_id, c.input, c.position"
                );
                let mut stmt = self.connection().prepare_cached(&sql)?;
                let rows = stmt.query_map(params![hash], |r| {
                    let input: String = r.get(0)?;
                    let position: String = r.get(1)?;
                    Ok((
                        input_label(&input, &position),
                        Self::attempt_from_lineage_row(r, 2)?,
                    ))
                })?;
                for row in rows {
                    let (label, attempt) = row?;
                    let to = NodeKey::Attempt(attempt.id);
                    out.push((
                        LineageEdge {
                            from: key.clone(),
                            to: to.clone(),
                            label,
                        },
                        to,
                        LineageNode::Attempt(attempt),
                        Vec::new(),
                    ));
                }
            }
            (NodeKey::Attempt(id), true) => {
                let sql = format!(
                    "SELECT o.name, {ARTIFACT_COLUMNS} FROM outputs o \
                     JOIN artifacts ar ON ar.hash = o.artifact_hash WHERE o.attempt_id = ?1 \
                     ORDER BY o.rowid"
                );
                let mut stmt = self.connection().prepare_cached(&sql)?;
                let rows = stmt.query_map(params![id], |r| {
                    Ok((r.get::<_, String>(0)?, self.artifact_from_row(r, 1)?))
                })?;
                for row in rows {
                    let (label, artifact) = row?;
                    // Downstream follows the bytes: whoever read them, from any writer.
                    let to = NodeKey::artifact(&artifact.hash);
                    out.push((
                        LineageEdge {
                            from: key.clone(),
                            to: to.clone(),
                            label,
                        },
                        to,
                        LineageNode::Artifact(artifact),
                        Vec::new(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The lineage graph of an artifact: upstream, the attempts and artifacts that
    /// produced it, recursively; downstream, everything that read it, recursively.
    ///
    /// Upstream, an artifact's producer is the first attempt that wrote it; for the root,
    /// `writer` (the attempt a user named, which may be a cached record of an earlier
    /// one) comes first. `None` when the artifact is unknown.
    pub fn lineage_graph(
        &self,
        hash: &str,
        writer: Option<i64>,
        downstream: bool,
    ) -> Result<Option<LineageGraph>> {
        // A walk reads pages all over the tables: let the connection keep them (the
        // default cache is 2 MiB; this allows up to 64 MiB).
        self.connection()
            .pragma_update(None, "cache_size", -65_536)?;
        // One read transaction for the whole walk: a consistent snapshot, and no lock
        // and WAL-index checks per lookup. A savepoint nests in a writer's batch too.
        self.connection().execute_batch("SAVEPOINT lineage_walk")?;
        let graph = self.walk(hash, writer, downstream);
        self.connection().execute_batch("RELEASE lineage_walk")?;
        graph
    }

    fn walk(
        &self,
        hash: &str,
        writer: Option<i64>,
        downstream: bool,
    ) -> Result<Option<LineageGraph>> {
        let Some(root) = self.lineage_artifact(hash)? else {
            return Ok(None);
        };
        let root_key = NodeKey::artifact(hash);
        let mut root_writers: Vec<i64> = Vec::new();
        if let Some(w) = writer {
            root_writers.push(w);
            // The named attempt may be a cached record of the first writer (which then
            // adds nothing), or the same content may have been written first by another
            // step.
            let origin = self.producer(w, hash)?.and_then(|(a, _)| a.cached_from);
            if let Some(first) = root.produced_by {
                if first != w && Some(first) != origin {
                    root_writers.push(first);
                }
            }
        } else {
            root_writers.extend(root.produced_by);
        }
        let mut graph = LineageGraph {
            root: root_key.clone(),
            downstream,
            nodes: vec![(root_key.clone(), LineageNode::Artifact(root))],
            edges: Vec::new(),
        };
        let mut seen: HashSet<NodeKey> = HashSet::from([root_key.clone()]);
        let mut edges_seen: HashSet<LineageEdge> = HashSet::new();
        // (node, the attempts that wrote it, for upstream artifacts)
        let mut queue: VecDeque<(NodeKey, Vec<i64>)> = VecDeque::from([(root_key, root_writers)]);
        let mut next = Vec::new();
        while let Some((key, writers)) = queue.pop_front() {
            next.clear();
            self.hop(&key, downstream, &writers, &mut next)?;
            for (edge, neighbour, node, writers) in next.drain(..) {
                if !edges_seen.contains(&edge) {
                    edges_seen.insert(edge.clone());
                    graph.edges.push(edge);
                }
                if seen.insert(neighbour.clone()) {
                    graph.nodes.push((neighbour.clone(), node));
                    queue.push_back((neighbour, writers));
                }
            }
        }
        Ok(Some(graph))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_and_downstream_walk_the_chains() {
        let mut db = Lineage::open_in_memory().unwrap();
        let hashes = crate::synthetic_chains(&mut db, 3, 12);
        // Upstream of chain 0's last artifact: its 12 steps, and chain 1's first 10.
        let up = db
            .lineage_graph(&hashes[0][11], None, false)
            .unwrap()
            .unwrap();
        let artifacts = up
            .nodes
            .iter()
            .filter(|(_, n)| matches!(n, LineageNode::Artifact(_)))
            .count();
        assert_eq!(artifacts, 12 + 10);
        assert!(!up.artifact_keys(&hashes[1][9]).is_empty());
        assert!(up.artifact_keys(&hashes[2][0]).is_empty());
        // Downstream of chain 1's first artifact: the rest of chain 1 and chain 0 from 10.
        let down = db
            .lineage_graph(&hashes[1][0], None, true)
            .unwrap()
            .unwrap();
        assert!(down.node(&NodeKey::artifact(&hashes[1][11])).is_some());
        assert!(down.node(&NodeKey::artifact(&hashes[0][11])).is_some());
        assert!(down.node(&NodeKey::artifact(&hashes[0][9])).is_none());
        // Every edge joins nodes of the graph.
        for edge in &down.edges {
            assert!(down.node(&edge.from).is_some() && down.node(&edge.to).is_some());
        }
        assert!(db.lineage_graph("00", None, false).unwrap().is_none());
        assert_eq!(
            db.find_artifact(&hashes[0][0][..10]).unwrap(),
            ArtifactMatch::One(hashes[0][0].clone())
        );
        assert_eq!(db.find_artifact("zz").unwrap(), ArtifactMatch::None);
    }
}
